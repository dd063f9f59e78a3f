"""Generate a realistic store of N cases, deterministically (a seed), through accomp's own code.

Each case has a year of follow-up: a diagnostic, an action plan, contacts every
week or two, activity entries most weeks, an absence, allowances, and for a
third of them an exit. Documents are built as plain data and written with the
store's own round-trip writer (the format `accomp enrol` writes), on all cores.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import os
import random
import subprocess
import zlib
from pathlib import Path
from typing import Any

from accomp.domain.dates import add_months
from accomp.domain.entries import upgrade
from accomp.domain.ids import new_case_id
from accomp.domain.summary import BARRIER_THEMES
from accomp.store import files, yamlio
from accomp.store.init import create_store
from accomp.store.store import Store
from accomp.store.writing import new_case_document

TODAY = dt.date(2026, 11, 20)
PROGRAMMES = [
    ("cej", 16, 25),
    ("intensive-2025", 18, 60),
    ("plie", 18, 60),
    ("rsa-coaching", 25, 60),
    ("civis-renforce", 16, 25),
]
REFERENTS = [f"ref{n:02d}" for n in range(40)]
KINDS = [
    "training",
    "workshop",
    "job-search",
    "collective-session",
    "immersion",
    "health",
    "mobility",
]
THEMES = list(BARRIER_THEMES)
OUTCOMES = [
    ("cdi", None),
    ("cdd", 8),
    ("cdd", 3),
    ("interim", 2),
    ("qualifying-training", None),
    ("dropped-out", None),
    ("moved-away", None),
]


def weekdays(first: dt.date, last: dt.date, rng: random.Random, per_week: int) -> list[dt.date]:
    days = []
    monday = first - dt.timedelta(days=first.weekday())
    while monday <= last:
        for offset in sorted(rng.sample(range(5), per_week)):
            day = monday + dt.timedelta(days=offset)
            if first <= day <= last:
                days.append(day)
        monday += dt.timedelta(days=7)
    return days


# Each programme's usual length of support, in days (defaults.yaml's max_duration_months;
# PLIE, which sets none, commonly runs up to two years).
MAX_DAYS = {
    "cej": 548,
    "intensive-2025": 365,
    "plie": 730,
    "rsa-coaching": 548,
    "civis-renforce": 730,
}


def history_start(rng: random.Random) -> dt.date:
    """When a case began: a store holds this year's cases, and the cases of the years before
    that it keeps for the funders' reports (exited, with longer histories): 55 % began in the
    last year, 30 % one to two years ago, 15 % two to four years ago."""
    band = rng.random()
    if band < 0.55:
        days = rng.randint(30, 365)
    elif band < 0.85:
        days = rng.randint(366, 730)
    else:
        days = rng.randint(731, 1460)
    start = TODAY - dt.timedelta(days=days)
    return start - dt.timedelta(days=start.weekday())  # contracts start on Mondays


def make_case(rng: random.Random) -> tuple[int, dict[str, Any]]:
    """One case document (without schema_version and case_id) and its enrolment year.

    Histories spread as a department's do: from a month to four years since the start,
    an exit for a third of the recent cases and nearly all of those past their programme's
    usual length, and a pace of contacts and activities that differs from case to case
    (from a contact a month to two a week), so that files range from 2 to about 80 KB.
    """
    programme, low, high = rng.choice(PROGRAMMES)
    start = history_start(rng)
    age = rng.randint(low, high)
    birth = dt.date(start.year - age - 1, rng.randint(1, 12), rng.randint(1, 28))
    planned_end = add_months(start, 12)
    longest = MAX_DAYS[programme]
    elapsed = (TODAY - start).days
    exited = rng.random() < (0.95 if elapsed > longest else 0.33)
    end = (
        min(TODAY - dt.timedelta(days=1), start + dt.timedelta(days=rng.randint(60, longest)))
        if exited
        else TODAY - dt.timedelta(days=1)
    )
    end = max(end, start + dt.timedelta(days=7))
    contacts_per_week = rng.choices([1, 2], [9, 1])[0]
    contacts_every = rng.choices([1, 2, 4], [4, 4, 2])[0]
    activities_per_week = rng.choices([1, 2, 3], [3, 5, 2])[0]
    referent = rng.choice(REFERENTS)
    actions = []
    for index in range(rng.randint(2, 5)):
        first = start + dt.timedelta(days=7 * index)
        actions.append({
            "id": f"A{index + 1}", "kind": rng.choice(KINDS), "title": f"Action {index + 1}",
            "start": first, "end": min(planned_end, first + dt.timedelta(days=rng.randint(30, 200))),
            "hours_per_week": rng.choice([3, 5, 8, 10, 12]), "objective": "O1",
            "status": rng.choice(["planned", "in-progress", "done"]),
        })  # fmt: skip
    activities = [
        {"date": day, "hours": rng.choice([2, 3, 3.5, 4, 6]), "kind": rng.choice(KINDS),
         "status": rng.choices(["done", "absent-justified", "absent-unjustified"], [8, 1, 1])[0]}
        for day in weekdays(start, end, rng, activities_per_week)
    ]  # fmt: skip
    contacts = [
        {"date": day, "channel": rng.choice(["in-person", "phone", "email", "video", "sms"]),
         "minutes": rng.choice([5, 15, 30, 45, 60]), "mode": "individual", "by": referent}
        for day in weekdays(start, end, rng, contacts_per_week)[::contacts_every]
    ]  # fmt: skip
    holiday = start + dt.timedelta(days=rng.randint(20, 60))
    document = {
        "identity": {
            "given_name": f"Prénom{rng.randint(1, 10**6)}", "family_name": f"Nom{rng.randint(1, 10**6)}",
            "birth_date": birth, "sex": rng.choice(["F", "M", "F", "M", "X"]),
            "phone": f"06 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
            "email": None, "address": {"line": None, "postcode": f"{rng.randint(10, 95)}000", "city": "Ville"},
            "external_ids": {"france_travail": f"{rng.randint(10**6, 10**7 - 1)}X"},
        },
        "situation": {
            "qualification_level": rng.randint(1, 7), "qpv": rng.random() < 0.4,
            "labour_market_status": rng.choice(["unemployed", "unemployed", "inactive", None]),
            "unemployment_months": rng.randint(0, 40), "disability_recognition": rng.random() < 0.1,
            "housing": rng.choice(["stable", "family-or-friends", "temporary", "homeless"]),
            "nationality_group": rng.choice(["FR", "FR", "EU", "non-EU"]), "rural": rng.random() < 0.2,
            "benefits": [],
        },
        "diagnostic": {
            "date": start, "barriers": [{"theme": t, "severity": "medium"} for t in rng.sample(THEMES, rng.randint(0, 3))],
            "strengths": ["Motivated"], "note": None,
        },
        "enrolment": {
            "programme": programme, "modality": rng.choice(["individual", "individual", "club"]),
            "prescriber": "france-travail", "referent": referent, "start": start, "planned_end": planned_end,
            "contract_signed": start, "weekly_target_hours": 15,
            "eligibility_override": {"reason": "generated", "recorded_on": start},
        },
        "plan": {"objectives": [{"id": "O1", "text": "Find a job", "kind": "professional", "target_date": planned_end,
                                 "status": "open", "agreed_on": start}], "actions": actions},
        "contacts": contacts,
        "activities": activities,
        "absences": [{"from": holiday, "to": holiday + dt.timedelta(days=4), "reason": "holiday"}],
        "target_changes": [],
        "allowances": [{"date": day, "amount": 100} for day in weekdays(start, end, rng, 1)[::8]] if programme == "civis-renforce" else [],
        "exit": None,
        "followups": [],
    }  # fmt: skip
    if exited:
        outcome, months = rng.choice(OUTCOMES)
        document["exit"] = {"date": end, "outcome": outcome, "contract_months": months}
    return start.year, document


def _write_chunk(root: str, seeds: list[int], part: int = 0, parts: int = 1) -> int:
    store = Store(Path(root))
    taken = {p.stem for p in store.root.glob("2*.yaml")}

    def unavailable(candidate: str) -> bool:
        # Each worker draws from its own part of the id space, so that no two workers
        # can give the same id (at 50,000 cases, random ids did collide).
        return candidate in taken or zlib.crc32(candidate.encode()) % parts != part

    for seed in seeds:
        rng = random.Random(seed)
        year, document = make_case(rng)
        case_id = new_case_id(year, unavailable, rng)
        taken.add(case_id)
        written = new_case_document(store, case_id, document)
        upgrade(written)  # every entry gets its id, as a write through accomp gives it
        text = yamlio.dump_round_trip(written)
        files.atomic_write(store.root / f"{case_id}.yaml", text.encode())
    return len(seeds)


def generate(root: Path, count: int, seed: int) -> None:
    """Create the store `root` with `count` generated cases, in git with one commit."""
    create_store(root, "accomp", "bench")
    seeds = [seed * 1_000_003 + n for n in range(count)]
    workers = os.cpu_count() or 1
    # Each worker draws ids from its own part of the id space (see _write_chunk); the
    # count is still checked below.
    chunks = [seeds[i::workers] for i in range(workers)]
    with concurrent.futures.ProcessPoolExecutor(workers) as pool:
        written = sum(
            pool.map(
                _write_chunk,
                [str(root)] * len(chunks),
                chunks,
                range(len(chunks)),
                [len(chunks)] * len(chunks),
            )
        )
    actual = len(list(root.glob("2*.yaml")))
    if actual != written:
        raise SystemExit(f"id collision: {written} written, {actual} files")
    subprocess.run(["git", "add", "-A"], cwd=root, check=True, capture_output=True)
    subprocess.run(["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit",
                    "-q", "--no-verify", "-m", f"bench: {count} generated cases"], cwd=root, check=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("root", type=Path)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=20261120)
    args = parser.parse_args()
    generate(args.root, args.n, args.seed)


if __name__ == "__main__":
    main()
