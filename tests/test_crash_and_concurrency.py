"""Never lose data: commands killed at random moments, and commands running at once."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import ENROL_ARGS, Invoke, git

ENV = {**os.environ, "ACCOMP_TODAY": "2026-11-20", "ACCOMP_USER": "tester"}


def accomp(store: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "accomp", "--store", str(store), *args]


def test_200_commands_killed_at_random_moments(store: Path, in_store: Invoke, enrol) -> None:
    """SIGKILL at random moments: every file still parses and validates, every command that
    exited 0 before the kill has its entry, and no temp file stays behind."""
    case = enrol(
        "--start", "2026-01-05", "--programme", "intensive-2025", "--birth-date", "1990-01-01"
    )
    rng = random.Random(20261120)
    start = dt.date(2026, 1, 5)
    # Kill moments spread over a whole command's life, however fast this machine runs it.
    # Measured on a command of the kind that is killed (a write: parse, validate, write,
    # git status, add and commit), not on a read, which is much shorter; the slowest of
    # three, since a loaded machine makes single timings short of the later writes (once
    # 12 of 200 finished with the first write's time).
    lifetimes = []
    for minutes in ("1", "2", "3"):
        began = time.perf_counter()
        subprocess.run(
            accomp(store, "contact", "log", case, "--date", "2026-11-10", "--channel", "sms",
                   "--minutes", minutes),
            env=ENV, capture_output=True, check=True,
        )  # fmt: skip
        lifetimes.append(time.perf_counter() - began)
    lifetime = max(lifetimes)
    done: list[tuple[str, str, float]] = []
    kills = 0
    for index in range(200):
        day = (start + dt.timedelta(days=index % 300)).isoformat()
        if rng.random() < 0.5:
            args = [
                "contact",
                "log",
                case,
                "--date",
                day,
                "--channel",
                "phone",
                "--minutes",
                str(index + 1),
            ]
            entry = ("contacts", day, float(index + 1))
        else:
            hours = 0.5 + (index % 4)
            args = [
                "activity",
                "log",
                case,
                "--date",
                day,
                "--hours",
                str(hours),
                "--kind",
                "training",
            ]
            entry = ("activities", day, hours)
        process = subprocess.Popen(
            accomp(store, *args), env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            code = process.wait(timeout=rng.uniform(0.02, 2.0 * lifetime))
            if code == 0:
                done.append(entry)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            kills += 1
    assert kills >= 50  # the kills did land at many moments
    assert len(done) >= 20  # and many commands ran to the end
    result = in_store("validate", "--all")
    assert result.exit_code == 0, result.stdout
    saved = json.loads(in_store("show", case, "--format", "json").stdout)
    contacts = {(c["date"], float(c["minutes"])) for c in saved["contacts"]}
    activities = {(a["date"], float(a["hours"])) for a in saved["activities"]}
    for section, day, amount in done:
        assert (day, amount) in (contacts if section == "contacts" else activities), (
            section,
            day,
            amount,
        )
    # The next command cleans what a killed writer left.
    assert (
        in_store(
            "contact", "log", case, "--date", "2026-11-19", "--channel", "sms", "--minutes", "1"
        ).exit_code
        == 0
    )
    assert list(store.glob(".tmp-*")) == []
    assert (
        not list((store / ".accomp" / "journal").glob("*"))
        if (store / ".accomp" / "journal").exists()
        else True
    )


WORKER = """
import sys
from typer.testing import CliRunner
from accomp.cli import app, load_commands
load_commands()
runner, codes = CliRunner(), []
for index in range(int(sys.argv[2])):
    args = [a.replace("{i}", str(index)) for a in sys.argv[3:]]
    result = runner.invoke(app, ["--store", sys.argv[1], *args])
    codes.append(result.exit_code)
    if result.exit_code == 0:
        print(result.stdout.strip().splitlines()[-1] if result.stdout.strip() else "", flush=True)
print("codes", sorted(set(codes)), file=sys.stderr)
"""


def run_workers(store: Path, count: int, per_worker: int, *args: str) -> list[str]:
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(store), str(per_worker), *args],
            env=ENV,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]
    outputs = []
    for worker in workers:
        out, err = worker.communicate(timeout=900)
        assert worker.returncode == 0, err
        assert "codes [0]" in err, err
        outputs += out.splitlines()
    return outputs


def test_4_processes_log_50_contacts_each_on_the_same_case(
    store: Path, in_store: Invoke, enrol
) -> None:
    case = enrol()
    run_workers(
        store,
        4,
        50,
        "contact",
        "log",
        case,
        "--date",
        "2026-11-02",
        "--channel",
        "phone",
        "--minutes",
        "{i}",
    )
    saved = json.loads(in_store("show", case, "--format", "json").stdout)
    assert len(saved["contacts"]) == 200
    assert in_store("validate", "--all").exit_code == 0
    assert (
        len(git(store, "log", "--format=%s").splitlines()) == 1 + 1 + 200
    )  # init, enrol, 200 contacts
    assert git(store, "status", "--porcelain") == ""


def test_4_processes_enrolling_25_people_each_get_100_distinct_ids(
    store: Path, in_store: Invoke
) -> None:
    ids = run_workers(store, 4, 25, "enrol", *ENROL_ARGS)
    assert len(ids) == 100 and len(set(ids)) == 100
    assert len(list(store.glob("2*.yaml"))) == 100
    assert in_store("validate", "--all").exit_code == 0
    assert git(store, "status", "--porcelain") == ""
