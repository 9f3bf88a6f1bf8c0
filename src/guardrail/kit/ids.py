"""Public ids: a prefix and a time-ordered, random, Crockford base32 suffix (chg_01J...)."""

from __future__ import annotations

import os
import threading
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
# Every two-character group: an id's 130 bits are 13 lookups of 10 bits each.
_PAIRS = [a + b for a in _ALPHABET for b in _ALPHABET]
_MASK_48 = (1 << 48) - 1


class _RandomBits:
    """80 random bits at a time from the system's generator, read 1,280 bytes per call.

    Ids are made for every request, delivery and job; one ``getrandom`` call each cost more than
    the rest of the id. The buffer is per process: a forked child starts with an empty one.
    """

    CHUNK = 10
    READ = 128 * CHUNK

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self._buffer = b""
        self._offset = 0

    def take(self) -> int:
        with self._lock:
            if self._offset + self.CHUNK > len(self._buffer):
                self._buffer, self._offset = os.urandom(self.READ), 0
            start = self._offset
            self._offset = start + self.CHUNK
            return int.from_bytes(self._buffer[start : start + self.CHUNK], "big")


_RANDOM = _RandomBits()
os.register_at_fork(after_in_child=_RANDOM._reset)


def _b32_130(value: int) -> str:
    """``value`` (130 bits) as 26 base32 digits."""
    p = _PAIRS
    return "".join(
        (
            p[value >> 120],
            p[(value >> 110) & 1023],
            p[(value >> 100) & 1023],
            p[(value >> 90) & 1023],
            p[(value >> 80) & 1023],
            p[(value >> 70) & 1023],
            p[(value >> 60) & 1023],
            p[(value >> 50) & 1023],
            p[(value >> 40) & 1023],
            p[(value >> 30) & 1023],
            p[(value >> 20) & 1023],
            p[(value >> 10) & 1023],
            p[value & 1023],
        )
    )


def new_id(prefix: str) -> str:
    """A new id such as ``svc_01jd3k…``: 48 bits of milliseconds then 80 random bits."""
    millis = int(time.time() * 1000) & _MASK_48
    return f"{prefix}_{_b32_130((millis << 80) | _RANDOM.take())}"


def has_prefix(value: str, prefix: str) -> bool:
    """Whether ``value`` looks like an id with ``prefix``."""
    return value.startswith(prefix + "_") and len(value) == len(prefix) + 27
