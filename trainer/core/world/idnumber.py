"""The resident identity number (公民身份号码, GB 11643-1999).

18 characters: a 6-digit area code (the county of the hukou at issuance), the birth date as
YYYYMMDD, a 3-digit sequence whose last digit is odd for men and even for women, and a check
character by ISO 7064 MOD 11-2. A person without a number is recorded as 18 zeros.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from operator import mul

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
