"""Packed number lists: the long lists of a read view as one short text each.

A cohort view holds a case's contact days, its judged weeks and their hours:
hundreds of numbers per case, so tens of millions in a department's store. As
JSON lists they cost a Python object each when the cache is read (most of a
warm summary's time, and most of its memory); packed, a list is one string:
the letter of the narrowest machine array that holds its values exactly
(`b`, `h`, `i` or `q` for integers of 8 to 64 bits, `d` for floats), then
base64 of the array's bytes. It is unpacked only for the cases a command looks
into, and the values come back exactly (an integer is an integer, a float the
same bits), so a figure computed from a packed view is the one computed from
the list. So that most lists fit in 8 or 16 bits, views pack small numbers:
days since the case's start rather than day ordinals, hundredths of an hour.

The cache that keeps packed views is tied to the machine's byte order (see
store/cache.code_fingerprint), as the arrays are.
"""

from __future__ import annotations

import binascii
from array import array
from collections.abc import Sequence

# Integer typecodes from the narrowest, with the range each holds.
_INT_CODES = (("b", 1 << 7), ("h", 1 << 15), ("i", 1 << 31), ("q", 1 << 63))


def pack_ints(values: Sequence[int]) -> str:
    """The text of a list of integers (OverflowError past 64 bits)."""
    low, high = (min(values), max(values)) if values else (0, 0)
    for code, bound in _INT_CODES:
        if -bound <= low and high < bound:
            return code + _text(array(code, values))
    raise OverflowError("an integer past 64 bits")


def pack_floats(values: Sequence[float]) -> str:
    """The text of a list of floats (64 bits: the same bits come back)."""
    return "d" + _text(array("d", values))


def unpack(text: str) -> array:  # type: ignore[type-arg]
    """The numbers of a packed text, as an array (indexable, sliceable, bisectable)."""
    numbers = array(text[0])
    numbers.frombytes(binascii.a2b_base64(text[1:]))
    return numbers


def _text(numbers: array) -> str:  # type: ignore[type-arg]
    return binascii.b2a_base64(numbers.tobytes(), newline=False).decode("ascii")
