"""Case ids: short, typeable, and safe to create in two clones of one store.

An id is the year of creation and five random characters of Crockford's base
32 (no I, L, O, U, so nothing to confuse when read aloud or typed): 2026-K7F3Q.
With 32^5 = 33 million ids a year, two clones that each enrol a few thousand
people and later merge collide with a probability below one in ten thousand,
and each new id is also checked against the files already there.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CASE_ID = re.compile(r"^[0-9]{4}-[0-9A-HJKMNP-TV-Z]{5}$")
_ATTEMPTS = 100


def normalise_case_id(text: str) -> str:
    """The canonical form of a typed case id (upper case; I/L read as 1, O as 0).

    Raises ValueError for anything that is not a case id, `../x` and `/etc` included.
    """
    candidate = text.strip().upper().translate(str.maketrans("ILO", "110"))
    if not CASE_ID.match(candidate):
        shown = text if len(text) <= 30 and text.isprintable() else repr(text[:30])
        raise ValueError(f"{shown!r} is not a case id (the form is YYYY-XXXXX, e.g. 2026-K7F3Q)")
    return candidate


def new_case_id(year: int, taken: Callable[[str], bool], rng: random.Random | None = None) -> str:
    """A new random case id for `year` that `taken` says is free."""
    chooser = rng or random.SystemRandom()
    for _ in range(_ATTEMPTS):
        suffix = "".join(chooser.choice(ALPHABET) for _ in range(5))
        candidate = f"{year:04d}-{suffix}"
        if not taken(candidate):
            return candidate
    raise RuntimeError("could not find a free case id")  # 100 collisions in a row: a broken rng
