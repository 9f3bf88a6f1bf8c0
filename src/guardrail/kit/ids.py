"""Public ids: a prefix and a time-ordered, random, Crockford base32 suffix (chg_01J...)."""

from __future__ import annotations

import secrets
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


def _b32(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def new_id(prefix: str) -> str:
    """A new id such as ``svc_01jd3k…``: 48 bits of milliseconds then 80 random bits."""
    millis = int(time.time() * 1000) & ((1 << 48) - 1)
    return f"{prefix}_{_b32(millis, 10)}{_b32(secrets.randbits(80), 16)}"


def has_prefix(value: str, prefix: str) -> bool:
    """Whether ``value`` looks like an id with ``prefix``."""
    return value.startswith(prefix + "_") and len(value) == len(prefix) + 27
