"""Finding a case by what a counsellor knows of the person: name, birth date, ids, phone.

Accent- and case-insensitive (`Zoe` finds Zoé, `quenouille` finds QUENOUILLE);
a phone or an id is also compared on its letters and digits only (`0612345678`
finds `06 12 34 56 78`); a birth date may be typed `14/03/2000`. Every word
typed must be found in the case. The search reads the case rows the store keeps
(domain/rows.py, in the store's own cache), never anything outside the store.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

SEARCHED = ("given_name", "family_name", "birth_date", "phone", "email", "france_travail_id",
            "department_id", "nir")  # fmt: skip
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
_FRENCH_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def folded(text: str) -> str:
    """Lower case, without accents (é → e, ß → ss), spaces kept."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def compact(text: str) -> str:
    """Only the letters and digits of a folded text (for phones, ids, dates)."""
    return _NOT_ALNUM.sub("", folded(text))


def matches(row: dict[str, Any], query: str) -> bool:
    """Whether every word of `query` is found in one of the row's searched fields."""
    values = [str(row[field]) for field in SEARCHED if row.get(field)]
    words = [folded(values_text) for values_text in values]
    squeezed = [compact(value) for value in values]
    for typed in query.split():
        french = _FRENCH_DATE.match(typed)
        word = f"{french[3]}-{int(french[2]):02d}-{int(french[1]):02d}" if french else typed
        plain, tight = folded(word), compact(word)
        if not any(plain in value for value in words) and not (
            tight and any(tight in value for value in squeezed)
        ):
            return False
    return True
