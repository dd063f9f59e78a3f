"""Exit outcomes and the categories funders count them in.

The categories and which outcome falls in which are settings (accomp.yaml,
`outcomes`), with defaults from the common definitions:

* durable employment: CDI, fixed-term or temp contract of 6 months or more,
  apprenticeship, business creation, civil-service post (not subsidised
  contracts of the non-market sector);
* transition employment: shorter fixed-term or temp contracts, subsidised contracts;
* positive exit: the above plus qualifying training;
* other: moved away, dropped out, health, other support, other training, other.

A programme may count differently (its funder's definition): its
`outcome_definition` in accomp.yaml names the outcomes that are durable
employment, a contract-length threshold with an explicit comparison
(`at_least_months` or `more_than_months`, for the outcomes that have a contract
length), the outcomes that are positive exits, and the base of each rate: the
exits, the entries or everyone accompanied in the period. A case's exit is then
categorised by its own programme's definition.
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


RATE_BASES = ("exits", "entries", "accompanied")
STORE_DEFINITION = "the store's outcomes (accomp.yaml)"


def outcome_category(
    outcome: str,
    contract_months: float | None,
    settings: Settings,
    programme: str | None = None,
) -> str:
    """The category of an outcome, given the length of the contract when there is one,
    by the definition of `programme` when it has its own (else the store's)."""
    own = definition_of(settings, programme)
    if own is not None:
        return _category_by(own, outcome, contract_months, settings)
    definition = settings.outcomes.get(outcome)
    if definition is None:
        return "other"
    threshold = definition.get("durable_from_months")
    if threshold is not None and contract_months is not None and contract_months >= threshold:
        return "durable-employment"
    return str(definition["category"])


def exit_category(exit_: dict[str, Any], settings: Settings, programme: str | None = None) -> str:
    """The category of a case's exit (by its programme's definition when it has one)."""
    return outcome_category(exit_["outcome"], exit_.get("contract_months"), settings, programme)


def definition_of(settings: Settings, programme: str | None) -> dict[str, Any] | None:
    """A programme's own outcome definition, or None (the store's outcomes apply)."""
    if programme is None:
        return None
    return (settings.programme(programme) or {}).get("outcome_definition")


def _counts(rule: dict[str, Any], outcome: str, months: float | None, settings: Settings) -> bool:
    """Whether a rule of a definition counts an outcome, with its contract-length threshold."""
    if outcome not in rule["outcomes"]:
        return False
    has_length = (settings.outcomes.get(outcome) or {}).get("durable_from_months") is not None
    if not has_length:
        return True  # a CDI, a business creation: no contract length to compare
    if rule.get("at_least_months") is not None:
        return months is not None and months >= rule["at_least_months"]
    if rule.get("more_than_months") is not None:
        return months is not None and months > rule["more_than_months"]
    return True


def _category_by(
    definition: dict[str, Any], outcome: str, months: float | None, settings: Settings
) -> str:
    """The category of an outcome under a programme's own definition.

    Durable employment is what the definition says. Any other exit keeps the
    store's category (an employment outcome that is not durable here is
    transition employment), unless the definition lists the positive exits and
    this one is not among them: then it is `other`.
    """
    if _counts(definition["durable_employment"], outcome, months, settings):
        return "durable-employment"
    positive = definition.get("positive_exit")
    if positive is not None and not _counts(positive, outcome, months, settings):
        return "other"
    base = str((settings.outcomes.get(outcome) or {}).get("category", "other"))
    return "transition-employment" if base == "durable-employment" else base


def rate_base(settings: Settings, programme: str | None, rate: str) -> str:
    """The base of a rate (`durable_employment` or `positive_exit`) for a programme:
    `exits` unless the programme's definition says `entries` or `accompanied`."""
    own = definition_of(settings, programme) or {}
    return str((own.get(rate) or {}).get("rate_base") or "exits")


def definition_label(settings: Settings, programme: str | None) -> str:
    """What the figures of a programme follow: its definition's source, or the store's."""
    own = definition_of(settings, programme)
    return str(own["source"]) if own else STORE_DEFINITION


def needs_months(outcome: str, settings: Settings) -> bool:
    """Whether an outcome needs the contract's length to be categorised (CDD, intérim …)."""
    definition = settings.outcomes.get(outcome) or {}
    return definition.get("durable_from_months") is not None


def followup_situations(settings: Settings) -> list[str]:
    """What a follow-up may record: any exit outcome, or job search, inactive, unreachable."""
    return [*settings.outcomes, *FOLLOWUP_ONLY_SITUATIONS]
