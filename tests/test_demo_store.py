"""The bundled demo store: valid, and every section of a case filled in at least once."""

from __future__ import annotations

import json

from accomp.resources import load_schema
from tests.conftest import DEMO_STORE, Invoke


def test_the_demo_store_validates_cleanly(cli: Invoke) -> None:
    result = cli("--store", str(DEMO_STORE), "validate", "--all")
    assert result.exit_code == 0, result.stdout
    assert result.stdout == ""
    assert "0 error(s), 0 warning(s)" in result.stderr


def test_every_section_of_a_case_is_filled_in_at_least_once(cli: Invoke) -> None:
    listed = json.loads(cli("--store", str(DEMO_STORE), "list", "--format", "json").stdout)
    assert len(listed) >= 4
    cases = [
        json.loads(
            cli("--store", str(DEMO_STORE), "show", row["case_id"], "--format", "json").stdout
        )
        for row in listed
    ]
    schema = load_schema("casefile")

    def filled(value: object) -> bool:
        return value not in (None, [], {}, "")

    for section, definition in schema["properties"].items():
        assert any(filled(case.get(section)) for case in cases), f"no demo case fills {section}"
        for field in definition.get("properties", {}):
            assert any(filled((case.get(section) or {}).get(field)) for case in cases), (
                f"no demo case fills {section}.{field}"
            )
    programmes = {row["programme"] for row in listed}
    assert len(programmes) >= 3
    assert {row["status"] for row in listed} == {"active", "exited"}
