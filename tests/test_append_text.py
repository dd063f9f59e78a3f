"""The textual append path of the append-only commands: the bytes the round trip would write.

`yamlio.append_text` adds an entry at the end of a top-level list without the
round-trip parse. On what accomp writes it must give exactly the round trip's
output; on hand-edited files it must keep every other byte; and whenever it
cannot be sure it answers None, so that the caller takes the round trip.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accomp.store import yamlio
from bench.generate import make_case
from tests.conftest import DEMO_STORE, changed_lines, git, invoke_cli
from tests.test_store_writes import ENTRY_ID_LINE, HAND_EDITED

ENTRIES: dict[str, dict[str, Any]] = {
    "contacts": {"date": dt.date(2026, 11, 19), "channel": "sms", "minutes": 5, "mode": "individual", "by": "jdupont"},
    "activities": {"date": dt.date(2026, 11, 18), "kind": "workshop", "hours": 3.5, "status": "done"},
    "absences": {"from": dt.date(2026, 11, 16), "to": dt.date(2026, 11, 17), "reason": "health"},
    "allowances": {"date": dt.date(2026, 11, 2), "amount": 120.5, "kind": "cej-allowance"},
    "followups": {"date": dt.date(2026, 11, 10), "situation": "job-search"},
}  # fmt: skip


def round_trip_append(text: str, key: str, entry: dict[str, Any]) -> str:
    """What the round-trip edit path writes for the same append."""
    document = yamlio.load_round_trip(text)
    yamlio.append(document[key], entry)
    return yamlio.dump_round_trip(document, like=text)


def plain_after(text: str, key: str, entry: dict[str, Any]) -> dict[str, Any]:
    plain = yamlio.load_fast(text)
    return {**plain, key: [*plain[key], yamlio.to_plain(entry)]}


def generated_texts(count: int) -> list[str]:
    texts = []
    for seed in range(count):
        _, document = make_case(random.Random(seed))
        document = {"schema_version": 1, "case_id": "2026-AAAAA", **document}
        texts.append(yamlio.dump_round_trip(yamlio.to_round_trip(document)))
    return texts


CORPUS = [
    *((f"demo {p.stem}", p.read_text("utf-8")) for p in sorted(DEMO_STORE.glob("2*.yaml"))),
    *((f"generated {n}", text) for n, text in enumerate(generated_texts(8))),
]


@pytest.mark.parametrize("key", sorted(ENTRIES))
@pytest.mark.parametrize(("name", "text"), CORPUS, ids=[name for name, _ in CORPUS])
def test_on_what_accomp_writes_the_text_path_gives_the_round_trip_bytes(
    name: str, text: str, key: str
) -> None:
    entry = ENTRIES[key]
    appended = yamlio.append_text(text, key, entry, plain_after(text, key, entry))
    if not yamlio.load_fast(text)[key]:
        assert appended is None  # `key: []` is a flow list: the round trip rewrites it
        return
    assert appended == round_trip_append(text, key, entry)


def test_a_hand_edited_file_keeps_every_other_byte() -> None:
    text = HAND_EDITED.format(case_id="2026-AAAAA").replace(
        "  minutes: 10\n",
        "  minutes: 10   # long call\n  note: |\n    first line\n\n    after a blank line\n"
        "# a comment between two contacts\n- date: 2026-09-09\n  channel: sms\n  minutes: 2\n"
        "\n# a comment before the next section\n",
    )
    entry = ENTRIES["contacts"]
    appended = yamlio.append_text(text, "contacts", entry, plain_after(text, "contacts", entry))
    assert appended is not None
    inserted = (
        "- date: 2026-11-19\n  channel: sms\n  minutes: 5\n  mode: individual\n  by: jdupont\n"
    )
    assert appended == text.replace(
        "  minutes: 2\n", "  minutes: 2\n" + inserted, 1
    )  # after the last entry, before the blank line and the next section's comment
    assert yamlio.load_fast(appended) == plain_after(text, "contacts", entry)


@pytest.mark.parametrize(
    ("what", "change"),
    [
        ("Windows line ends", lambda t: t.replace("\n", "\r\n")),
        ("a flow list", lambda t: t.replace("contacts:\n- date: 2026-09-08\n  channel: phone\n  minutes: 10\n", "contacts: [{date: 2026-09-08, channel: phone, minutes: 10}]\n")),
        ("no such list", lambda t: t.replace("contacts:", "kontacts:")),
    ],
)  # fmt: skip
def test_when_the_layout_is_not_the_simple_one_the_answer_is_none(what: str, change) -> None:  # type: ignore[no-untyped-def]
    text = change(HAND_EDITED.format(case_id="2026-AAAAA"))
    entry = ENTRIES["contacts"]
    expected = {"contacts": [{"date": "2026-09-08", "channel": "phone", "minutes": 10}]}
    assert yamlio.append_text(text, "contacts", entry, expected) is None


def test_a_result_that_does_not_load_as_expected_is_refused() -> None:
    text = HAND_EDITED.format(case_id="2026-AAAAA")
    entry = ENTRIES["contacts"]
    wrong = plain_after(text, "contacts", {**entry, "minutes": 6})
    assert yamlio.append_text(text, "contacts", entry, wrong) is None


NOTES = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")), max_size=40
) | st.sampled_from(
    ["a: b", "# not a comment", "- dash", "'quoted'", '"double"', "yes", "2026-01-01", "~", ""]
)


@settings(max_examples=150, deadline=None)
@given(NOTES, st.sampled_from(CORPUS[:6]))
def test_any_note_either_gives_the_round_trip_bytes_or_none(
    note: str, named: tuple[str, str]
) -> None:
    _, text = named
    entry = {**ENTRIES["contacts"], "note": note}
    expected = plain_after(text, "contacts", entry)
    appended = yamlio.append_text(text, "contacts", entry, expected)
    if appended is not None:
        assert yamlio.load_fast(appended) == expected
        assert appended == round_trip_append(text, "contacts", entry)


def test_contact_log_on_a_hand_edited_case_adds_lines_and_removes_none(store: Path, enrol) -> None:  # type: ignore[no-untyped-def]
    case_id = enrol()
    path = store / f"{case_id}.yaml"
    path.write_text(HAND_EDITED.format(case_id=case_id))
    git(store, "commit", "-qam", "hand edit", "--no-verify")
    for day in ("2026-09-15", "2026-09-22"):
        result = invoke_cli(
            [
                "--store",
                str(store),
                "contact",
                "log",
                case_id,
                "--date",
                day,
                "--channel",
                "sms",
                "--minutes",
                "5",
                "--by",
                "jdupont",
            ]
        )
        assert result.exit_code == 0, result.stderr
    added, removed = changed_lines(store, "HEAD~2", path.name)
    assert removed == []
    assert ENTRY_ID_LINE.match(added[0]) and ENTRY_ID_LINE.match(added[6])
    assert added[1:6] + added[7:] == [
        "+  date: 2026-09-15", "+  channel: sms", "+  minutes: 5", "+  mode: individual", "+  by: jdupont",
        "+  date: 2026-09-22", "+  channel: sms", "+  minutes: 5", "+  mode: individual", "+  by: jdupont",
    ]  # fmt: skip
