"""Batch import through the CLI: realistic files, mappings, matching, bad files, interruptions."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from accomp.store import journal
from accomp.store.store import Store
from tests.conftest import Invoke, git, snapshot, without_ids
from tests.test_bad_input import assert_one_line_error

FRENCH_MAPPING = """\
kind: people
fields:
  family_name: Nom
  given_name: Prénom
  birth_date: {column: Date de naissance, date_format: "%d/%m/%Y"}
  sex: {column: Sexe, values: {Femme: F, Homme: M}}
  programme: {constant: cej}
  start: {column: Date d'entrée, date_format: "%d/%m/%Y"}
  referent: Conseiller
  france_travail_id: Identifiant FT
  qpv: {column: QPV, values: {Oui: true, Non: false}}
  qualification_level: {column: Niveau, values: {VI: 1, V bis: 2, V: 3, IV: 4}}
  phone: Téléphone
"""

FRENCH_ROWS = [
    "Nom;Prénom;Date de naissance;Sexe;Date d'entrée;Conseiller;Identifiant FT;QPV;Niveau;Téléphone",
    "Lefèvre;Zoé;01/05/2003;Femme;07/09/2026;jdupont;1234567A;Oui;V bis;06 00 00 00 01",
    "Müller;Noël;15/12/2004;Homme;07/09/2026;jdupont;7654321B;Non;IV;",
    "Ñúñez;Léa;28/02/2002;Femme;14/09/2026;mmartin;;Oui;VI;06 00 00 00 03",
]


def write(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


@pytest.fixture
def french(tmp_path: Path) -> tuple[Path, Path]:
    """A referral list as France Travail sends it: `;`, cp1252, dd/mm/yyyy, Oui/Non, V bis."""
    mapping = tmp_path / "ft.yaml"
    mapping.write_text(FRENCH_MAPPING, encoding="utf-8")
    return write(tmp_path / "orientations-2026-11.csv", FRENCH_ROWS, "cp1252"), mapping


def run_import(in_store: Invoke, *args: str) -> tuple[int, dict, str]:
    result = in_store("import", *args, "--format", "json")
    data = json.loads(result.stdout) if result.stdout.strip().startswith("{") else {}
    return result.exit_code, data, result.stderr


def cases(in_store: Invoke) -> dict[str, dict]:
    listed = json.loads(in_store("list", "--format", "json").stdout)
    return {
        r["case_id"]: json.loads(in_store("show", r["case_id"], "--format", "json").stdout)
        for r in listed
    }


def test_a_french_cp1252_referral_list_with_a_mapping(
    store: Path, in_store: Invoke, french
) -> None:
    csv_file, mapping = french
    code, report, _ = run_import(in_store, "people", str(csv_file), "--mapping", str(mapping))
    assert code == 0, report
    assert report["counts"] == {"create": 3, "update": 0, "unchanged": 0, "error": 0}
    assert report["written"] and report["committed"]
    assert (
        git(store, "log", "-1", "--format=%s").strip()
        == "import people: 3 created, 0 updated from orientations-2026-11.csv"
    )
    by_name = {c["identity"]["family_name"]: c for c in cases(in_store).values()}
    zoe = by_name["Lefèvre"]
    assert zoe["identity"]["given_name"] == "Zoé" and zoe["identity"]["birth_date"] == "2003-05-01"
    assert zoe["situation"]["qpv"] is True and zoe["situation"]["qualification_level"] == 2
    assert zoe["identity"]["external_ids"] == {"france_travail": "1234567A"}
    assert zoe["identity"]["phone"] == "06 00 00 00 01"
    assert by_name["Müller"]["identity"]["phone"] is None  # an empty cell
    assert by_name["Ñúñez"]["situation"]["qualification_level"] == 1
    assert by_name["Ñúñez"]["enrolment"]["referent"] == "mmartin"
    assert git(store, "status", "--porcelain") == ""
    assert not [n for n in ("Lefèvre", "Zoé", "Müller") if n in git(store, "log", "--format=%B")]


def test_re_importing_changes_nothing_and_makes_no_commit(
    store: Path, in_store: Invoke, french
) -> None:
    csv_file, mapping = french
    assert run_import(in_store, "people", str(csv_file), "--mapping", str(mapping))[0] == 0
    log, files = git(store, "log", "--format=%H"), snapshot(store)
    code, report, _ = run_import(in_store, "people", str(csv_file), "--mapping", str(mapping))
    assert code == 0
    assert report["counts"] == {"create": 0, "update": 0, "unchanged": 3, "error": 0}
    assert not report["written"]
    assert git(store, "log", "--format=%H") == log and snapshot(store) == files


def test_an_update_with_empty_cells_keeps_the_old_values(
    store: Path, in_store: Invoke, french, tmp_path: Path
) -> None:
    csv_file, mapping = french
    run_import(in_store, "people", str(csv_file), "--mapping", str(mapping))
    # Zoé again, matched by her France Travail id: a new phone, an empty QPV and level, names in capitals
    update = write(
        tmp_path / "update.csv",
        [
            FRENCH_ROWS[0],
            "LEFEVRE;ZOE;01/05/2003;Femme;07/09/2026;jdupont;1234567A;;;06 99 99 99 99",
        ],
        "cp1252",
    )
    code, report, _ = run_import(in_store, "people", str(update), "--mapping", str(mapping))
    assert code == 0, report
    assert [(r["status"], r["message"]) for r in report["rows"]] == [
        ("update", "changes family_name, given_name, phone")
    ]
    zoe = next(
        c
        for c in cases(in_store).values()
        if c["identity"]["external_ids"].get("france_travail") == "1234567A"
    )
    assert zoe["identity"]["phone"] == "06 99 99 99 99"
    assert zoe["situation"]["qpv"] is True and zoe["situation"]["qualification_level"] == 2  # kept
    # matched by name and birth date, case- and accent-insensitively, without an external id
    again = write(
        tmp_path / "again.csv",
        [FRENCH_ROWS[0], "NUNEZ;lea;28/02/2002;Femme;14/09/2026;mmartin;;Oui;VI;06 00 00 00 03"],
        "cp1252",
    )
    code, report, _ = run_import(in_store, "people", str(again), "--mapping", str(mapping))
    assert (
        report["rows"][0]["status"] == "update"
        and report["rows"][0]["message"] == "changes family_name, given_name"
    )


def test_a_conflict_row_is_reported_with_its_line(
    store: Path, in_store: Invoke, french, tmp_path: Path
) -> None:
    csv_file, mapping = french
    run_import(in_store, "people", str(csv_file), "--mapping", str(mapping))
    before, log = snapshot(store), git(store, "log", "--format=%H")
    conflict = write(
        tmp_path / "conflict.csv",
        [
            FRENCH_ROWS[0],
            FRENCH_ROWS[2],
            "Autre;Zoé;02/05/2003;Femme;07/09/2026;jdupont;1234567A;Oui;V;",
        ],
        "cp1252",
    )
    code, report, _ = run_import(in_store, "people", str(conflict), "--mapping", str(mapping))
    assert code == 1
    assert report["rows"][1] == {"line": 3, "status": "error", "case_id": None, "column": "Date de naissance",
                                 "message": report["rows"][1]["message"]}  # fmt: skip
    assert "conflict: same france_travail_id as 2026-" in report["rows"][1]["message"]
    assert "but another birth date" in report["rows"][1]["message"]
    assert snapshot(store) == before and git(store, "log", "--format=%H") == log


def test_an_xlsx_file_with_real_dates(store: Path, in_store: Invoke, tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Orientations"
    sheet.append(
        [
            "given_name",
            "family_name",
            "birth_date",
            "sex",
            "programme",
            "start",
            "referent",
            "qpv",
            "weekly_target_hours",
        ]
    )
    sheet.append(
        [
            "Inès",
            "Garnier",
            dt.datetime(2001, 7, 14),
            "F",
            "cej",
            dt.datetime(2026, 9, 7),
            "jdupont",
            True,
            20,
        ]
    )
    sheet.append(
        ["Hugo", "x", dt.datetime(2002, 1, 2), "M", "cej", "07/09/2026", "jdupont", False, 15.5]
    )
    sheet["B3"].value, sheet["B3"].data_type = "=1+1", "s"  # a text that looks like a formula
    sheet.append(
        ["Iris", "=A2&B2", dt.datetime(2002, 1, 2), "F", "cej", "07/09/2026", "jdupont", False, 15]
    )
    other = book.create_sheet("Notes")
    other.append(["nothing", "here"])
    path = tmp_path / "orientations.xlsx"
    book.save(path)
    code, report, _ = run_import(
        in_store, "people", str(path), "--sheet", "Orientations", "--skip-invalid"
    )
    assert code == 0, report
    assert report["counts"]["create"] == 2
    assert (report["rows"][2]["column"], report["rows"][2]["message"]) == (
        "family_name",
        "is a formula with no computed value (open and save the file in a spreadsheet)",
    )
    people = {c["identity"]["given_name"]: c for c in cases(in_store).values()}
    assert (
        people["Inès"]["identity"]["birth_date"] == "2001-07-14"
        and people["Inès"]["enrolment"]["weekly_target_hours"] == 20
    )
    assert people["Hugo"]["identity"]["family_name"] == "=1+1"  # a formula-looking text stays text
    assert people["Hugo"]["enrolment"]["weekly_target_hours"] == 15.5
    missing = in_store("import", "people", str(path), "--sheet", "Nope")
    assert missing.exit_code == 2 and "no sheet 'Nope'" in assert_one_line_error(missing.stderr)


def test_a_utf8_bom_file_whose_header_needs_no_mapping(
    store: Path, in_store: Invoke, tmp_path: Path
) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(
        b"\xef\xbb\xbf"
        + "Given name,Family-Name,birth_date,SEX,Programme,start,referent,nir\nÉloïse,Dubois,2003-03-03,f,cej,2026-09-07,jdupont,203037512345678\n".encode()
    )
    code, report, _ = run_import(in_store, "people", str(path))
    assert code == 0, report
    (case,) = cases(in_store).values()
    assert case["identity"]["given_name"] == "Éloïse" and case["identity"]["sex"] == "F"
    assert case["identity"]["external_ids"] == {"nir": "203037512345678"}


def test_dry_run_writes_nothing(store: Path, in_store: Invoke, french) -> None:
    csv_file, mapping = french
    before, log = snapshot(store), git(store, "log", "--format=%H")
    code, report, _ = run_import(
        in_store, "people", str(csv_file), "--mapping", str(mapping), "--dry-run"
    )
    assert (
        code == 0
        and report["counts"]["create"] == 3
        and report["dry_run"]
        and not report["written"]
    )
    assert all(r["case_id"] is None for r in report["rows"])
    assert snapshot(store) == before and git(store, "log", "--format=%H") == log
    table = in_store(
        "import", "people", str(csv_file), "--mapping", str(mapping), "--dry-run"
    ).stdout
    assert "3 create" in table and "dry run: nothing written" in table


@pytest.mark.parametrize(
    ("lines", "code", "expected"),
    [
        ([], 2, "the file is empty"),
        (
            ["given_name,family_name,birth_date,sex,programme,start,referent"],
            2,
            "no data rows under the header",
        ),
        (
            ["given_name,family_name,sex,programme,start,referent", "A,B,F,cej,2026-09-07,x"],
            2,
            "missing required column(s) for people: birth_date",
        ),
        (["given_name,given_name", "A,B"], 2, "the column 'given_name' appears twice"),
    ],
    ids=["empty", "header only", "missing column", "duplicate column"],
)
def test_bad_files_are_one_clear_error(
    store: Path, in_store: Invoke, tmp_path: Path, lines: list[str], code: int, expected: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(lines))
    before = snapshot(store)
    result = in_store("import", "people", str(path))
    assert result.exit_code == code
    assert expected in assert_one_line_error(result.stderr)
    assert snapshot(store) == before and git(store, "status", "--porcelain") == ""


def test_bad_rows_are_reported_per_row_and_nothing_is_written(
    store: Path, in_store: Invoke, tmp_path: Path
) -> None:
    path = write(tmp_path / "rows.csv", [
        "given_name,family_name,birth_date,sex,programme,start,referent,qualification_level",
        "Ana,Bel,2003-01-01,F,cej,2026-09-07,jdupont,2",        # fine
        "Cid,Dor,2003-01-01,M,cej,2026-09-07,jdupont",          # ragged: a cell missing
        "Eva,Fox,2003-01-01,F,cej,2026-09-07,jdupont,3,extra",  # ragged: a cell too many
        "Gil,Hue,2003-01-01,M,unknown,2026-09-07,jdupont,3",    # unknown programme
        "Ivo,Jay,31/02/2026,M,cej,2026-09-07,jdupont,3",        # impossible date
        "Kim,Lou,2003-01-01,X,cej,2026-09-07,jdupont,9",        # level out of range
    ])  # fmt: skip
    before = snapshot(store)
    code, report, _ = run_import(in_store, "people", str(path))
    assert code == 1
    rows = {r["line"]: r for r in report["rows"]}
    assert rows[2]["status"] == "create"
    assert (
        rows[3]["status"] == "error" and rows[3]["message"] == "the row has 7 cells, the header 8"
    )
    assert rows[4]["message"] == "the row has 9 cells, the header 8"
    assert (rows[5]["column"], rows[5]["message"]) == ("programme", "unknown programme 'unknown'")
    assert rows[6]["column"] == "birth_date" and "is not a date" in rows[6]["message"]
    assert (
        rows[7]["column"] == "situation.qualification_level"
        and "out of range" in rows[7]["message"]
    )
    assert snapshot(store) == before and git(store, "status", "--porcelain") == ""
    code, report, _ = run_import(in_store, "people", str(path), "--skip-invalid")
    assert (
        code == 0
        and report["written"]
        and report["counts"] == {"create": 1, "update": 0, "unchanged": 0, "error": 5}
    )


def test_contacts_and_activities_attach_by_case_id_or_external_id(
    store: Path, in_store: Invoke, enrol, tmp_path: Path
) -> None:
    first = enrol("--external-id", "france-travail=1234567A")
    second = enrol()
    contacts = write(tmp_path / "contacts.csv", [
        "case_id;france_travail_id;date;channel;minutes;note",
        f"{first.lower()};;08/09/2026;phone;20;",
        ";1234567A;15/09/2026;in-person;45;Bilan",
        f"{second};;08/09/2026;sms;5;",
        f"{second};;08/09/2026;sms;5;",                     # the same contact twice in the file
        "2026-ZZZZZ;;08/09/2026;sms;5;",                    # no such case
        ";9999999Z;08/09/2026;sms;5;",                      # no such external id
        f"{second};;01/09/2026;sms;5;",                     # before the enrolment
    ])  # fmt: skip
    code, report, _ = run_import(in_store, "contacts", str(contacts), "--skip-invalid")
    assert code == 0, report
    statuses = [(r["line"], r["status"], r["case_id"]) for r in report["rows"]]
    assert statuses[:4] == [
        (2, "create", first),
        (3, "create", first),
        (4, "create", second),
        (5, "unchanged", second),
    ]
    assert [r["message"] for r in report["rows"][4:]] == [
        "no case 2026-ZZZZZ",
        "no case has this france_travail_id",
        "2026-09-01 is before the enrolment start 2026-09-07",
    ]
    assert (
        git(store, "log", "-1", "--format=%s").strip()
        == "import contacts: 3 added from contacts.csv"
    )
    shown = cases(in_store)
    assert [c["note"] for c in shown[first]["contacts"] if "note" in c] == ["Bilan"]
    # Again: nothing added, no commit.
    log = git(store, "log", "--format=%H")
    code, report, _ = run_import(in_store, "contacts", str(contacts), "--skip-invalid")
    assert report["counts"]["create"] == 0 and report["counts"]["unchanged"] == 4
    assert git(store, "log", "--format=%H") == log

    sheet = write(tmp_path / "presence.csv", [
        "france_travail_id\tdate\thours\tkind\tstatus",
        "1234567A\t14/09/2026\t3,5\ttraining\tdone",
        "1234567A\t15/09/2026\t30\ttraining\tdone",       # more than 12 h
        "1234567A\t16/09/2026\t3\tkaraoke\tdone",         # unknown kind
        "1234567A\t17/09/2026\tabc\ttraining\tdone",      # not a number
    ])  # fmt: skip
    code, report, _ = run_import(in_store, "activities", str(sheet))
    assert code == 1
    assert [r["status"] for r in report["rows"]] == ["create", "error", "error", "error"]
    assert report["rows"][1]["message"] == "30 is more than 12 in one entry"
    code, report, _ = run_import(in_store, "activities", str(sheet), "--skip-invalid")
    assert code == 0
    assert without_ids(cases(in_store)[first]["activities"]) == [
        {"date": "2026-09-14", "hours": 3.5, "kind": "training", "status": "done"}
    ]


def test_the_templates_are_valid_mappings(in_store: Invoke, tmp_path: Path) -> None:
    from accomp.importers.mapping import load_mapping_file

    for kind in ("people", "contacts", "activities"):
        text = in_store("import", "template", kind).stdout
        assert f"kind: {kind}" in text
        path = tmp_path / f"{kind}.yaml"
        path.write_text(text)
        assert load_mapping_file(path)["kind"] == kind


def test_a_bad_mapping_file_is_one_clear_error(
    store: Path, in_store: Invoke, french, tmp_path: Path
) -> None:
    csv_file, _ = french
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: people\nfields:\n  family_name: {colum: Nom}\n")
    result = in_store("import", "people", str(csv_file), "--mapping", str(bad))
    assert result.exit_code == 2
    line = assert_one_line_error(result.stderr)
    assert "--mapping: " in line and "bad.yaml:3:" in line


# Interruptions ------------------------------------------------------------------


def test_a_decided_batch_is_finished_and_an_undecided_one_dropped(store: Path, enrol) -> None:
    case = enrol()
    opened = Store.open(store)
    root = store / ".accomp" / "journal"
    # Undecided: staged, no manifest. The next open drops it; the store is as before.
    undecided = journal.new_staging_folder(root)
    journal.stage(undecided, f"{case}.yaml", b"garbage")
    before = snapshot(store)
    Store.open(store)
    assert not undecided.exists() and snapshot(store) == before
    # Decided: the manifest exists, the process died before the renames. The next open finishes.
    decided = journal.new_staging_folder(root)
    text = opened.read_text(case).replace(
        "contacts: []", "contacts:\n  - {date: 2026-09-08, channel: sms, minutes: 1}"
    )
    journal.stage(decided, f"{case}.yaml", text.encode())
    journal.decide(
        decided,
        journal.Manifest([f"{case}.yaml"], "import contacts: 1 added from x.csv", None, True),
    )
    Store.open(store)
    assert not decided.exists()
    assert (store / f"{case}.yaml").read_text() == text
    assert git(store, "log", "-1", "--format=%s").strip() == "import contacts: 1 added from x.csv"
    assert git(store, "status", "--porcelain") == ""


def test_an_import_killed_half_way_leaves_the_store_as_before_or_after(
    store: Path, tmp_path: Path
) -> None:
    rows = ["given_name,family_name,birth_date,sex,programme,start,referent"]
    rows += [f"P{i},Q{i},2003-01-01,F,cej,2026-09-07,jdupont" for i in range(300)]
    path = write(tmp_path / "many.csv", rows)
    env = {**os.environ, "ACCOMP_TODAY": "2026-11-20"}
    command = [
        sys.executable,
        "-m",
        "accomp",
        "--store",
        str(store),
        "import",
        "people",
        str(path),
        "--no-commit",
    ]
    outcomes = set()
    for delay in (0.6, 1.2, 2.0, 3.0, 4.5):
        before = {p.name for p in store.glob("2*.yaml")}
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        opened = Store.open(store)  # recovery runs here
        after = {p.name for p in store.glob("2*.yaml")}
        assert after == before or len(after - before) == 300, (delay, len(after - before))
        outcomes.add("after" if after != before else "before")
        assert all(record.document is not None for record in opened.iter_cases())
        assert not list((store / ".accomp" / "journal").glob("*"))
        for created in after - before:
            (store / created).unlink()  # start the next round from the same store
    assert "before" in outcomes  # at least one kill landed while staging


def test_a_row_with_several_problems_reports_each_with_its_column(
    store: Path, in_store: Invoke, tmp_path: Path
) -> None:
    path = write(tmp_path / "rows.csv", [
        "given_name,family_name,birth_date,sex,programme,start,referent,qpv",
        "Ivo,Jay,31/02/2003,Q,cej,2026-09-07,jdupont,perhaps",  # a bad date, sex and QPV value
        "Ana,Bel,2003-01-01,F,cej,2026-09-07,jdupont,yes",
    ])  # fmt: skip
    code, report, _ = run_import(in_store, "people", str(path))
    assert code == 1
    problems = [(r["column"], r["status"]) for r in report["rows"] if r["line"] == 2]
    assert [column for column, _ in problems] == ["birth_date", "sex", "qpv"]
    assert {status for _, status in problems} == {"error"}
    assert report["counts"]["error"] == 1  # one row in error, with three problems


def test_a_zip_bomb_workbook_is_refused_from_its_directory_with_little_memory(
    store: Path, tmp_path: Path
) -> None:
    import os
    import subprocess
    import sys
    import zipfile

    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/sharedStrings.xml", "w") as member:  # 300 MB of one cell
            chunk = b"A" * (1024 * 1024)
            for _ in range(300):
                member.write(chunk)
    assert bomb.stat().st_size < 2 * 1024 * 1024
    probe = (
        "import resource, subprocess, sys\n"
        "r = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        "print(r.stderr, file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, sys.executable, "-m", "accomp", "--store", str(store),
         "import", "people", str(bomb)],
        capture_output=True, text=True, env={**os.environ},
    )  # fmt: skip
    code, peak_kb = result.stdout.split()
    assert int(code) == 2
    assert int(peak_kb) < 100 * 1024  # under 100 MB
    assert "unpacks to 300 MB" in result.stderr and "ACCOMP_IMPORT_MAX_MB" in result.stderr
    assert len([line for line in result.stderr.splitlines() if line.strip()]) == 1


# Issue 15, item 6: a mapping file whose values look like regular expressions or formulas.
HOSTILE_MAPPING = """kind: people
fields:
  family_name: Nom
  given_name: Prénom
  birth_date: {{column: "(a+)+$", date_format: "{date_format}"}}
  sex: {{column: Sexe, values: {{"=CMD()": F, ".*": M}}}}
  programme: {{constant: cej}}
  start: {{column: Date, date_format: "%d/%m/%Y"}}
  referent: {{constant: jdupont}}
"""


def test_a_mapping_whose_values_look_like_patterns_or_formulas_is_read_literally(
    store: Path, in_store: Invoke, tmp_path: Path
) -> None:
    people = tmp_path / "people.csv"
    people.write_text(
        "Nom,Prénom,(a+)+$,Sexe,Date\n"
        "Dupont,Léa,01/05/2003,=CMD(),07/09/2026\n"
        "Martin,Yanis,02/06/2004,.*,07/09/2026\n",
        encoding="utf-8",
    )
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(HOSTILE_MAPPING.format(date_format="%d/%m/%Y"), encoding="utf-8")
    started = time.perf_counter()
    result = in_store(
        "import", "people", str(people), "--mapping", str(mapping), "--format", "json"
    )
    assert result.exit_code == 0, result.stderr
    assert time.perf_counter() - started < 30  # `(a+)+$` is a header, never a pattern
    rows = json.loads(in_store("export", "cases", "--format", "json").stdout)
    assert sorted((r["family_name"], r["sex"], r["birth_date"]) for r in rows) == [
        ("Dupont", "F", "2003-05-01"), ("Martin", "M", "2004-06-02")
    ]  # fmt: skip
    # A header that a pattern would match, but is not the same text, is not the column.
    other = tmp_path / "other.csv"
    other.write_text("Nom,Prénom,aaaaaaaaaaaaaaaaaaaaaaaaaaaa!,Sexe,Date\nX,Y,01/05/2003,=CMD(),"
                     "07/09/2026\n", encoding="utf-8")  # fmt: skip
    before = snapshot(store)
    missing = in_store("import", "people", str(other), "--mapping", str(mapping))
    assert missing.exit_code == 2
    assert "(a+)+$" in assert_one_line_error(missing.stderr)
    # A date format that looks like a pattern is a format: each row says it is no date.
    mapping.write_text(HOSTILE_MAPPING.format(date_format=".*(a+)+$"), encoding="utf-8")
    refused = in_store("import", "people", str(people), "--mapping", str(mapping), "--format",
                       "json")  # fmt: skip
    assert refused.exit_code == 1
    report = json.loads(refused.stdout)
    assert report["written"] is False and report["counts"]["error"] == 2
    assert {row["column"] for row in report["rows"] if row["status"] == "error"} == {"(a+)+$"}
    assert snapshot(store) == before
