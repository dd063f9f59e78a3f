"""Exits, the cohort summary, the FSE+ indicators and exports, on a cohort built through the CLI.

The cohort (today is 2026-11-20; the period is the first half of 2026):
  A  CEJ, F, 22 at entry, QPV, level 2, barrier mobility; started 2025-10-06 (before the
     period), exited 2026-03-02 into a CDI (durable); contacts 2025-10-06 and 2026-01-15;
     3 h of training on 2026-03-02; 200 EUR on 2025-12-01; follow-up 2026-09-10: CDI.
  B  intensive support, M, 35, not QPV, level 4, unemployed 14 months; started 2026-02-02;
     contacts 02-02 (60 min) and 02-10 (30 min); 3 × 5 h training in week 6; 100 EUR on 03-01.
  C  CEJ by disability, X, 27, club; started 2026-03-02, 3 × 4 h in week 10, a 0-minute video
     contact on 03-02 (its note looks like a formula); exited 2026-05-29 into a 3-month CDD.
  D  PLIE, started 2026-08-03: after the period.
  E  RSA coaching, 2025-01-06 to 2025-12-15: before the period.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from accomp.domain.outcomes import STORE_DEFINITION
from tests.conftest import DEMO_STORE, Invoke, git, snapshot, without_ids
from tests.test_bad_input import assert_one_line_error

PERIOD = ["--from", "2026-01-01", "--to", "2026-06-30"]

PEOPLE = {
    "A": ["--given-name", "Amélie", "--family-name", "Brûlé-Quintard", "--birth-date", "2003-03-01",
          "--sex", "F", "--programme", "cej", "--start", "2025-10-06", "--referent", "jdupont",
          "--qpv", "--qualification-level", "2", "--email", "amelie.bq@example.invalid"],
    "B": ["--given-name", "Bastien", "--family-name", "Crémieux-Vantard", "--birth-date", "1990-05-05",
          "--sex", "M", "--programme", "intensive-2025", "--start", "2026-02-02", "--referent", "mmartin",
          "--no-qpv", "--qualification-level", "4", "--planned-end", "2027-01-31",
          "--labour-market-status", "unemployed", "--unemployment-months", "14",
          "--phone", "+33 6 12 34 56 78", "--external-id", "nir=190057512345612"],
    "C": ["--given-name", "Cyrille", "--family-name", "Dombasle-Ourcq", "--birth-date", "1999-01-10",
          "--sex", "X", "--programme", "cej", "--start", "2026-03-02", "--referent", "jdupont",
          "--disability", "--modality", "club"],
    "D": ["--given-name", "Delphine", "--family-name", "Esquerré-Lamotte", "--birth-date", "1980-06-01",
          "--sex", "F", "--programme", "plie", "--start", "2026-08-03", "--referent", "mmartin"],
    "E": ["--given-name", "Eudes", "--family-name", "Fontvieille-Sarran", "--birth-date", "1970-01-01",
          "--sex", "M", "--programme", "rsa-coaching", "--start", "2025-01-06", "--referent", "mmartin"],
}  # fmt: skip
SECRETS = ["Amélie", "Brûlé-Quintard", "Bastien", "Crémieux-Vantard", "Cyrille", "Dombasle-Ourcq",
           "Delphine", "Esquerré-Lamotte", "Eudes", "Fontvieille-Sarran", "amelie.bq@example.invalid",
           "+33 6 12 34 56 78", "190057512345612", "2003-03-01", "1990-05-05", "1999-01-10",
           "1980-06-01", "1970-01-01"]  # fmt: skip


@pytest.fixture
def cohort(store: Path, in_store: Invoke) -> dict[str, str]:
    settings = store / "accomp.yaml"
    settings.write_text(
        settings.read_text()
        .replace("objectives: {}", "objectives: {entries: 3, durable_employment_rate: 0.5}")
        .replace("  cej:\n", "  cej:\n    objectives: {entries: 2, positive_exit_rate: 0.9}\n", 1)
    )
    git(store, "commit", "-qam", "objectives")
    ids = {}
    for name, args in PEOPLE.items():
        result = in_store("enrol", *args, "--no-input")
        assert result.exit_code == 0, result.stderr
        ids[name] = result.last_line
    a, b, c, e = ids["A"], ids["B"], ids["C"], ids["E"]
    steps = [
        ["diagnostic", a, "--date", "2025-10-06", "--barrier", "mobility:high", "--strength", "Punctual"],
        ["contact", "log", a, "--date", "2025-10-06", "--channel", "in-person", "--minutes", "60"],
        ["contact", "log", a, "--date", "2026-01-15", "--channel", "phone", "--minutes", "20"],
        ["allowance", "add", a, "--date", "2025-12-01", "--amount", "200"],
        ["activity", "log", a, "--date", "2026-03-02", "--hours", "3", "--kind", "training"],
        ["exit", a, "--date", "2026-03-02", "--outcome", "cdi", "--employer", "Entrepôt Exemple"],
        ["followup", a, "--date", "2026-09-10", "--situation", "cdi"],
        ["contact", "log", b, "--date", "2026-02-02", "--channel", "in-person", "--minutes", "60"],
        ["contact", "log", b, "--date", "2026-02-10", "--channel", "phone", "--minutes", "30"],
        *[["activity", "log", b, "--date", f"2026-02-0{d}", "--hours", "5", "--kind", "training"] for d in (2, 3, 4)],
        ["allowance", "add", b, "--date", "2026-03-01", "--amount", "100"],
        *[["activity", "log", c, "--date", f"2026-03-0{d}", "--hours", "4", "--kind", "workshop"] for d in (2, 3, 4)],
        ["contact", "log", c, "--date", "2026-03-02", "--channel", "video", "--minutes", "0",
         "--note", '=HYPERLINK("http://example.invalid")'],
        ["exit", c, "--date", "2026-05-29", "--outcome", "cdd", "--contract-months", "3"],
        ["exit", e, "--date", "2025-12-15", "--outcome", "moved-away"],
    ]  # fmt: skip
    for step in steps:
        result = in_store(*step)
        assert result.exit_code == 0, (step, result.stderr)
    return ids


def test_the_summary_of_a_period_computed_by_hand(in_store: Invoke, cohort: dict[str, str]) -> None:
    result = in_store("summary", *PERIOD, "--format", "json")
    assert result.exit_code == 0, result.stderr
    third = 0.3333
    assert json.loads(result.stdout) == {
        "cases": 3,  # A (started before, exited in), B, C; not D (after), not E (before)
        "entries": 2,  # B, C
        "active": 1,  # B on 2026-06-30
        "cohorts": {"accompanied": 3, "entered": 2, "exited": 2, "active_at_end": 1},
        "exits": {
            "total": 2,
            "by_outcome": {"cdd": 1, "cdi": 1},
            "by_category": {"durable-employment": 1, "transition-employment": 1, "positive-exit": 0, "other": 0},
        },
        "by_programme": {"cej": 2, "intensive-2025": 1},
        "by_modality": {"club": 1, "individual": 2},
        "by_referent": {"jdupont": 2, "mmartin": 1},
        "shares": {
            "qpv": third, "no_qualification": third, "women": third,
            "under_26": third, "age_26_29": third, "age_30_plus": third,
            "with_barrier": third, "barrier_mobility": third, "barrier_housing": 0.0,
            "barrier_health": 0.0, "barrier_family": 0.0, "barrier_language": 0.0,
            "barrier_digital": 0.0, "barrier_money": 0.0, "barrier_administrative": 0.0,
            "barrier_basic_skills": 0.0,
        },
        "durable_employment_rate": 0.5,
        "positive_exit_rate": 1.0,
        "rate_bases": {"durable_employment_rate": "exits", "positive_exit_rate": "exits"},
        # A (cdi) and C (cdd of 3 months) are cej's exits; B (intensive-2025) has none.
        # Both programmes follow the store's outcomes.
        "rates_by_programme": {
            "cej": {"definition": STORE_DEFINITION,
                    "durable_employment": {"count": 1, "base": "exits", "of": 2, "rate": 0.5},
                    "positive_exit": {"count": 2, "base": "exits", "of": 2, "rate": 1.0}},
            "intensive-2025": {"definition": STORE_DEFINITION,
                               "durable_employment": {"count": 0, "base": "exits", "of": 0, "rate": 0.0},
                               "positive_exit": {"count": 0, "base": "exits", "of": 0, "rate": 0.0}},
        },
        # Weeks wholly inside the period: A W02-W10 (9), B W06-W26 (21), C W10-W22 (13) = 43.
        # Met: A W10 (3 h against 3 h: the exit is on a Monday), B W06 (15 h + 1 h of contact).
        "hours": {"weeks_judged": 43, "weeks_met": 2, "compliance_rate": 0.0465, "median_realised_hours": 0.0},
        # 4 contacts (A 01-15, B 02-02 and 02-10, C 03-02) in 61 + 149 + 89 = 299 days = 9.823 months
        "contacts": {"total": 4, "by_channel": {"in-person": 1, "phone": 2, "video": 1},
                     "per_case_per_month": 0.41, "cadence_respected": 0.0},
        "allowances": {"total": 100.0, "beneficiaries": 1},
        "appointments": {"total": 0, "planned": 0, "done": 0, "missed": 0, "missed_excused": 0,
                         "cancelled": 0, "missed_rate": 0.0},
        # A: 147 days = 4.83 months, C: 88 days = 2.89 months; median 3.86
        "durations": {"median_months": 3.9, "past_max_duration": 0},
        "caseload": {"mmartin": {"cases": 1, "limit": 50, "over_limit": False}},
        "objectives": {
            "durable_employment_rate": {"achieved": 0.5, "target": 0.5, "gap": 0.0, "reached": True},
            "entries": {"achieved": 2, "target": 3, "gap": -1, "reached": False},
        },
        # cej's own objectives, with its cases alone: A and C, one entry (C), both exits positive.
        "objectives_by_programme": {
            "cej": {
                "entries": {"achieved": 1, "target": 2, "gap": -1, "reached": False},
                "positive_exit_rate": {"achieved": 1.0, "target": 0.9, "gap": 0.1, "reached": True},
            },
        },
        # On the period's last day B is in its pathway, A and C exited (closed: no follow-up).
        "phases_at_end": {"outreach": 0, "diagnostic": 0, "pathway": 1, "follow-up": 0,
                          "closed": 2},
        # No collective session in this store.
        "sessions": {"held": 0, "cancelled": 0, "places": 0, "registered": 0, "fill_rate": None,
                     "attendance_recorded": 0, "present": 0, "attendance_rate": None,
                     "hours_present": 0.0},
    }  # fmt: skip


def test_the_cadence_is_respected_in_a_short_period(
    in_store: Invoke, cohort: dict[str, str]
) -> None:
    # B: started 02-02, contacts 02-02 and 02-10, period ends 02-15: no gap over 14 days.
    result = in_store(
        "summary",
        "--from",
        "2026-02-02",
        "--to",
        "2026-02-15",
        "--programme",
        "intensive-2025",
        "--format",
        "json",
    )
    assert json.loads(result.stdout)["contacts"]["cadence_respected"] == 1.0


def test_filters_and_other_periods(in_store: Invoke, cohort: dict[str, str]) -> None:
    cej = json.loads(in_store("summary", *PERIOD, "--programme", "cej", "--format", "json").stdout)
    assert (cej["cases"], cej["entries"], cej["active"], cej["exits"]["total"]) == (2, 1, 0, 2)
    club = json.loads(in_store("summary", *PERIOD, "--modality", "club", "--format", "json").stdout)
    assert club["cases"] == 1 and club["shares"]["age_26_29"] == 1.0
    year = json.loads(in_store("summary", "--year", "2025", "--format", "json").stdout)
    # A (from 2025-10-06) and E (2025-01-06 to 2025-12-15)
    assert (year["cases"], year["entries"], year["active"]) == (2, 2, 1)
    assert year["exits"]["by_category"]["other"] == 1 and year["positive_exit_rate"] == 0.0
    assert year["allowances"] == {"total": 200.0, "beneficiaries": 1}
    empty = json.loads(in_store("summary", "--year", "2019", "--format", "json").stdout)
    assert (
        empty["cases"] == 0
        and empty["hours"]["compliance_rate"] == 0.0
        and empty["durations"]["median_months"] == 0.0
    )
    by = json.loads(in_store("summary", *PERIOD, "--by", "referent", "--format", "json").stdout)
    assert sorted(by) == ["jdupont", "mmartin"] and by["jdupont"]["cases"] == 2


def test_the_summary_for_people_has_readable_tables_and_no_names(
    in_store: Invoke, cohort: dict[str, str]
) -> None:
    for fmt in ("table", "markdown", "csv"):
        result = in_store("summary", *PERIOD, "--format", fmt)
        assert result.exit_code == 0
        assert not [s for s in SECRETS if s in result.stdout], fmt
    table = in_store("summary", *PERIOD).stdout
    assert re.search(r"\ndurable employment rate \(of exits\) +50\.0 %\n", table)
    assert re.search(
        r"\ncej +1 of 2 exits: 50\.0 % +2 of 2 exits: 100\.0 % +the store's outcomes", table
    )
    assert "Caseload per referent" in table and "Objectives" in table
    markdown = in_store("summary", *PERIOD, "--format", "markdown").stdout
    assert "## Weekly hours" in markdown and "| compliance rate" in markdown
    rows = list(csv.reader(io.StringIO(in_store("summary", *PERIOD, "--format", "csv").stdout)))
    assert ["exits.by_category.durable-employment", "1"] in rows


def test_fse_indicators_with_unknowns(in_store: Invoke, cohort: dict[str, str]) -> None:
    result = in_store(
        "summary", *PERIOD, "--indicators", "fse", "--show-missing", "--format", "json"
    )
    assert result.exit_code == 0, result.stderr
    fse = json.loads(result.stdout)
    entry = fse["entry"]
    zero = {"F": 0, "M": 0, "X": 0, "total": 0, "unknown": 0}
    assert entry["participants"] == {**zero, "M": 1, "X": 1, "total": 2}  # B and C entered
    assert entry["unemployed"] == {**zero, "M": 1, "total": 1, "unknown": 1}  # C: status not known
    assert entry["long_term_unemployed"] == {**zero, "M": 1, "total": 1, "unknown": 1}
    assert entry["age_18_29"] == {**zero, "X": 1, "total": 1}
    assert entry["isced_3_4"] == {**zero, "M": 1, "total": 1, "unknown": 1}
    assert entry["disability"] == {**zero, "X": 1, "total": 1, "unknown": 1}  # B: not stated
    assert entry["rural"] == {**zero, "unknown": 2}
    assert fse["exit"]["in_employment"] == {**zero, "F": 1, "X": 1, "total": 2}
    assert fse["exit"]["job_searching"] == zero
    # Six months after: only A's exit (2026-03-02) has reached six months; her follow-up says CDI.
    assert fse["six_months"]["participants"] == {**zero, "F": 1, "total": 1}
    assert fse["six_months"]["in_employment"] == {**zero, "F": 1, "total": 1}
    c = cohort["C"]
    assert {
        "case_id": c,
        "indicator": "unemployed",
        "field": "situation.labour_market_status",
    } in fse["missing"]
    assert len([m for m in fse["missing"] if m["indicator"] == "rural"]) == 2
    table = in_store("summary", *PERIOD, "--indicators", "fse", "--show-missing").stdout
    assert "unknown" in table and "Missing data" in table and c in table


def test_exports_open_in_csv_and_xlsx_and_neutralise_formulas(
    store: Path, tmp_path: Path, in_store: Invoke, cohort: dict[str, str]
) -> None:
    import openpyxl

    rows = list(csv.DictReader(io.StringIO(in_store("export", "cases").stdout)))
    assert [r["case_id"] for r in rows] == sorted(cohort.values())
    by_id = {r["case_id"]: r for r in rows}
    assert by_id[cohort["A"]]["exit_category"] == "durable-employment"
    assert by_id[cohort["B"]]["phone"] == "'+33 6 12 34 56 78"  # a leading + would run as a formula

    contacts = list(csv.DictReader(io.StringIO(in_store("export", "contacts").stdout)))
    assert [c["note"] for c in contacts if c["note"]] == ['\'=HYPERLINK("http://example.invalid")']

    weeks = json.loads(in_store("export", "weeks", "--format", "json").stdout)
    assert set(weeks[0]) == {
        "case_id",
        "week",
        "target_hours",
        "planned_hours",
        "realised_hours",
        "status",
    }

    out = tmp_path / "contacts.xlsx"
    assert in_store("export", "contacts", "--format", "xlsx", "--out", str(out)).exit_code == 0
    sheet = openpyxl.load_workbook(out).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0] == ["case_id", "date", "channel", "minutes", "mode", "by", "note"]
    formula_cells = [cell for row in sheet.iter_rows() for cell in row if cell.data_type == "f"]
    assert formula_cells == []
    assert '\'=HYPERLINK("http://example.invalid")' in [row[6] for row in values]
    assert in_store("export", "cases", "--format", "xlsx").exit_code == 2  # needs --out


def test_a_pseudonymised_export_holds_no_identifying_data(
    store: Path, tmp_path: Path, in_store: Invoke, cohort: dict[str, str]
) -> None:
    import openpyxl

    outputs = {}
    for what in ("cases", "weeks", "contacts"):
        for fmt in ("csv", "json"):
            result = in_store("export", what, "--format", fmt, "--pseudonymise")
            assert result.exit_code == 0, result.stderr
            outputs[f"{what}.{fmt}"] = result.stdout
        out = tmp_path / f"{what}.xlsx"
        assert (
            in_store(
                "export", what, "--format", "xlsx", "--pseudonymise", "--out", str(out)
            ).exit_code
            == 0
        )
        book = openpyxl.load_workbook(out)
        outputs[f"{what}.xlsx"] = "\n".join(
            str(c.value) for row in book.active.iter_rows() for c in row
        )
    for name, text in outputs.items():
        leaked = [s for s in SECRETS if s in text]
        assert leaked == [], name
        assert not [i for i in cohort.values() if i in text], name  # case ids are replaced too
    rows = list(csv.DictReader(io.StringIO(outputs["cases.csv"])))
    assert {r["birth_year"] for r in rows} == {"2003", "1990", "1999", "1980", "1970"}
    again = list(csv.DictReader(io.StringIO(in_store("export", "cases", "--pseudonymise").stdout)))
    assert [r["pseudonym"] for r in again] == [r["pseudonym"] for r in rows]  # stable: same key
    assert git(store, "status", "--porcelain") == ""  # the key is never committed
    assert git(store, "check-ignore", ".accomp/pseudonym.key").strip() == ".accomp/pseudonym.key"


def test_exit_rules_reopen_and_followup(store: Path, in_store: Invoke, enrol) -> None:
    case = enrol()
    before = snapshot(store)
    for args, expected in [
        (
            ["exit", case, "--date", "2026-10-01", "--outcome", "cdd"],
            "--contract-months: needed for a cdd exit",
        ),
        (
            ["exit", case, "--date", "2026-10-01", "--outcome", "lottery"],
            "unknown outcome 'lottery'",
        ),
        (["exit", case, "--date", "2026-12-01", "--outcome", "cdi"], "is in the future"),
        (["exit", case, "--date", "2026-09-01", "--outcome", "cdi"], "before the enrolment start"),
        (["followup", case, "--date", "2026-10-01", "--situation", "cdi"], "has no exit"),
        (["reopen", case, "--reason", "mistake"], "has no exit to undo"),
    ]:
        result = in_store(*args)
        assert result.exit_code == 2, args
        assert expected in assert_one_line_error(result.stderr)
    assert snapshot(store) == before

    assert (
        in_store(
            "exit", case, "--date", "2026-10-01", "--outcome", "interim", "--contract-months", "6"
        ).exit_code
        == 0
    )
    assert (
        git(store, "log", "-1", "--format=%s").strip()
        == f"exit {case}: interim on 2026-10-01 (durable-employment)"
    )
    again = in_store("exit", case, "--date", "2026-10-02", "--outcome", "cdi")
    assert "already exited on 2026-10-01" in assert_one_line_error(again.stderr)
    assert in_store("followup", case, "--date", "2026-09-30", "--situation", "cdi").exit_code == 2
    assert (
        in_store("followup", case, "--date", "2026-10-15", "--situation", "job-search").exit_code
        == 0
    )
    assert in_store("reopen", case, "--reason", "mistake").exit_code == 2  # follow-ups first
    other = enrol()
    assert (
        in_store("exit", other, "--date", "2026-10-01", "--outcome", "dropped-out").exit_code == 0
    )
    assert in_store("reopen", other, "--reason", "Exit typed on the wrong case").exit_code == 0
    shown = json.loads(in_store("show", other, "--format", "json").stdout)
    assert shown["exit"] is None
    assert without_ids(shown["reopenings"]) == [{"date": "2026-11-20", "reason": "Exit typed on the wrong case",
                                    "exit": {"date": "2026-10-01", "outcome": "dropped-out"}}]  # fmt: skip
    assert (
        git(store, "log", "-1", "--format=%s").strip()
        == f"reopen {other}: exit of 2026-10-01 undone"
    )


def test_a_case_past_its_programmes_maximum_is_a_warning(
    store: Path, in_store: Invoke, enrol
) -> None:
    case = enrol(
        "--programme", "intensive-2025", "--start", "2025-09-01", "--birth-date", "1990-01-01"
    )  # 12 months max
    result = in_store("validate", "--all")
    assert result.exit_code == 0
    assert (
        f"{case}.yaml" in result.stdout
        and "warning: the support lasts past the programme's maximum of 12 months" in result.stdout
    )
    summary = json.loads(in_store("summary", "--format", "json").stdout)
    assert summary["durations"]["past_max_duration"] == 1


def test_the_demo_summary(cli: Invoke) -> None:
    result = cli("--store", str(DEMO_STORE), "summary", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["cases"] == 4 and data["exits"]["total"] == 1


# Each grouping of `--by` on the hand-computed store: A (cej, F, 22 at entry, QPV, level 2,
# exit CDI), B (intensive-2025, M, 35, not QPV, level 4, unemployed 14 months, no exit),
# C (cej, X, 27, club, disability, exit CDD of 3 months); D and E are outside the period.
BY_HAND = {
    "programme": {"cej": 2, "intensive-2025": 1},
    "referent": {"jdupont": 2, "mmartin": 1},
    "modality": {"club": 1, "individual": 2},
    "prescriber": {"unknown": 3},
    "sex": {"F": 1, "M": 1, "X": 1},
    "qpv": {"not-qpv": 1, "qpv": 1, "unknown": 1},
    "disability": {"disability": 1, "unknown": 2},
    "labour-market-status": {"unemployed": 1, "unknown": 2},
    "unemployment-duration": {"12-23-months": 1, "unknown": 2},
    "barrier": {"mobility": 1, "none": 2},
    "age-band": {"26-29": 1, "30-44": 1, "under-26": 1},
    "qualification": {"level-2": 1, "level-4": 1, "unknown": 1},
    "qualification-group": {"V-and-above": 1, "infra-V": 1, "unknown": 1},
    "outcome-category": {"durable-employment": 1, "no-exit": 1, "transition-employment": 1},
    "exit-outcome": {"cdd": 1, "cdi": 1, "no-exit": 1},
    "entry-month": {"2025-10": 1, "2026-02": 1, "2026-03": 1},
    "entry-quarter": {"2025-Q4": 1, "2026-Q1": 2},
}


def test_every_grouping_of_by_counts_the_hand_computed_store(
    in_store: Invoke, cohort: dict[str, str]
) -> None:
    from accomp.domain.summary import GROUPINGS

    assert set(BY_HAND) == set(GROUPINGS)  # a new grouping needs its line here
    for by, expected in BY_HAND.items():
        result = in_store("summary", *PERIOD, "--by", by, "--format", "json")
        assert result.exit_code == 0, result.stderr
        assert {k: v["cases"] for k, v in json.loads(result.stdout).items()} == expected, by
        rows = list(csv.reader(io.StringIO(
            in_store("summary", *PERIOD, "--by", by, "--format", "csv").stdout)))  # fmt: skip
        assert {row[0] for row in rows[1:]} == set(expected), by  # the same keys in CSV


def test_the_summary_as_a_workbook_has_one_sheet_per_table(
    in_store: Invoke, cohort: dict[str, str], tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    out = tmp_path / "summary.xlsx"
    result = in_store("summary", *PERIOD, "--format", "xlsx", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    workbook = load_workbook(out, read_only=True)
    assert workbook.sheetnames[:3] == ["figures", "cohorts", "exits"]
    figures = {row[0]: row[1] for row in workbook["figures"].iter_rows(min_row=2, values_only=True)}
    assert figures["cases"] == 3 and figures["durable_employment_rate"] == 0.5
    exits = {row[0]: row[1] for row in workbook["exits"].iter_rows(min_row=2, values_only=True)}
    assert exits["by_category.durable-employment"] == 1
    cross = tmp_path / "cross.xlsx"
    assert in_store("summary", *PERIOD, "--by", "programme", "--by", "sex", "--format", "xlsx",
                    "--out", str(cross)).exit_code == 0  # fmt: skip
    counts = load_workbook(cross, read_only=True)["counts"]
    assert ("cej.total", 2) in list(counts.iter_rows(min_row=2, values_only=True))
    missing_out = in_store("summary", *PERIOD, "--format", "xlsx")
    assert missing_out.exit_code == 2 and "--out" in assert_one_line_error(missing_out.stderr)
