"""The funders' figures by their own definitions, rebuilt through the CLI from the seeds.

Seed 002 (CIVIS renforcé, 2014): 187 young people entered, 157 without
qualification (infra V) and 30 at level V or above, 40 % from a QPV; the
objective is that at least 50 % **of the young people** reach durable
employment, "CDI or CDD over 6 months, excluding subsidised contracts of the
non-market sector". Seed 000 counts the people accompanied in a year,
including those who started before it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Invoke, git

CIVIS_MAPPING = """\
kind: people
fields:
  family_name: Nom
  given_name: Prénom
  birth_date: {column: Naissance, date_format: "%d/%m/%Y"}
  sex: {column: Sexe, values: {F: F, M: M}}
  programme: {constant: civis-renforce}
  start: {column: Entrée, date_format: "%d/%m/%Y"}
  referent: Conseiller
  qpv: {column: QPV, values: {Oui: true, Non: false}}
  qualification_level: {column: Niveau, values: {VI: 1, V bis: 2, V: 3, IV: 4}}
"""
ENTRIES, INFRA_V, QPV = 187, 157, 75
# The exits of the period: (outcome, contract months), as the seed's definition must tell apart.
EXITS = [
    *[("cdi", None)] * 4,
    *[("cdd", 6)] * 3,  # exactly 6 months: not "over 6 months"
    *[("cdd", 7)] * 2,
    *[("subsidised-non-market", 12)] * 2,  # excluded by the seed
    ("subsidised-market", 12),
    ("moved-away", None),
]


def _people_rows() -> list[str]:
    rows = ["Nom;Prénom;Naissance;Sexe;Entrée;Conseiller;QPV;Niveau"]
    for n in range(ENTRIES):
        level = ("VI", "V bis")[n % 2] if n < INFRA_V else ("V", "IV")[n % 2]
        qpv = "Oui" if n % 5 < 2 and n < 185 else "Non"  # 2 in 5: 74 of the first 185 …
        qpv = "Oui" if n == 185 else qpv  # … and one more: 75
        start = f"{(n % 28) + 1:02d}/{(n % 12) + 1:02d}/2014"
        rows.append(
            f"Jeune{n:03d};Prénom{n:03d};01/06/1995;{'FM'[n % 2]};{start};jdupont;{qpv};{level}"
        )
    return rows


@pytest.fixture
def civis(in_store: Invoke, store: Path, tmp_path: Path) -> list[str]:
    """The seed's 187 entries imported, and the exits recorded one by one; the case ids."""
    mapping = tmp_path / "civis.yaml"
    mapping.write_text(CIVIS_MAPPING, encoding="utf-8")
    people = tmp_path / "civis-2014.csv"
    people.write_text("\n".join(_people_rows()) + "\n", encoding="utf-8")
    result = in_store("import", "people", str(people), "--mapping", str(mapping))
    assert result.exit_code == 0, result.stderr
    ids = sorted(path.stem for path in store.glob("2014-*.yaml"))
    assert len(ids) == ENTRIES
    for case_id, (outcome, months) in zip(ids, EXITS, strict=False):
        args = ["exit", case_id, "--date", "2015-06-30", "--outcome", outcome]
        if months is not None:
            args += ["--contract-months", str(months)]
        exited = in_store(*args)
        assert exited.exit_code == 0, exited.stderr
    return ids


def _summary(in_store: Invoke, *args: str) -> dict:
    result = in_store("summary", "--from", "2014-01-01", "--to", "2015-12-31", *args,
                      "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_civis_counts_durable_employment_by_its_own_definition_and_base(
    in_store: Invoke, civis: list[str]
) -> None:
    figures = _summary(in_store, "--programme", "civis")
    assert figures["cohorts"] == {"accompanied": 187, "entered": 187, "exited": 13,
                                  "active_at_end": 174}  # fmt: skip
    # CDI 4, CDD of 7 months 2, market subsidised of 12 months 1: 7 of the 187 young people.
    # Not the CDD of exactly 6 months, not the non-market subsidised contracts.
    civis_rates = figures["rates_by_programme"]["civis-renforce"]
    assert civis_rates["durable_employment"] == {"count": 7, "base": "accompanied", "of": 187,
                                                 "rate": round(7 / 187, 4)}  # fmt: skip
    assert figures["durable_employment_rate"] == round(7 / 187, 4)
    assert figures["rate_bases"]["durable_employment_rate"] == "accompanied"
    assert "CDD over 6 months" in civis_rates["definition"]
    assert figures["exits"]["by_category"] == {"durable-employment": 7,
                                               "transition-employment": 5,
                                               "positive-exit": 0, "other": 1}  # fmt: skip
    assert figures["shares"]["qpv"] == round(QPV / ENTRIES, 4)  # 40 %
    by_level = _summary(in_store, "--by", "qualification-group")
    assert {group: s["cases"] for group, s in by_level.items()} == {"V-and-above": 30,
                                                                   "infra-V": 157}  # fmt: skip
    text = in_store("summary", "--from", "2014-01-01", "--to", "2015-12-31").stdout
    assert "durable employment rate (of accompanied)" in text
    assert "7 of 187 accompanied: 3.7 %" in text


