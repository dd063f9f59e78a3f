"""Plain data: what every reader of a case file works on.

The read path gives plain dicts, lists, str, int, float, bool and None, with
dates as ISO strings. Round-trip documents (ruamel.yaml's, for editing) hold
dates and scalar subclasses; `to_plain` turns them into the same plain data, so
that rules and ids derived from content give the same answer on both.
"""

from __future__ import annotations

import datetime as dt
from typing import Any


def to_plain(value: Any) -> Any:
    """A document (plain or round-trip) as plain data: dates become ISO strings, scalar
    subclasses int/float/str/bool, comment-carrying maps and lists dict and list."""
    if isinstance(value, dict):
        return {to_plain(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    return value
