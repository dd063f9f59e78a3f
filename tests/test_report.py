"""`accomp report`: the HTML report, opened in a real headless browser and printed to PDF.

The store is the hand-computed one of test_cli_summary (3 people accompanied in
the first half of 2026, 2 entered, 2 exits: a CDI and a CDD of 3 months).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from html import unescape
from pathlib import Path

import pytest

from tests.conftest import Invoke
from tests.test_bad_input import assert_one_line_error
from tests.test_cli_summary import PERIOD, SECRETS, cohort  # noqa: F401 (the fixture)

BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")
PDFTOTEXT = shutil.which("pdftotext")


def _report(in_store: Invoke, out: Path, *extra: str) -> str:
    result = in_store("report", *PERIOD, "--out", str(out), *extra)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == str(out)  # the path, for scripts and `make demo`
    return out.read_text(encoding="utf-8")


def test_the_report_holds_the_figures_and_no_personal_data(
    in_store: Invoke,
    cohort: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    html = _report(in_store, tmp_path / "report.html")
    assert not [secret for secret in SECRETS if secret in html]
    assert not [case_id for case_id in cohort.values() if case_id in html]  # counts, not cases
    text = unescape(re.sub(r"<[^>]+>", " ", html))
    assert re.search(r"\b3\s+accompanied in the period", text)
    assert re.search(r"\b2\s+entered", text) and re.search(r"\b2\s+exited", text)
    assert "50.0 %" in text and "100.0 %" in text  # durable, positive exits (of exits)
    assert "the store's outcomes (accomp.yaml)" in text  # the definitions used
    assert "Made on 2026-11-20" in text
    # Nothing is fetched: every reference stays inside the file.
    assert not re.findall(r"""(?:src|href)\s*=\s*["'](?!#|data:)""", html)
    assert not re.findall(r"url\(\s*['\"]?(?:https?:|//)", html)
    assert html.count("<svg") >= 4
    # The same store gives the same bytes.
    assert _report(in_store, tmp_path / "again.html") == html


def test_small_cells_hide_groups_of_fewer_than_five(
    in_store: Invoke,
    cohort: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    html = _report(in_store, tmp_path / "report.html", "--small-cells")
    text = unescape(re.sub(r"<[^>]+>", " ", html))
    assert re.search(r"< 5\s+accompanied in the period", text)
    assert not re.search(r"\b3\s+accompanied in the period", text)
    assert "groups of fewer than 5 people" in text


def test_bad_report_options_get_one_line_errors(
    in_store: Invoke,
    cohort: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    def refused(*args: str) -> str:
        result = in_store("report", *args)
        assert result.exit_code == 2, result.stderr
        return assert_one_line_error(result.stderr)

    out, html = tmp_path / "report.txt", tmp_path / "r.html"
    assert "--out" in refused("--year", "2026", "--out", str(out))
    assert "--to" in refused("--from", "2026-06-01", "--to", "2026-01-01", "--out", str(html))
    assert "--programme" in refused("--year", "2026", "--programme", "nope", "--out", str(html))
    assert not out.exists() and not html.exists()


def _browser(*args: str) -> subprocess.CompletedProcess[str]:
    assert BROWSER is not None
    command = [
        BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--enable-logging=stderr", "--v=0", "--no-first-run",
        "--host-resolver-rules=MAP * ~NOTFOUND",  # a request outside the file would fail, loudly
        *args,
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(
    BROWSER is None or PDFTOTEXT is None,
    reason="chromium or pdftotext missing (`make test` installs them as root with apt)",
)
def test_the_report_opens_in_a_browser_and_prints_to_pdf(
    in_store: Invoke,
    cohort: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    page = tmp_path / "report.html"
    _report(in_store, page)
    screenshot, pdf = tmp_path / "report.png", tmp_path / "report.pdf"
    shot = _browser("--hide-scrollbars", "--window-size=900,2400",
                    f"--screenshot={screenshot}", page.as_uri())  # fmt: skip
    printed = _browser("--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri())
    for run in (shot, printed):
        assert run.returncode == 0, run.stderr[-2000:]
        console = [line for line in run.stderr.splitlines() if "CONSOLE" in line]
        assert console == [], console  # no script error, no failed load
        assert "net::ERR" not in run.stderr
    assert screenshot.stat().st_size > 10_000
    assert pdf.read_bytes().startswith(b"%PDF")
    text = subprocess.run([PDFTOTEXT, "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout  # fmt: skip
    assert re.search(r"accompanied in the\s", text)
    for figure in ("50.0 %", "100.0 %", "Objectives against achievements",
                   "FSE+ participant indicators", "Definitions used"):  # fmt: skip
        assert figure in text, figure
    # The objectives' table: entries achieved 2 against 3, a gap of -1; and cej's own.
    assert re.search(r"all programmes\s+entries\s+2\s+3\s+-1\s+no", text)
    assert re.search(r"cej\s+positive_exit_rate\s+100\.0 %\s+90\.0 %\s+10\.0 %\s+yes", text)
    assert not [secret for secret in SECRETS if secret in text]
    pages = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert "(A4)" in pages
