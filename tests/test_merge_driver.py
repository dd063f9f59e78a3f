"""The merge driver's edge: ours' text keeps its comments and layout, the result is valid data."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

from accomp.domain.entries import assign_ids
from accomp.store import yamlio
from accomp.store.merge_driver import merge_texts, read_conflicts
from tests.conftest import DEMO_STORE

TODAY = dt.date(2026, 11, 20)


def with_contact(text: str, day: str, minutes: int) -> str:
    document = yamlio.load_fast(text)
    listed = [*document["contacts"], {"date": day, "channel": "phone", "minutes": minutes}]
    assign_ids("contacts", listed)
    changed = yamlio.append_text(
        text, "contacts", yamlio.with_dates(listed[-1]), {**document, "contacts": listed}
    )
    assert changed is not None
    return changed


def test_the_merged_text_is_ours_with_theirs_entries_and_every_comment_kept() -> None:
    ancestor = (DEMO_STORE / "2026-DEM01.yaml").read_text()
    ours = with_contact(ancestor, "2026-11-18", 10)
    theirs = with_contact(ancestor, "2026-11-19", 20)
    texts = [ancestor, ours, theirs]
    documents = [yamlio.load_fast(t) for t in texts]
    merged, result = merge_texts(texts, documents, "2026-DEM01.yaml", DEMO_STORE, TODAY)
    assert result.conflicts == []
    assert yamlio.load_fast(merged) == result.merged
    comments = [line for line in ours.splitlines() if line.lstrip().startswith("#")]
    assert comments and all(line in merged.splitlines() for line in comments)
    # ours' lines all stay, in order: theirs' contact is added between them
    remaining = iter(merged.splitlines())
    assert all(line in remaining for line in ours.splitlines())
    assert len(merged.splitlines()) == len(ours.splitlines()) + 4  # id, date, channel, minutes


def test_git_calls_the_driver_as_configured_and_it_records_a_conflict(tmp_path: Path) -> None:
    ancestor = (DEMO_STORE / "2026-DEM01.yaml").read_text()
    folder = tmp_path / "store"
    folder.mkdir()
    (folder / "accomp.yaml").write_text((DEMO_STORE / "accomp.yaml").read_text())
    document = yamlio.load_round_trip(ancestor)
    document["enrolment"]["referent"] = "mmartin"
    ours = yamlio.dump_round_trip(document, like=ancestor)
    document["enrolment"]["referent"] = "kleroy"
    theirs = yamlio.dump_round_trip(document, like=ancestor)
    for name, text in (("O", ancestor), ("A", ours), ("B", theirs)):
        (tmp_path / name).write_text(text)
    result = subprocess.run(
        [sys.executable, "-m", "accomp", "merge-driver", str(tmp_path / "O"), str(tmp_path / "A"),
         str(tmp_path / "B"), "store/2026-DEM01.yaml"],
        cwd=tmp_path, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    merged = (tmp_path / "A").read_text()
    assert "<<<<<<<" not in merged and "referent: mmartin" in merged
    conflicts = read_conflicts(folder, "2026-DEM01.yaml")
    assert [(c.field, c.ours, c.theirs) for c in conflicts] == [
        ("enrolment.referent", "mmartin", "kleroy")
    ]
