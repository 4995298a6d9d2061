"""The resident identity number (公民身份号码, GB 11643-1999).

18 characters: a 6-digit area code (the county of the hukou at issuance), the birth date as
YYYYMMDD, a 3-digit sequence whose last digit is odd for men and even for women, and a check
character by ISO 7064 MOD 11-2. A person without a number is recorded as 18 zeros.

Sequences in generated worlds (`world_sequences`): in life a police station hands out the
sequences of an area code and a birth date, so no two people share a number. In a world each
grid plays a station's part without knowing its neighbours: it gives its people slots 0-499
from its own index (`bulk._sequences`, `people._Builder.add`), and a bijection of the slots,
keyed by the world and the (area code, birth date, sex), turns a slot into a sequence that
looks drawn. Grids whose slots differ never share a number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from operator import mul

import numpy as np
import numpy.typing as npt

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
NO_NUMBER = "0" * 18
# The weighted sum of 17 ASCII digits' character codes exceeds that of the digits by this.
_ASCII_ZERO_SUM = ord("0") * sum(WEIGHTS)


def check_char(body: str) -> str:
    """The MOD 11-2 check character of the first 17 digits."""
    if len(body) != 17 or not body.isdigit():
        raise ValueError("the body of an ID number is 17 digits")
    if body.isascii():  # the usual case: weigh the character codes, not 17 parsed ints
        return CHECK_CHARS[(sum(map(mul, body.encode(), WEIGHTS)) - _ASCII_ZERO_SUM) % 11]
    return CHECK_CHARS[sum(map(mul, map(int, body), WEIGHTS)) % 11]


def make_id(area_code: str, birth: date, sequence: int) -> str:
    """An ID number; `sequence` (0-999) carries the sex in its parity (odd = male)."""
    if len(area_code) != 6 or not area_code.isdigit():
        raise ValueError("the area code is 6 digits")
    if not 0 <= sequence <= 999:
        raise ValueError("the sequence is 0-999")
    # Fields formatted one by one: a date's strftime costs ten times as much.
    body = f"{area_code}{birth.year:04d}{birth.month:02d}{birth.day:02d}{sequence:03d}"
    return body + check_char(body)


SLOTS = 500  # the sequences of one sex
# The numbers below 500 with an inverse modulo 500 (neither even nor a multiple of 5).
_UNITS = np.array([a for a in range(SLOTS) if a % 2 and a % 5], dtype=np.uint64)


def world_sequences(world_key: int, slot: npt.NDArray[np.int64], area: npt.NDArray[np.int64],
                    ordinal: npt.NDArray[np.int64], male: npt.NDArray[np.bool_]
                    ) -> npt.NDArray[np.int64]:
    """Sequences (0-999, odd for men) of the `slot`s (0-499) of people of these area codes
    (as numbers), birth dates (ordinals) and sexes: for each (area code, birth date, sex) a
    bijection a × slot + b (mod 500), its a and b from splitmix64's finaliser of the
    `world_key` and that key. Distinct slots of one kind give distinct sequences. Computed
    in 64 bits whatever the arrays' integer type (numpy's default int is 32 bits on some
    platforms, where an area code times a million would wrap)."""
    key = ((area.astype(np.int64) * 1_000_000 + ordinal.astype(np.int64)) * 2
           + male.astype(np.int64)).astype(np.uint64)
    mixed = key ^ np.uint64(world_key & 0xFFFF_FFFF_FFFF_FFFF)
    mixed = (mixed ^ (mixed >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    mixed = (mixed ^ (mixed >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    mixed ^= mixed >> np.uint64(31)
    a = _UNITS[mixed % np.uint64(len(_UNITS))]
    b = (mixed >> np.uint64(32)) % np.uint64(SLOTS)
    spread: npt.NDArray[np.int64] = ((a * slot.astype(np.uint64) + b)
                                     % np.uint64(SLOTS)).astype(np.int64)
    return spread * 2 + male.astype(np.int64)


_MASK = (1 << 64) - 1
_UNIT_LIST = [int(a) for a in _UNITS]


def world_sequence(world_key: int, slot: int, area_code: str, birth: date, male: bool) -> int:
    """`world_sequences` of one person, in Python's integers (a tenth of the time numpy
    takes for one): the same 64-bit arithmetic, wrapped by masking."""
    mixed = ((int(area_code) * 1_000_000 + birth.toordinal()) * 2 + male) ^ (world_key & _MASK)
    mixed = ((mixed ^ (mixed >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    mixed = ((mixed ^ (mixed >> 27)) * 0x94D049BB133111EB) & _MASK
    mixed ^= mixed >> 31
    a, b = _UNIT_LIST[mixed % len(_UNIT_LIST)], (mixed >> 32) % SLOTS
    return (a * slot + b) % SLOTS * 2 + male


def free_number(number: str, taken: set[str]) -> str:
    """`number`, or when someone in `taken` has it the next free sequence of the sex (+2, so
    its parity stays; same area code and birth date, its own check character); the number
    given is added to `taken`. The all-zero "no number" is returned as it is."""
    if number == NO_NUMBER:
        return number
    while number in taken:
        body = f"{number[:14]}{(int(number[14:17]) + 2) % 1000:03d}"
        number = body + check_char(body)
    taken.add(number)
    return number


def sequence_for(sex: int, draw: int) -> int:
    """A sequence number in 0-999 with the parity of `sex` (1 male odd, 2 female even)."""
    base = (draw % 500) * 2
    return base + 1 if sex == 1 else base


@dataclass(frozen=True)
class ParsedId:
    """What an ID number says about its holder."""

    area_code: str
    birth: date
    sex: int  # 1 male, 2 female (the census D4 codes)


def is_valid(number: str) -> bool:
    """True when the number has 18 characters, a real birth date and the right check char."""
    return parse(number) is not None


def parse(number: str) -> ParsedId | None:
    """The parts of a valid number, or None (the all-zero "no number" is not valid)."""
    if (len(number) != 18 or not number.isascii() or not number[:17].isdigit()
            or number[17] not in "0123456789X"):
        return None  # isascii: other digits (¹, ０, ٣) pass isdigit, and no ID has them
    if number == NO_NUMBER or check_char(number[:17]) != number[17]:
        return None
    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None
    return ParsedId(number[:6], birth, 1 if int(number[16]) % 2 else 2)
