"""Letters to the person (a convocation…): a Markdown template filled, then HTML or PDF.

The edge that turns domain/letters.py's data into a page. The template is
Markdown with Jinja2 placeholders (a store's own `templates/<name>.md`, else
accomp's); jinja2 fills it, markdown-it-py (CommonMark, raw HTML off, so that
nothing typed in a case becomes markup) makes it HTML, and a headless Chromium
prints that to PDF when asked. Letters carry names: they are written outside
the store, never committed, and a temporary page for the browser is private
and removed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Literal

from accomp.errors import UsageError

LetterFormat = Literal["pdf", "html", "md"]
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

PAGE = """<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
  body {{ font-family: serif; color: #111; margin: 2em auto; max-width: 680px; line-height: 1.45; }}
  p {{ margin: 0 0 0.9em 0; }}
  @page {{ size: A4; margin: 25mm 22mm; }}
  @media print {{ body {{ margin: 0; max-width: none; font-size: 11pt; }} }}
  .letter + .letter {{ break-before: page; page-break-before: always; }}
</style>
</head>
<body>
{body}
</body>
</html>
"""


def fill(template: str, context: dict[str, Any], name: str) -> str:
    """The template filled (Markdown). A name the template uses and the context lacks
    (a convocation without --rdv) is a usage error naming it."""
    import jinja2

    environment = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    try:
        return environment.from_string(template).render(**context)
    except jinja2.TemplateSyntaxError as exc:
        raise UsageError(f"template {name}, line {exc.lineno}: {exc.message}") from None
    except jinja2.UndefinedError as exc:
        if context.get("rdv") is None and "rdv." in template:
            raise UsageError(f"template {name} is about an appointment: give --rdv N") from None
        if context.get("session") is None and "session." in template:
            raise UsageError(f"template {name} is about a session: use --session S") from None
        raise UsageError(f"template {name}: {exc.message}") from None
    except (jinja2.TemplateError, TypeError, ValueError) as exc:  # `{{ today + 1 }}`, a filter…
        raise UsageError(f"template {name}: {type(exc).__name__}: {exc}") from None


def to_html(markdown_texts: list[str], title: str) -> str:
    """One printable page per letter, in one HTML document."""
    from html import escape

    from markdown_it import MarkdownIt

    renderer = MarkdownIt("commonmark", {"html": False, "breaks": True})
    body = "\n".join(
        f'<div class="letter">\n{renderer.render(text)}</div>' for text in markdown_texts
    )
    return PAGE.format(title=escape(title), body=body)


def browser() -> str | None:
    """A Chromium-family browser to print with, or None."""
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


def to_pdf(html: str) -> bytes:
    """The page printed to PDF by a headless Chromium (A4, no header or footer)."""
    program = browser()
    if program is None:
        raise UsageError(
            "--format pdf needs Chromium or Google Chrome (apt install chromium); "
            "or write --format html and print it from a browser"
        )
    with tempfile.TemporaryDirectory(prefix="accomp-letter-") as folder:
        page, pdf = Path(folder) / "letter.html", Path(folder) / "letter.pdf"
        descriptor = os.open(page, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(html)
        # Chromium's sandbox refuses to start as root (a CI runner, a container); a user's
        # session keeps it.
        sandbox = ["--no-sandbox"] if getattr(os, "geteuid", lambda: 1)() == 0 else []
        command = [program, "--headless", *sandbox, "--disable-gpu",
                   "--no-pdf-header-footer", f"--user-data-dir={folder}/profile",
                   f"--print-to-pdf={pdf}", page.as_uri()]  # fmt: skip
        try:
            subprocess.run(command, capture_output=True, timeout=120, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise UsageError(f"--format pdf: the browser {program} failed ({exc})") from None
        if not pdf.exists() or not pdf.read_bytes().startswith(b"%PDF"):
            raise UsageError(f"--format pdf: the browser {program} wrote no PDF")
        return pdf.read_bytes()


def render(markdown_texts: list[str], fmt: LetterFormat, title: str) -> bytes:
    """The letters in the asked format (md: the filled texts, one after the other)."""
    if fmt == "md":
        return "\n\n---\n\n".join(markdown_texts).encode("utf-8")
    html = to_html(markdown_texts, title)
    return html.encode("utf-8") if fmt == "html" else to_pdf(html)
