"""Packed number lists: the long lists of a read view as one short text each.

A cohort view holds a case's contact days, its judged weeks and their hours:
hundreds of numbers per case, so tens of millions in a department's store. As
JSON lists they cost a Python object each when the cache is read (most of a
warm summary's time, and most of its memory); packed, a list is one string
of base64 over the machine's own array of 32-bit integers or 64-bit floats,
unpacked only for the cases a command looks into. The values come back exactly
(an integer is an integer, a float the same bits), so a figure computed from
a packed view is the one computed from the list.

The cache that keeps packed views is tied to the machine's byte order (see
store/cache.code_fingerprint), as the arrays are.
"""

from __future__ import annotations

import binascii
from array import array
from collections.abc import Iterable

INTS = "i"  # 32 bits: day ordinals (under 3,000,000) and counts
FLOATS = "d"  # 64 bits: hours, exactly as computed


def pack(values: Iterable[float], code: str) -> str:
    """The text of a list of numbers (INTS or FLOATS)."""
    return binascii.b2a_base64(array(code, values).tobytes(), newline=False).decode("ascii")


def unpack(text: str, code: str) -> array:  # type: ignore[type-arg]
    """The numbers of a packed text, as an array (indexable, sliceable, bisectable)."""
    numbers = array(code)
    numbers.frombytes(binascii.a2b_base64(text))
    return numbers
