"""Commands on cases: enrol, show, list."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any, Literal

import typer

from accomp.cli import app
from accomp.cli.common import (
    AS_OPTION,
    CASE_ARGUMENT,
    FORMAT_OPTION,
    NO_COMMIT_OPTION,
    after_write,
    author,
    case_parts,
    clean_note,
    date_option,
    echo_text,
    editing,
    open_store,
    programme_option,
    required_date,
    valid_cases,
)
from accomp.domain.checks import birth_date_problem
from accomp.domain.corrections import CORRECTABLE, counted, is_voided
from accomp.domain.enrolment import EXTERNAL_ID_KINDS, NewCase, NotEligible, build_case
from accomp.domain.phases import current_phase
from accomp.domain.rows import LIST_COLUMNS, list_row
from accomp.errors import UsageError
from accomp.render import (
    Format,
    join_rows_parts,
    render_mapping,
    render_rows,
    render_rows_part,
    to_json,
)
from accomp.resources import schema_choices
from accomp.store import yamlio

# The prompts `enrol` asks on a terminal for the required fields left out.
REQUIRED_PROMPTS = {
    "given_name": "Given name",
    "family_name": "Family name",
    "birth_date": "Birth date (YYYY-MM-DD)",
    "sex": "Sex (F, M, X)",
    "programme": "Programme",
    "start": "Start of the contract (YYYY-MM-DD)",
    "referent": "Referent",
}


def _choices(*path: str) -> Any:
    """A Literal type of the choices the schema allows at `path` (typer offers them)."""
    return Literal[tuple(schema_choices("casefile", *path))]  # type: ignore[valid-type]


Sex = _choices("identity", "sex")
Modality = _choices("enrolment", "modality")
Prescriber = _choices("enrolment", "prescriber")
LabourMarketStatus = _choices("situation", "labour_market_status")
Housing = _choices("situation", "housing")
NationalityGroup = _choices("situation", "nationality_group")
ShowFormat = Literal["yaml", "json", "table"]


@app.command()
def enrol(
    ctx: typer.Context,
    given_name: str | None = typer.Option(None, help="Given name."),
    family_name: str | None = typer.Option(None, help="Family name."),
    birth_date: str | None = typer.Option(None, help="Birth date, YYYY-MM-DD."),
    sex: Sex | None = typer.Option(None, help="F, M or X."),
    programme: str | None = typer.Option(
        None,
        help="Programme from accomp.yaml: its id, an alias or a prefix (cej, rsa, civis, plie, "
        "intensive with the defaults; `accomp programmes` lists the store's, with their labels).",
    ),
    start: str | None = typer.Option(None, help="Start of the contract, YYYY-MM-DD."),
    referent: str | None = typer.Option(None, help="The referent's id."),
    modality: Modality = typer.Option("individual", help="individual or club."),
    prescriber: Prescriber | None = typer.Option(None, help="Who referred the person."),
    planned_end: str | None = typer.Option(None, help="Planned end of the contract, YYYY-MM-DD."),
    contract_signed: str | None = typer.Option(None, help="Date the contract was signed."),
    weekly_hours: float | None = typer.Option(
        None, min=0, max=35, help="Weekly target hours (default: the programme's)."
    ),
    phone: str | None = typer.Option(None, help="Phone number."),
    email: str | None = typer.Option(None, help="E-mail address."),
    postcode: str | None = typer.Option(None, help="Postcode."),
    city: str | None = typer.Option(None, help="City."),
    external_id: list[str] = typer.Option(
        [],
        metavar="KIND=VALUE",
        help="External id: france-travail=…, department=…, nir=… (repeatable).",
    ),
    qualification_level: int | None = typer.Option(
        None, min=1, max=8, help="Qualification level 1-8 (2019 framework; 1-2: infra V)."
    ),
    qpv: bool | None = typer.Option(
        None, "--qpv/--no-qpv", help="Lives in a priority neighbourhood (QPV)."
    ),
    labour_market_status: LabourMarketStatus | None = typer.Option(None, help="Status at entry."),
    unemployment_months: int | None = typer.Option(
        None, min=0, max=600, help="Months unemployed at entry."
    ),
    disability: bool | None = typer.Option(
        None, "--disability/--no-disability", help="Recognised disability (RQTH)."
    ),
    housing: Housing | None = typer.Option(None, help="Housing at entry."),
    nationality_group: NationalityGroup | None = typer.Option(None, help="FR, EU or non-EU."),
    force: bool = typer.Option(
        False, "--force", help="Enrol even if the programme's rules refuse."
    ),
    reason: str | None = typer.Option(None, help="Why --force is used (recorded in the case)."),
    no_input: bool = typer.Option(
        False, "--no-input", help="Never prompt; fail on missing fields."
    ),
    as_: str | None = AS_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
) -> None:
    """Enrol a person: create a case file. Prints the new case id on the last line."""
    store = open_store(ctx)
    given = {
        "given_name": given_name,
        "family_name": family_name,
        "birth_date": birth_date,
        "sex": sex,
        "programme": programme,
        "start": start,
        "referent": referent,
    }
    _ask_missing(given, no_input)
    if force and not reason:
        raise UsageError("--force needs --reason TEXT (it is recorded in the case)")
    if reason and not force:
        raise UsageError("--reason goes with --force")
    settings = store.settings
    given["programme"] = programme_option(store, str(given["programme"]))
    if settings.referent_ids and given["referent"] not in settings.referent_ids:
        known = ", ".join(settings.referent_ids)
        raise UsageError(f"--referent: unknown referent {given['referent']!r} (known: {known})")
    new = NewCase(
        given_name=_text("--given-name", given["given_name"]),
        family_name=_text("--family-name", given["family_name"]),
        birth_date=date_option("--birth-date", given["birth_date"], sensitive=True),  # type: ignore[arg-type]
        sex=_check_choice("--sex", given["sex"], ("identity", "sex")),
        programme=given["programme"],  # type: ignore[arg-type]
        start=date_option("--start", given["start"]),  # type: ignore[arg-type]
        referent=_text("--referent", given["referent"]),
        modality=modality,
        prescriber=prescriber,
        planned_end=date_option("--planned-end", planned_end),
        contract_signed=date_option("--contract-signed", contract_signed),
        weekly_target_hours=weekly_hours,
        phone=phone,
        email=email,
        postcode=postcode,
        city=city,
        external_ids=_external_ids(external_id),
        qualification_level=qualification_level,
        qpv=qpv,
        labour_market_status=labour_market_status,
        unemployment_months=unemployment_months,
        disability_recognition=disability,
        housing=housing,
        nationality_group=nationality_group,
        override_reason=reason if force else None,
    )
    implausible = birth_date_problem(new.birth_date, new.start, store.today)
    if implausible:
        raise UsageError(f"--birth-date: {implausible}")
    try:
        document = build_case(new, settings, store.today)
    except NotEligible as exc:
        raise UsageError(
            f"not eligible for {new.programme}: {exc} (use --force --reason TEXT to enrol anyway)"
        ) from None
    with store.transaction("enrol", author(as_), commit=not no_commit) as tx:
        case_id = tx.create(new.start.year, document)
        forced = ", eligibility forced" if force else ""
        tx.message = f"enrol {case_id}: {new.programme}, referent {new.referent}{forced}"
    after_write(store, no_commit)
    if not settings.referent_ids and store.first_time("referents-notice"):
        typer.echo(
            "accomp: note: accomp.yaml lists no referents, so any referent id is accepted; "
            "declare them with `accomp referent add ID --name NAME`",
            err=True,
        )
    typer.echo(case_id)


def _ask_missing(given: dict[str, Any], no_input: bool) -> None:
    missing = [name for name, value in given.items() if value in (None, "")]
    if not missing:
        return
    if no_input or not sys.stdin.isatty():
        options = ", ".join("--" + name.replace("_", "-") for name in missing)
        raise UsageError(f"missing required options: {options}")
    for name in missing:
        given[name] = typer.prompt(REQUIRED_PROMPTS[name]).strip()


def _text(option: str, value: str | None) -> str:
    text = (value or "").strip()
    if not text:
        raise UsageError(f"{option}: must not be empty")
    if not text.isprintable():
        raise UsageError(f"{option}: contains control characters")
    return text


def _check_choice(option: str, value: str | None, path: tuple[str, ...]) -> str:
    choices = schema_choices("casefile", *path)
    if value not in choices:
        raise UsageError(f"{option}: must be one of {', '.join(choices)}")
    return value  # type: ignore[return-value]


def _external_ids(values: list[str]) -> dict[str, str]:
    ids: dict[str, str] = {}
    for value in values:
        kind, sep, ident = value.partition("=")
        if not sep or kind not in EXTERNAL_ID_KINDS or not ident.strip():
            kinds = ", ".join(EXTERNAL_ID_KINDS)
            raise UsageError(f"--external-id: expected KIND=VALUE with KIND one of {kinds}")
        ids[kind] = ident.strip()
    return ids


@app.command()
def show(
    ctx: typer.Context,
    case_id: str = CASE_ARGUMENT,
    fmt: ShowFormat = typer.Option("yaml", "--format", "-f", help="Output format."),
) -> None:
    """Show one case: the file as it is (yaml), its data (json), or readable tables."""
    store = open_store(ctx)
    ident = store.resolve_id(case_id)
    document = store.read_case(ident)
    if fmt == "yaml":
        typer.echo(store.read_text(ident), nl=False)
    elif fmt == "json":
        typer.echo(to_json(document), nl=False)
    else:
        typer.echo(_case_tables(document, store.today.isoformat()), nl=False)


def _case_tables(case: dict[str, Any], today: str) -> str:
    identity, situation, enrolment = case["identity"], case["situation"], case["enrolment"]
    external = ", ".join(
        f"{k}={v}" for k, v in sorted((identity.get("external_ids") or {}).items())
    )
    parts = [
        render_mapping(
            f"Case {case['case_id']}",
            [
                ("name", f"{identity['given_name']} {identity['family_name']}"),
                ("birth date", identity["birth_date"]),
                ("sex", identity["sex"]),
                ("phone", identity.get("phone")),
                ("email", identity.get("email")),
                ("external ids", external),
            ],
            Format.table,
        ),
        render_mapping("Situation at entry", sorted(situation.items()), Format.table),
        render_mapping("Enrolment", list(enrolment.items()), Format.table),
    ]
    diagnostic = case["diagnostic"]
    if diagnostic.get("barriers"):
        parts.append(
            "Barriers\n"
            + render_rows(diagnostic["barriers"], ["theme", "severity", "note"], Format.table)
        )
    plan = case["plan"]
    if plan["objectives"]:
        parts.append(
            "Objectives\n"
            + render_rows(
                plan["objectives"], ["id", "kind", "text", "status", "target_date"], Format.table
            )
        )
    if plan["actions"]:
        columns = [
            "id",
            "objective",
            "kind",
            "title",
            "start",
            "end",
            "hours_per_week",
            "hours",
            "status",
        ]
        parts.append("Actions\n" + render_rows(plan["actions"], columns, Format.table))
    voided = sum(is_voided(e) for name in CORRECTABLE for e in case.get(name) or [])
    case = counted(case)  # the figures leave voided entries out
    counts = [
        ("contacts", len(case["contacts"])),
        ("last contact", max((c["date"] for c in case["contacts"]), default=None)),
        ("activity entries", len(case["activities"])),
        ("hours done", sum(a["hours"] for a in case["activities"] if a["status"] == "done")),
        ("absences", len(case["absences"])),
        ("target changes", len(case["target_changes"])),
        ("allowances (EUR)", sum(a["amount"] for a in case["allowances"])),
        ("exit", f"{case['exit']['date']} {case['exit']['outcome']}" if case["exit"] else None),
        ("follow-ups", len(case["followups"])),
        ("voided entries", voided),
        ("phase today", current_phase(case, today)),
        ("target job", " ".join((case["plan"].get("target_job") or {}).values()) or None),
    ]
    parts.append(render_mapping("Follow-up", counts, Format.table))
    return "\n".join(parts)


@app.command("list")
def list_cases(
    ctx: typer.Context,
    programme: str | None = typer.Option(None, help="Only this programme."),
    referent: str | None = typer.Option(None, help="Only this referent's cases."),
    active: bool = typer.Option(False, "--active", help="Only cases without an exit."),
    exited: bool = typer.Option(False, "--exited", help="Only cases with an exit."),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """List the cases of the store, sorted by case id."""
    if active and exited:
        raise UsageError("--active and --exited exclude each other")
    store = open_store(ctx)
    programme = programme_option(store, programme)
    wanted = (programme, referent, active, exited)
    if fmt in (Format.csv, Format.json):
        # A department's list: each worker renders its cases' lines, kept in the cache
        # while their views do not change (a list asked again is not rendered again).
        with case_parts(store, False, "row", _listed_parts, *wanted, fmt.value, keep=True) as (
            _,
            texts,
        ):
            echo_text(join_rows_parts(texts, LIST_COLUMNS, fmt))
        return
    # A table is drawn whole (its columns as wide as their widest cell).
    rows = [
        row
        for row in map(list_row, valid_cases(store, strict=False, read="row", ordered=False))
        if _listed(row, *wanted)
    ]
    rows.sort(key=lambda r: r["case_id"])
    typer.echo(render_rows(rows, LIST_COLUMNS, fmt), nl=False)


def _listed(
    row: dict[str, Any], programme: str | None, referent: str | None, active: bool, exited: bool
) -> bool:
    """Whether `accomp list`'s options keep this list row."""
    return (
        (not programme or row["programme"] == programme)
        and (not referent or row["referent"] == referent)
        and (not active or row["status"] == "active")
        and (not exited or row["status"] == "exited")
    )


