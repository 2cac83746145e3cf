"""What a column type change keeps, from the two types alone: a wider type
keeps every value, a shorter bounded string cuts the longer ones."""

from __future__ import annotations

import re

# Integer types by width: a change to an equal or wider one keeps every value.
# Any other type change is counted as a possible loss.
_BOUNDED_STRINGS = {"varchar", "character varying"}


_TEXT_TYPES = _BOUNDED_STRINGS | {"text", "tinytext", "mediumtext", "longtext"}


_INTEGER_BYTES = {"smallint": 2, "mediumint": 3, "integer": 4, "int": 4, "bigint": 8}


def _base(sql_type: str) -> str:
    """``bigint(20) unsigned`` -> ``bigint unsigned``."""
    return " ".join(re.sub(r"\(.*?\)", " ", sql_type).lower().split())


def string_length(sql_type: str) -> int | None:
    match = re.search(r"\((\d+)\)", sql_type)
    return int(match.group(1)) if match else None


def cuts_strings(old: str, new: str) -> bool:
    """Whether the change makes a string column a shorter bounded string:
    its longer values are cut to the new length (on every backend)."""
    new_length = string_length(new)
    if not (_base(old) in _TEXT_TYPES and _base(new) in _BOUNDED_STRINGS and new_length):
        return False
    old_length = string_length(old) if _base(old) in _BOUNDED_STRINGS else None
    return old_length is None or old_length > new_length


def widens(old: str, new: str) -> bool:
    """True when every value of ``old`` fits ``new`` unchanged."""
    old_base, new_base = _base(old), _base(new)
    if old_base in _BOUNDED_STRINGS and new_base in _TEXT_TYPES:
        old_length, new_length = string_length(old), string_length(new)
        return new_length is None or (old_length is not None and new_length >= old_length)
    old_int = old_base.replace(" unsigned", "")
    new_int = new_base.replace(" unsigned", "")
    if old_int in _INTEGER_BYTES and new_int in _INTEGER_BYTES:
        signedness_changes = ("unsigned" in new_base) != ("unsigned" in old_base)
        return not signedness_changes and _INTEGER_BYTES[new_int] >= _INTEGER_BYTES[old_int]
    return False
