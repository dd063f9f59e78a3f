"""The store's settings (accomp.yaml) merged with accomp's defaults."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

# What a programme gets for the fields its entry in accomp.yaml leaves out.
PROGRAMME_FIELD_DEFAULTS: dict[str, Any] = {
    "max_duration_months": None,
    "age": {"min": None, "max": None, "max_with_disability": None},
    "contact_cadence": [],
    "contacts_count_as_activity": True,
    "caseload_limit": None,
    "allowance_yearly_cap": None,
}

# Sections of accomp.yaml that, when present, replace the default section whole.
SECTIONS = (
    "structure",
    "referents",
    "partners",
    "programmes",
    "activity_kinds",
    "outcomes",
    "objectives",
)
LIST_SECTIONS = ("referents", "partners")


@dataclass(frozen=True)
class Settings:
    """Plain settings data with the lookups the domain needs."""

    data: dict[str, Any] = field(repr=False)

    @staticmethod
    def is_complete(data: dict[str, Any]) -> bool:
        """Whether `data` has the shape `merged` gives (a memo from elsewhere is checked so)."""
        return (
            set(data) == {*SECTIONS, "schema_version"}
            and all(isinstance(data[name], dict) for name in SECTIONS if name not in LIST_SECTIONS)
            and all(isinstance(data[name], list) for name in LIST_SECTIONS)
        )

    @classmethod
    def merged(cls, document: dict[str, Any], defaults: dict[str, Any]) -> Settings:
        """Settings from a validated accomp.yaml document, completed by `defaults`."""
        data = {name: document.get(name, defaults.get(name)) for name in SECTIONS}
        data["schema_version"] = document.get("schema_version", 1)
        programmes = {}
        for key, entry in (data["programmes"] or {}).items():
            complete = {**PROGRAMME_FIELD_DEFAULTS, **entry}
            complete["age"] = {**PROGRAMME_FIELD_DEFAULTS["age"], **(entry.get("age") or {})}
            programmes[key] = complete
        data["programmes"] = programmes
        data["referents"] = data["referents"] or []
        data["partners"] = data["partners"] or []
        data["structure"] = data["structure"] or {"name": None}
        data["objectives"] = data["objectives"] or {}
        return cls(data)

    @property
    def programmes(self) -> dict[str, dict[str, Any]]:
        return self.data["programmes"]

    @property
    def activity_kinds(self) -> dict[str, dict[str, Any]]:
        return self.data["activity_kinds"]

    @property
    def outcomes(self) -> dict[str, dict[str, Any]]:
        return self.data["outcomes"]

    @property
    def objectives(self) -> dict[str, float]:
        return self.data["objectives"]

    @property
    def referents(self) -> list[dict[str, Any]]:
        return self.data["referents"]

    @property
    def partners(self) -> list[dict[str, Any]]:
        return self.data["partners"]

    @property
    def referent_ids(self) -> list[str]:
        return [r["id"] for r in self.data["referents"]]

    def programme_named(self, typed: str) -> str | None:
        """The programme a user means: its id, one of its `aliases`, or an unambiguous prefix
        of an id (case does not matter); None when no programme or several match."""
        name = typed.strip().lower()
        if name in self.programmes:
            return name
        aliased = [k for k, p in self.programmes.items() if name in (p.get("aliases") or [])]
        if len(aliased) == 1:
            return aliased[0]
        prefixed = [k for k in self.programmes if name and k.startswith(name)]
        return prefixed[0] if len(prefixed) == 1 else None

    def programme_list(self) -> str:
        """The programmes for a message: `cej: CEJ (…); rsa-coaching: RSA job coaching…`."""
        listed = sorted(self.programmes.items())
        return "; ".join(f"{key}: {programme.get('label', key)}" for key, programme in listed)

    def programme(self, key: str) -> dict[str, Any] | None:
        """The programme `key` with every field filled in, or None if unknown."""
        return self.programmes.get(key)

    def fingerprint(self) -> str:
        """A short hash of the effective settings (for caches keyed on them)."""
        blob = json.dumps(self.data, sort_keys=True, ensure_ascii=False).encode()
        return hashlib.sha256(blob).hexdigest()[:16]