def test_the_same_store_under_another_definition_gives_the_other_figure(
    in_store: Invoke, store: Path, civis: list[str]
) -> None:
    settings = store / "accomp.yaml"
    text = settings.read_text(encoding="utf-8")
    assert text.count("  more_than_months: 6\n") == 1 and text.count("rate_base: accompanied") == 1
    # The common FSE+/CEJ reading: a CDD of 6 months or more counts, over the exits.
    settings.write_text(
        text.replace("  more_than_months: 6\n", "  at_least_months: 6\n").replace(
            "rate_base: accompanied", "rate_base: exits"
        ),
        encoding="utf-8",
    )
    git(store, "commit", "-qam", "settings: the common reading of durable employment")
    figures = _summary(in_store, "--programme", "civis")
    # Now the 3 CDD of exactly 6 months count too: 10 of the 13 exits.
    assert figures["durable_employment_rate"] == round(10 / 13, 4)
    assert figures["rate_bases"]["durable_employment_rate"] == "exits"
    # And the export's category follows the programme's definition.
    exported = json.loads(in_store("export", "cases", "--format", "json").stdout)
    categories = sorted(row["exit_category"] for row in exported if row["exit_category"])
    assert categories.count("durable-employment") == 10


def test_a_definition_with_both_comparisons_is_refused(in_store: Invoke, store: Path) -> None:
    settings = store / "accomp.yaml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(
        text.replace(
            "  more_than_months: 6\n", "  more_than_months: 6\n        at_least_months: 6\n"
        ),
        encoding="utf-8",
    )
    result = in_store("validate", "accomp.yaml")
    assert result.exit_code != 0
    assert "accomp.yaml" in result.stderr + result.stdout
    assert (
        "give one of at_least_months or more_than_months, not both" in result.stderr + result.stdout
    )
    assert "Traceback" not in result.stderr


def test_accompanied_in_a_year_counts_those_who_started_before_it(in_store: Invoke, enrol) -> None:  # type: ignore[no-untyped-def]
    """Seed 000's reading: the people accompanied in 2021 include those started in 2019-2020."""
    started = {"2019-03-04": "individual", "2020-06-01": "individual", "2020-11-02": "club",
               "2021-02-01": "individual", "2021-09-06": "club", "2022-01-03": "individual"}  # fmt: skip
    ids = {}
    for day, modality in started.items():
        ids[day] = enrol("--programme", "plie", "--birth-date", "1985-01-01", "--start", day,
                         "--modality", modality)  # fmt: skip
    assert (
        in_store("exit", ids["2019-03-04"], "--date", "2020-12-31", "--outcome", "cdi").exit_code
        == 0
    )
    assert (
        in_store(
            "exit", ids["2020-06-01"], "--date", "2021-01-15", "--outcome", "moved-away"
        ).exit_code
        == 0
    )
    result = in_store("summary", "--year", "2021", "--format", "json")
    assert result.exit_code == 0, result.stderr
    figures = json.loads(result.stdout)
    # Accompanied: 2020-06-01 (exited in 2021), 2020-11-02, 2021-02-01, 2021-09-06.
    assert figures["cohorts"] == {"accompanied": 4, "entered": 2, "exited": 1, "active_at_end": 3}
    assert figures["by_modality"] == {"club": 2, "individual": 2}


