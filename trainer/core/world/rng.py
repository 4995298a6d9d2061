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


def quota_pick(index: int, share: float, salt: float = 0.0) -> bool:
    """Whether part `index` is picked so that of the first n parts round(n * share) are.

    Used where a share must hold closely over few parts (which 普查区 are urban): unlike a
    coin per part, the count among the first n never misses n * share by one or more.
    """
    return quota_count(index + 1, share, salt) > quota_count(index, share, salt)


def quota_count(count: int, share: float, salt: float = 0.0) -> int:
    """How many of the first `count` parts `quota_pick` picks."""
    return int(count * share + salt) - int(salt)
