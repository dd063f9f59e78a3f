"""The read views: what each cohort command reads of a case, as small plain data.

A command over the whole store reads one view per case, never the whole
document, so that its time and memory do not grow with the length of the
cases' histories. The views of a case file are computed together when the file
is checked, and kept in the cohort cache (store/cache.py) with its checks:

* `cohort`: what the summary and the FSE+ indicators read (summary.cohort_view),
  computed on a day and valid while the checks hold;
* `hours`: what the weekly hours check reads (hours.hours_view);
* `followup`: what the worklist and the retention list read (followup.followup_view);
* `row`: the flat row of `list` and `export cases` (rows.case_row).

Each view has one rule over it, and the same rule over a single document goes
through the view too (e.g. hours.weekly_figures), so the cached and uncached
answers cannot differ.

A task over the views of many cases (a summary's tallies) can be a
`MemoisedTask`: its result over one shard of the cache is then kept, as plain
data, for as long as the shard's views are the same (store/cache.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from accomp.domain.followup import followup_view
from accomp.domain.hours import hours_view
from accomp.domain.rows import case_row
from accomp.domain.settings import Settings
from accomp.domain.summary import cohort_view

ViewKind = Literal["cohort", "hours", "followup", "row"]
VIEW_KINDS: tuple[ViewKind, ...] = ("cohort", "hours", "followup", "row")


@dataclass(frozen=True)
class MemoisedTask:
    """A task over read views whose result for some views can be kept and given back.

    `task(views, *args)` must depend on nothing but the views and its arguments,
    and its results over parts of the views must merge into its result over all
    (the caller merges them). `to_plain` turns a result into JSON data, `of_plain`
    turns it back (ValueError when the data is not such a result). `deliver`, if
    given, is what becomes of each part's result where it was computed or given
    back (rendered text written to a spool file): the caller gets what it returns.
    `keep=False`: run shard by shard the same, but nothing kept (pseudonymised rows).
    """

    task: Callable[..., Any]
    to_plain: Callable[[Any], Any]
    of_plain: Callable[[Any], Any]
    deliver: Callable[[Any], Any] | None = None
    keep: bool = True

    @property
    def name(self) -> str:
        return f"{self.task.__module__}.{self.task.__qualname__}"

    def delivered(self, result: Any) -> Any:
        """What the caller gets of a part's result."""
        return self.deliver(result) if self.deliver else result


def read_views(case: dict[str, Any], settings: Settings, on: dt.date) -> dict[str, Any]:
    """Every view of a valid case document, computed on day `on`."""
    hours = hours_view(case, settings)
    return {
        "cohort": cohort_view(case, settings, on, hours),
        "hours": hours,
        "followup": followup_view(case),
        "row": case_row(case, settings),
    }
