"""Public ids: the layout every stored id has (prefix, 48 bits of milliseconds, 80 random bits,
Crockford base32), unique, ordered by time, and distinct in a forked child."""

from __future__ import annotations

import os
import time

from guardrail.kit import ids

ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


def _reference(value: int, digits: int) -> str:
    # The layout, written the plain way: five bits per digit, most significant first.
    return "".join(ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(digits)))


def test_an_id_is_the_prefix_then_milliseconds_then_random_bits():
    before = int(time.time() * 1000)
    value = ids.new_id("evt")
    after = int(time.time() * 1000)
    assert ids.has_prefix(value, "evt") and len(value) == 30
    suffix = value[4:]
    millis = int("".join(format(ALPHABET.index(c), "05b") for c in suffix[:10]), 2)
    assert before <= millis <= after
    assert set(suffix) <= set(ALPHABET)


def test_the_encoding_matches_the_plain_one_for_any_value():
    for value in (0, 1, 31, 32, (1 << 130) - 1, 0x1234567890ABCDEF1234567890ABCDEF, 1 << 129):
        assert ids._b32_130(value) == _reference(value, 26)


def test_ids_are_unique_and_ordered_by_time():
    many = [ids.new_id("job") for _ in range(20_000)]
    assert len(set(many)) == len(many)
    first = ids.new_id("job")
    time.sleep(0.002)
    assert ids.new_id("job")[4:14] > first[4:14]  # a later millisecond sorts after


def test_a_forked_child_does_not_repeat_the_parents_random_bits():
    ids.new_id("x")  # the parent's buffer now holds unread random bytes
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report its next ids and leave at once
        os.close(read)
        os.write(write, ",".join(ids.new_id("x")[12:] for _ in range(5)).encode())
        os._exit(0)
    os.close(write)
    child = os.read(read, 4096).decode().split(",")
    os.waitpid(pid, 0)
    parent = [ids.new_id("x")[12:] for _ in range(5)]
    assert not set(child) & set(parent)
