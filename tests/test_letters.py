"""Convocation letters (issue 17): filled from the store's template or accomp's, written outside
the store, never committed; one per planned appointment of a day. Today: 2026-11-20."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from accomp.domain.letters import french_date, french_time
from tests.conftest import Invoke, git, snapshot
from tests.test_bad_input import assert_one_line_error
from tests.test_rdv import booked  # noqa: F401 (fixture: three appointments)


def _address(store: Path, case_id: str) -> None:
    """Give the case an address by hand (enrol takes only the postcode and city)."""
    path = store / f"{case_id}.yaml"
    text = path.read_text()
    assert "  address:\n" in text
    path.write_text(text.replace("  address:\n", "  address: {line: 3 rue des Lilas, "
                                 "postcode: '59000', city: Lille}\n", 1))  # fmt: skip
    git(store, "commit", "-qam", f"address of {case_id}")


def test_a_convocation_names_the_person_and_the_appointment_outside_the_store(
    in_store: Invoke,
    store: Path,
    booked: str,  # noqa: F811 (the fixture imported from test_rdv)
    tmp_path: Path,
) -> None:
    _address(store, booked)
    before, commits = snapshot(store), git(store, "rev-list", "--count", "HEAD")
    out = tmp_path / "letters" / "convocation.md"
    out.parent.mkdir()
    written = in_store("letter", booked, "--rdv", "2", "--format", "md", "--out", str(out))
    assert written.exit_code == 0, written.stderr
    text = out.read_text()
    for expected in ("Madame Zoé Quenouille", "3 rue des Lilas", "59000 Lille",
                     "jeudi 26 novembre 2026 à 14 h 30", "par téléphone", "30 minutes",
                     f"Référence : {booked}", "Le vendredi 20 novembre 2026"):  # fmt: skip
        assert expected in text, expected
    assert "{{" not in text and "{#" not in text
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    html = tmp_path / "letters" / "convocation.html"
    assert in_store("letter", booked, "--rdv", "2", "--format", "html",
                    "--out", str(html)).exit_code == 0  # fmt: skip
    page = html.read_text()
    assert "<strong>jeudi 26 novembre 2026 à 14 h 30</strong>" in page and "Quenouille" in page
    assert snapshot(store) == before  # nothing in the store, nothing committed
    assert git(store, "rev-list", "--count", "HEAD") == commits
    assert "Quenouille" not in git(store, "log", "--format=%B")


def test_bad_letter_requests_are_one_line_and_write_nothing(
    in_store: Invoke,
    store: Path,
    booked: str,  # noqa: F811 (the fixture imported from test_rdv)
    tmp_path: Path,
) -> None:
    assert in_store("rdv", "cancel", booked, "3", "--reason", "moved").exit_code == 0
    before = snapshot(store)
    out = str(tmp_path / "x.md")
    for args, expected in (
        ([booked, "--out", str(store / "x.md")], "inside the store"),
        ([booked, "--format", "md", "--out", out], "give --rdv N"),
        ([booked, "--rdv", "9", "--format", "md", "--out", out], "no appointment 9"),
        ([booked, "--rdv", "3", "--format", "md", "--out", out], "is cancelled"),
        ([booked, "--rdv", "1", "--format", "md", "--out", out], "was on 2026-11-18"),
        ([booked, "--template", "nothing", "--rdv", "2", "--out", out], "no template 'nothing'"),
        (["--on", "2026-11-27", "--out", str(tmp_path / "day")], "no planned appointment"),
        ([booked, "--on", "2026-11-26", "--out", out], "give one of"),
    ):
        result = in_store("letter", *args)
        assert result.exit_code == 2, (args, result.stdout)
        assert expected in assert_one_line_error(result.stderr), args
    assert snapshot(store) == before
    assert not (tmp_path / "x.md").exists() and not (tmp_path / "day").exists()


def test_a_store_template_replaces_accomps_and_a_day_gives_one_file_per_case(
    in_store: Invoke,
    store: Path,
    enrol,
    booked: str,  # noqa: F811 (the fixture imported from test_rdv)
    tmp_path: Path,
) -> None:  # type: ignore[no-untyped-def]
    other = enrol("--given-name", "Yanis", "--sex", "M")
    assert in_store("rdv", "add", other, "--at", "2026-11-26 09:00", "--minutes", "60",
                    "--channel", "in-person", "--place", "Salle 2").exit_code == 0  # fmt: skip
    (store / "templates").mkdir()
    (store / "templates" / "convocation.md").write_text(
        "{{ person.civility }} {{ person.family_name }}: {{ rdv.date }}, {{ rdv.time }}, "
        "{{ rdv.place or rdv.how }} ({{ case_id }})\n"
    )
    folder = tmp_path / "day"
    result = in_store("letter", "--on", "2026-11-26", "--format", "md", "--out", str(folder))
    assert result.exit_code == 0, result.stderr
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted([f"{other}-convocation-2026-11-26-1.md",
                            f"{booked}-convocation-2026-11-26-2.md"])  # fmt: skip
    assert all("Quenouille" not in name and "Yanis" not in name for name in names)
    texts = {p.name.split("-convocation")[0]: p.read_text() for p in folder.iterdir()}
    assert texts[other] == f"Monsieur Quenouille: jeudi 26 novembre 2026, 9 h, Salle 2 ({other})\n"
    assert texts[booked].startswith("Madame Quenouille: jeudi 26 novembre 2026, 14 h 30, par")
    only = in_store("letter", "--on", "2026-11-26", "--referent", "nobody", "--format", "md",
                    "--out", str(tmp_path / "none"))  # fmt: skip
    assert only.exit_code == 2 and "for nobody" in only.stderr


def test_french_dates_and_times_as_letters_write_them() -> None:
    import datetime as dt

    assert french_date(dt.date(2026, 12, 1)) == "mardi 1er décembre 2026"
    assert french_date(dt.date(2027, 2, 14)) == "dimanche 14 février 2027"
    assert (french_time("09:00"), french_time("14:05")) == ("9 h", "14 h 05")


BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")
PDFTOTEXT = shutil.which("pdftotext")


@pytest.mark.skipif(
    BROWSER is None or PDFTOTEXT is None,
    reason="chromium or pdftotext missing (`make test` installs them as root with apt)",
)
def test_a_convocation_prints_to_an_a4_pdf(
    in_store: Invoke,
    booked: str,  # noqa: F811 (the fixture imported from test_rdv)
    tmp_path: Path,
) -> None:
    pdf = tmp_path / "convocation.pdf"
    result = in_store("letter", booked, "--rdv", "2", "--out", str(pdf))
    assert result.exit_code == 0, result.stderr
    assert pdf.read_bytes().startswith(b"%PDF")
    text = subprocess.run([PDFTOTEXT, "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout  # fmt: skip
    words = " ".join(text.split())
    assert "Zoé Quenouille" in words and "jeudi 26 novembre 2026 à 14 h 30" in words
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert "(A4)" in info


def test_a_session_sends_one_invitation_per_registered_case(
    in_store: Invoke, store: Path, enrol, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    first, second = enrol(), enrol("--given-name", "Yanis", "--sex", "M")
    added = in_store("session", "add", "--title", "Atelier CV", "--date", "2026-11-26",
                     "--from", "14:00", "--to", "16:30", "--places", "8", "--kind", "workshop",
                     "--place", "Salle 2")  # fmt: skip
    assert added.exit_code == 0, added.stderr
    before = snapshot(store)
    folder = tmp_path / "invitations"
    nobody = in_store("letter", "--session", "2026-11-26-1", "--format", "md", "--out",
                      str(folder))  # fmt: skip
    assert nobody.exit_code == 2 and "nobody is registered" in assert_one_line_error(nobody.stderr)
    assert in_store("session", "enrol", "2026-11-26-1", first, second).exit_code == 0
    before = snapshot(store)
    written = in_store("letter", "--session", "2026-11-26-1", "--format", "md", "--out",
                       str(folder))  # fmt: skip
    assert written.exit_code == 0, written.stderr
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(f"{c}-session-2026-11-26-1.md" for c in (first, second))
    text = (folder / f"{second}-session-2026-11-26-1.md").read_text()
    assert "Monsieur Yanis Quenouille" in text
    assert "« Atelier CV », le **jeudi 26 novembre 2026 de 14 h à 16 h 30**, Salle 2" in text
    assert snapshot(store) == before
    both = in_store("letter", first, "--session", "2026-11-26-1", "--out", str(folder))
    assert both.exit_code == 2 and "give one of" in both.stderr


def test_a_broken_store_template_is_one_line_naming_it(
    in_store: Invoke,
    store: Path,
    booked: str,  # noqa: F811 (the fixture imported from test_rdv)
    tmp_path: Path,
) -> None:
    (store / "templates").mkdir()
    out = str(tmp_path / "x.md")
    for text, expected in (("{{ today + 1 }}", "template odd: TypeError"),
                           ("{% if %}", "template odd, line 1"),
                           ("{{ case_id | nosuchfilter }}", "template odd")):  # fmt: skip
        (store / "templates" / "odd.md").write_text(text)
        result = in_store("letter", booked, "--rdv", "2", "--template", "odd", "--format", "md",
                          "--out", out)  # fmt: skip
        assert result.exit_code == 2, text
        assert expected in assert_one_line_error(result.stderr), text
    assert not (tmp_path / "x.md").exists()
