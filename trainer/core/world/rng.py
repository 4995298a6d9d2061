"""Random streams derived from (world seed, path), so any part can be made on its own.

A grid, an enumeration area or a household draws only from its own stream; producing it alone
gives the same result as producing it with its neighbours, and adding grids changes nothing
that exists. Python's Mersenne Twister gives the same numbers on every machine.
"""

from __future__ import annotations

import hashlib
import random


def stream_seed(seed: int, *path: str | int) -> int:
    """A 64-bit seed for the stream at `path` under the world `seed`."""
    digest = hashlib.blake2b(digest_size=8, person=b"census-world")
    digest.update(str(seed).encode())
    for part in path:
        digest.update(b"/" + str(part).encode())
    return int.from_bytes(digest.digest(), "big")


def stream(seed: int, *path: str | int) -> random.Random:
    """The random stream of the part at `path`."""
    return random.Random(stream_seed(seed, *path))


def low_discrepancy(index: int, salt: float = 0.0) -> float:
    """A value in [0, 1) that spreads evenly over consecutive indices (golden-ratio sequence).

    Used where a share must hold closely over few parts (which 普查区 are urban): the share of
    indices below p is within a few per cent of p after a few dozen parts.
    """
    return (salt + index * 0.6180339887498949) % 1.0
