"""Exit outcomes and the categories funders count them in.

The categories and which outcome falls in which are settings (accomp.yaml,
`outcomes`), with defaults from the common definitions:

* durable employment: CDI, fixed-term or temp contract of 6 months or more,
  apprenticeship, business creation, civil-service post (not subsidised
  contracts of the non-market sector);
* transition employment: shorter fixed-term or temp contracts, subsidised contracts;
* positive exit: the above plus qualifying training;
* other: moved away, dropped out, health, other support, other training, other.
"""

from __future__ import annotations

from typing import Any

from accomp.domain.settings import Settings

CATEGORIES = ("durable-employment", "transition-employment", "positive-exit", "other")
# Categories that count as a positive exit (employment of any kind, or qualifying training).
POSITIVE = frozenset({"durable-employment", "transition-employment", "positive-exit"})
EMPLOYMENT = frozenset({"durable-employment", "transition-employment"})
# Situations at follow-up that are not exit outcomes.
FOLLOWUP_ONLY_SITUATIONS = ("job-search", "inactive", "unreachable")


def outcome_category(outcome: str, contract_months: float | None, settings: Settings) -> str:
    """The category of an outcome, given the length of the contract when there is one."""
    definition = settings.outcomes.get(outcome)
    if definition is None:
        return "other"
    threshold = definition.get("durable_from_months")
    if threshold is not None and contract_months is not None and contract_months >= threshold:
        return "durable-employment"
    return str(definition["category"])


def exit_category(exit_: dict[str, Any], settings: Settings) -> str:
    """The category of a case's exit."""
    return outcome_category(exit_["outcome"], exit_.get("contract_months"), settings)


def needs_months(outcome: str, settings: Settings) -> bool:
    """Whether an outcome needs the contract's length to be categorised (CDD, intérim …)."""
    definition = settings.outcomes.get(outcome) or {}
    return definition.get("durable_from_months") is not None


def followup_situations(settings: Settings) -> list[str]:
    """What a follow-up may record: any exit outcome, or job search, inactive, unreachable."""
    return [*settings.outcomes, *FOLLOWUP_ONLY_SITUATIONS]