def _listed_parts(
    views: Iterable[dict[str, Any]],
    programme: str | None,
    referent: str | None,
    active: bool,
    exited: bool,
    fmt: str,
) -> list[list[Any]]:
    """[case id, its list line's text, None] of the cases `accomp list` keeps (a task of
    case_parts: it runs in a worker, a shard at a time)."""
    rows = (list_row(view) for view in views)
    return [
        [row["case_id"], render_rows_part([row], LIST_COLUMNS, fmt), None]
        for row in rows
        if _listed(row, programme, referent, active, exited)
    ]


SEVERITIES = schema_choices("casefile", "diagnostic", "barriers", "[]", "severity")


@app.command()
def diagnostic(
    ctx: typer.Context,
    case_id: str = CASE_ARGUMENT,
    date: str = typer.Option(..., metavar="YYYY-MM-DD", help="Day of the diagnostic."),
    barrier: list[str] = typer.Option(
        [], metavar="THEME[:SEVERITY]", help="A barrier, e.g. mobility:high (repeatable)."
    ),
    strength: list[str] = typer.Option([], help="A strength (repeatable)."),
    note: str | None = typer.Option(None, help="A short note."),
    as_: str | None = AS_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
) -> None:
    """Record the socio-professional diagnostic: barriers by theme, strengths.

    A new diagnostic replaces the previous one; git history keeps the old one.
    """
    themes = schema_choices("casefile", "diagnostic", "barriers", "[]", "theme")
    barriers = []
    for text in barrier:
        theme, _, severity = text.partition(":")
        if theme not in themes:
            raise UsageError(f"--barrier: unknown theme {theme!r} (known: {', '.join(themes)})")
        if severity and severity not in SEVERITIES:
            raise UsageError(f"--barrier: severity must be one of {', '.join(SEVERITIES)}")
        barriers.append({"theme": theme, "severity": severity or None})
    if len({b["theme"] for b in barriers}) != len(barriers):
        raise UsageError("--barrier: a theme is given twice")
    day = required_date("--date", date)
    with editing(ctx, case_id, as_, no_commit) as edit:
        # The diagnostic comes before the enrolment in the pathway: only a future date is wrong.
        if day > edit.store.today:
            raise UsageError(f"--date: {day} is in the future (today is {edit.store.today})")
        strengths = [s.strip() for s in strength if s.strip()]
        yamlio.set_key(
            edit.document,
            "diagnostic",
            {
                "date": day,
                "barriers": barriers,
                "strengths": strengths,
                "note": clean_note(note),
            },
        )
        themes_text = ", ".join(b["theme"] for b in barriers) or "no barrier"
        edit.message = f"diagnostic {edit.case_id}: {themes_text}"
        edit.recorded = ""  # say it: the diagnostic prints nothing else


@app.command("find")
def find(
    ctx: typer.Context,
    text: list[str] = typer.Argument(..., metavar="TEXT...", help="Name, birth date, id, phone…"),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Find cases by the person's name, birth date, external id or phone, ignoring accents
    and case; every word must match. Exit 1 when none does."""
    from accomp.domain.search import matches

    query = " ".join(text).strip()
    if not query:
        raise UsageError("give the text to look for")
    store = open_store(ctx)
    rows = [
        {**list_row(row), "birth_date": row["birth_date"]}
        for row in valid_cases(store, strict=False, read="row", ordered=False)
        if matches(row, query)
    ]
    rows.sort(key=lambda r: r["case_id"])
    typer.echo(
        render_rows(rows, [*LIST_COLUMNS[:3], "birth_date", *LIST_COLUMNS[3:]], fmt), nl=False
    )
    if not rows:
        raise typer.Exit(1)
