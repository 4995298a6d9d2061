"""Names and phone numbers: Faker's zh_CN data, drawn from our own seeded streams.

Faker's `name_male()` pairs surnames with given names of either sex and its ID numbers count
ages from today, so only its word lists are used here: weighted surnames, given names, mobile
prefixes. Children born since 2005 get the given names of their generation.
"""

from __future__ import annotations

import random
from bisect import bisect
from itertools import accumulate

from faker.providers.person.zh_CN import Provider as _Person
from faker.providers.phone_number.zh_CN import Provider as _Phone

SURNAMES: tuple[str, ...] = tuple(_Person.last_names)
_SURNAME_CUMULATIVE: tuple[float, ...] = tuple(accumulate(_Person.last_names.values()))
OLDER_MALE: tuple[str, ...] = tuple(_Person.first_names_male)
OLDER_FEMALE: tuple[str, ...] = tuple(_Person.first_names_female)
MODERN_MALE = ("浩宇", "子轩", "宇轩", "梓睿", "浩然", "一鸣", "俊熙", "子墨", "睿", "宇航",
               "铭轩", "子豪", "博文", "思远", "天佑", "嘉懿", "沐阳", "梓豪", "皓轩", "奕辰")
MODERN_FEMALE = ("梓萱", "子涵", "欣怡", "语桐", "诗涵", "一诺", "雨桐", "可馨", "梓涵", "思琪",
                 "欣妍", "若曦", "佳怡", "紫涵", "梦瑶", "雨萱", "芷若", "可欣", "语嫣", "安琪")
PHONE_PREFIXES: tuple[int, ...] = tuple(_Phone.phonenumber_prefixes)
UNNAMED = "未取名"


def surname(rng: random.Random) -> str:
    """A surname, as frequent as it is in China."""
    return SURNAMES[bisect(_SURNAME_CUMULATIVE, rng.random() * _SURNAME_CUMULATIVE[-1])]


def given_name(rng: random.Random, male: bool, birth_year: int) -> str:
    """A given name fitting the sex and the generation."""
    if birth_year >= 2005:
        return rng.choice(MODERN_MALE if male else MODERN_FEMALE)
    return rng.choice(OLDER_MALE if male else OLDER_FEMALE)


def phone(rng: random.Random) -> str:
    """An 11-digit mobile number."""
    return f"{rng.choice(PHONE_PREFIXES)}{rng.randrange(10**8):08d}"
