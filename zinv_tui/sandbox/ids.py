"""Deterministic identifiers: UUID v1-style ids and EAN-13 barcodes drawn from a seeded RNG.

Zettle's examples are all time-based UUID v1; the sandbox generates the same kind so that ids
look real, but draws them from a :class:`random.Random` so that a seed always gives the same
catalogue.
"""

from __future__ import annotations

import random
from uuid import UUID

# 100-ns intervals between the UUID epoch (1582-10-15) and the Unix epoch.
_UUID_EPOCH_OFFSET = 0x01B21DD213814000


def uuid_v1(rng: random.Random, unix_seconds: float) -> UUID:
    """A version-1 UUID for ``unix_seconds`` with a random clock sequence and node from ``rng``."""
    timestamp = int(unix_seconds * 10_000_000) + _UUID_EPOCH_OFFSET + rng.getrandbits(16)
    time_low = timestamp & 0xFFFFFFFF
    time_mid = (timestamp >> 32) & 0xFFFF
    time_hi = (timestamp >> 48) & 0x0FFF
    clock_seq = rng.getrandbits(14)
    node = rng.getrandbits(48) | 0x010000000000  # multicast bit: a random node, as RFC 4122 asks
    return UUID(
        fields=(time_low, time_mid, time_hi, clock_seq >> 8, clock_seq & 0xFF, node), version=1
    )


def ean13_check_digit(first_twelve: str) -> int:
    """The EAN-13 check digit of a 12-digit string (weights 1, 3, 1, 3, ... from the left)."""
    if len(first_twelve) != 12 or not first_twelve.isdigit():
        raise ValueError("an EAN-13 body is exactly 12 digits")
    total = sum(int(digit) * (3 if index % 2 else 1) for index, digit in enumerate(first_twelve))
    return (10 - total % 10) % 10


def ean13(first_twelve: str) -> str:
    """A full EAN-13 barcode: the 12 digits plus their check digit."""
    return first_twelve + str(ean13_check_digit(first_twelve))


def is_valid_ean13(code: str) -> bool:
    """True when ``code`` is 13 digits whose last one is the right check digit."""
    return len(code) == 13 and code.isdigit() and ean13_check_digit(code[:12]) == int(code[12])