def test_a_cross_table_counts_everyone_once_with_totals_and_unknowns(
    in_store: Invoke, enrol
) -> None:  # type: ignore[no-untyped-def]
    """--by twice: people accompanied by programme and qualification group, computed by hand."""
    people = [("cej", "F", "1"), ("cej", "M", "4"), ("cej", "F", None), ("plie", "M", "2")]
    for programme, sex, level in people:
        extra = ["--qualification-level", level] if level else []
        birth = "2003-01-01" if programme == "cej" else "1985-01-01"
        enrol("--programme", programme, "--sex", sex, "--birth-date", birth, *extra)
    result = in_store("summary", "--year", "2026", "--by", "programme",
                      "--by", "qualification-group", "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    table = json.loads(result.stdout)
    assert table["by"] == ["programme", "qualification-group"]
    assert table["counts"] == {
        "cej": {"V-and-above": 1, "infra-V": 1, "unknown": 1, "total": 3},
        "plie": {"V-and-above": 0, "infra-V": 1, "unknown": 0, "total": 1},
        "total": {"V-and-above": 1, "infra-V": 2, "unknown": 1, "total": 4},
    }
    assert table["shares"]["total"]["infra-V"] == 0.5
    csv_text = in_store("summary", "--year", "2026", "--by", "programme",
                        "--by", "qualification-group", "--format", "csv").stdout  # fmt: skip
    assert "cej,unknown,1,0.25" in csv_text.splitlines()
    refused = in_store("summary", "--by", "sex", "--by", "qpv", "--by", "programme")
    assert refused.exit_code == 2 and "at most twice" in refused.stderr


SEED_000 = {"individual": 5_760, "club": 196}  # 5,956 people accompanied in 2021


def test_seed_000_accompanied_in_2021_counts_those_started_in_2018_to_2020(
    in_store: Invoke, store: Path, tmp_path: Path
) -> None:
    """Seed 000 rebuilt through an import: 5,956 people accompanied in 2021, 5,760 in the
    individual modality and 196 in the club; a fifth started in 2018-2020, and 40 more
    started in 2022 (not accompanied in 2021). "Accompanied" and "entered" differ."""
    modalities = ["club"] * SEED_000["club"] + ["individual"] * SEED_000["individual"]
    rows = ["given_name,family_name,birth_date,sex,programme,start,referent,modality"]
    entered_2021 = 0
    for n, modality in enumerate([*modalities, *["individual"] * 40]):
        if n >= len(modalities):
            start = f"2022-{n % 12 + 1:02d}-03"
        elif n % 5 == 0:
            start = f"{2018 + n % 3}-{n % 12 + 1:02d}-{n % 28 + 1:02d}"
        else:
            start = f"2021-{n % 12 + 1:02d}-{n % 28 + 1:02d}"
            entered_2021 += 1
        rows.append(f"P{n:05d},Q{n:05d},1980-01-01,{'FM'[n % 2]},plie,{start},jdupont,{modality}")
    people = tmp_path / "seed-000.csv"
    people.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = in_store("import", "people", str(people))
    assert result.exit_code == 0, result.stderr
    summary = in_store("summary", "--year", "2021", "--format", "json")
    assert summary.exit_code == 0, summary.stderr
    figures = json.loads(summary.stdout)
    assert figures["cohorts"]["accompanied"] == 5_956
    assert figures["cohorts"]["entered"] == entered_2021 < 5_956
    assert figures["by_modality"] == SEED_000
    by_quarter = json.loads(
        in_store("summary", "--year", "2021", "--by", "entry-quarter", "--format", "json").stdout
    )
    assert sum(group["cases"] for group in by_quarter.values()) == 5_956
    assert any(quarter.startswith("2018") for quarter in by_quarter)


def test_barriers_count_a_person_in_each_theme_and_totals_count_people_once(
    in_store: Invoke, enrol
) -> None:  # type: ignore[no-untyped-def]
    people = [(6, ["mobility:high", "housing"]), (14, ["mobility"]), (30, [])]
    for months, barriers in people:
        case_id = enrol(
            "--unemployment-months", str(months), "--labour-market-status", "unemployed"
        )
        if barriers:
            args = [arg for barrier in barriers for arg in ("--barrier", barrier)]
            assert in_store("diagnostic", case_id, "--date", "2026-09-01", *args).exit_code == 0
    result = in_store("summary", "--year", "2026", "--by", "barrier",
                      "--by", "unemployment-duration", "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    counts = json.loads(result.stdout)["counts"]
    bands = ("12-23-months", "24-months-and-over", "under-12-months")
    assert {
        row: [counted[b] for b in bands] + [counted["total"]] for row, counted in counts.items()
    } == {
        "housing": [0, 0, 1, 1],
        "mobility": [1, 0, 1, 2],
        "none": [0, 1, 0, 1],
        "total": [1, 1, 1, 3],  # three people, not four
    }
    by_barrier = json.loads(in_store("summary", "--year", "2026", "--by", "barrier",
                                     "--format", "json").stdout)  # fmt: skip
    assert {theme: s["cases"] for theme, s in by_barrier.items()} == {
        "housing": 1,
        "mobility": 2,
        "none": 1,
    }
