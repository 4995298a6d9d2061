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
# Mobile prefixes in service on 2020-11-01: Faker's, with 192 (China Broadnet, which opened
# to subscribers only in 2022) replaced by 199 (China Telecom, since 2017). The table keeps
# its length and order, so every other number is drawn as before (199 is drawn twice as
# often as another prefix).
PHONE_PREFIXES: tuple[int, ...] = tuple(199 if prefix == 192 else prefix
                                        for prefix in _Phone.phonenumber_prefixes)
UNNAMED = "未取名"

# Foreigners' names as written on their form, by nationality: family names, men's and women's
# given names and how the two are written together. Korean and Japanese names in Chinese
# characters (金敏俊, 佐藤健太), the others in Latin letters, the family name first in Vietnamese
# (Nguyen Van Nam); Burmese names have no family name.
FOREIGN_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], str]] = {
    "韩国": (("金", "李", "朴", "崔", "郑", "姜", "赵", "尹", "张", "林"),
             ("敏俊", "志勋", "贤宇", "俊昊", "成民", "东贤", "在元", "承佑"),
             ("智恩", "秀妍", "敏智", "惠珍", "恩静", "瑞妍", "允儿", "多贤"), "{family}{given}"),
    "日本": (("佐藤", "铃木", "高桥", "田中", "渡边", "伊藤", "山本", "中村", "小林", "加藤"),
             ("健太", "翔太", "大辅", "拓也", "浩二", "诚", "隆", "直树"),
             ("阳子", "美咲", "由美", "直美", "惠子", "彩", "真由美", "香织"), "{family}{given}"),
    "越南": (("Nguyen", "Tran", "Le", "Pham", "Hoang", "Vu", "Dang", "Bui"),
             ("Van Nam", "Van Hung", "Minh Tuan", "Duc Anh", "Quang Huy", "Thanh Long"),
             ("Thi Lan", "Thi Hoa", "Thu Trang", "Ngoc Anh", "Thi Mai", "Thanh Huong"),
             "{family} {given}"),
    "缅甸": ((), ("Aung Min", "Kyaw Zin", "Zaw Htet", "Min Thu", "Htet Aung", "Soe Win"),
             ("Su Myat", "Thandar Aye", "Khin Hnin", "May Thu", "Ei Mon", "Nilar Win"),
             "{given}"),
    "美国": (("Smith", "Johnson", "Williams", "Brown", "Miller", "Davis", "Wilson", "Moore"),
             ("James", "Michael", "David", "Daniel", "Matthew", "Andrew", "Ryan", "Kevin"),
             ("Jennifer", "Emily", "Sarah", "Jessica", "Laura", "Rachel", "Megan", "Anna"),
             "{given} {family}"),
    "英国": (("Taylor", "Jones", "Evans", "Thomas", "Roberts", "Walker", "Wright", "Hughes"),
             ("Oliver", "Thomas", "George", "Harry", "William", "Jack", "Edward", "Samuel"),
             ("Emma", "Charlotte", "Sophie", "Lucy", "Hannah", "Olivia", "Grace", "Amelia"),
             "{given} {family}"),
    "德国": (("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Becker", "Wagner",
              "Hoffmann"),
             ("Lukas", "Jonas", "Felix", "Stefan", "Tobias", "Florian", "Jan", "Markus"),
             ("Anna", "Julia", "Laura", "Lena", "Katharina", "Sabine", "Hannah", "Lea"),
             "{given} {family}"),
}


def surname(rng: random.Random) -> str:
    """A surname, as frequent as it is in China."""
    return SURNAMES[bisect(_SURNAME_CUMULATIVE, rng.random() * _SURNAME_CUMULATIVE[-1])]


def given_name(rng: random.Random, male: bool, birth_year: int) -> str:
    """A given name fitting the sex and the generation."""
    if birth_year >= 2005:
        return rng.choice(MODERN_MALE if male else MODERN_FEMALE)
    return rng.choice(OLDER_MALE if male else OLDER_FEMALE)


def foreign_name(rng: random.Random, nationality: str, male: bool,
                 family: str | None = None) -> tuple[str, str]:
    """A foreigner's name as written on the form, and the family name in it ("" if none);
    `family` given (a child's father's), it is kept."""
    families, men, women, written = FOREIGN_NAMES[nationality]
    if family is None:
        family = rng.choice(families) if families else ""
    given = rng.choice(men if male else women)
    return written.format(family=family, given=given), family


def phone(rng: random.Random) -> str:
    """An 11-digit mobile number."""
    return f"{rng.choice(PHONE_PREFIXES)}{rng.randrange(10**8):08d}"
