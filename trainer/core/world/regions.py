"""Places: province, prefecture city and county-level unit from a 6-digit code, and the
townships (乡镇/街道) and villages or residents' committees (村/居委会, the 普查区) below them.

Yueyang's nine county-level units and the places hukou are drawn from elsewhere have their
real names; any other county-level code works with generic names (`GENERIC_STEMS`, one name a
code within its prefecture). Township, village and street names are synthetic: Yueyang-flavoured
in Yueyang, generic words elsewhere (`local_parts`).

A world's region is one county-level unit or a whole prefecture city (430600 is all of
Yueyang): a prefecture's grids are shared out among its counties by their residents, town
grids by their town residents and country grids by their country ones (`place_in_region`).
"""

from __future__ import annotations

import functools
import math
import threading
from dataclasses import dataclass

from trainer.core.world.rng import stream

PROVINCES: dict[str, str] = {
    "11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区",
    "21": "辽宁省", "22": "吉林省", "23": "黑龙江省", "31": "上海市", "32": "江苏省",
    "33": "浙江省", "34": "安徽省", "35": "福建省", "36": "江西省", "37": "山东省",
    "41": "河南省", "42": "湖北省", "43": "湖南省", "44": "广东省", "45": "广西壮族自治区",
    "46": "海南省", "50": "重庆市", "51": "四川省", "52": "贵州省", "53": "云南省",
    "54": "西藏自治区", "61": "陕西省", "62": "甘肃省", "63": "青海省", "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区",
}

# (name, urban: a 市辖区 whose townships are mostly 街道)
YUEYANG_COUNTIES: dict[str, tuple[str, bool]] = {
    "430602": ("岳阳楼区", True), "430603": ("云溪区", True), "430611": ("君山区", True),
    "430621": ("岳阳县", False), "430623": ("华容县", False), "430624": ("湘阴县", False),
    "430626": ("平江县", False), "430681": ("汨罗市", False), "430682": ("临湘市", False),
}
YUEYANG = "430600"
# Residents in thousands, for sharing out a Yueyang world's grids among its counties. The
# 2020 census where a figure is at hand: 君山区 201.634 (分县资料 2020, as quoted by Wikipedia)
# and 湘阴县 583.984 (the county's census bulletin no. 1); else the 2022 bulletin's, as the
# domain notes give them (岳阳楼区, 云溪区, 平江县, 汨罗市); 岳阳县, 华容县 and 临湘市 share the
# rest of the city's 2020 total, 5,051.922, equally (no figure of theirs at hand).
_YUEYANG_KNOWN = {"430602": 989.0, "430603": 152.1, "430611": 201.634, "430624": 583.984,
                  "430626": 625.6, "430681": 577.3}
YUEYANG_RESIDENTS: dict[str, float] = {
    code: _YUEYANG_KNOWN.get(code, (5051.922 - sum(_YUEYANG_KNOWN.values())) / 3)
    for code in YUEYANG_COUNTIES}
# A prefecture other than Yueyang: two 市辖区 and four counties, residents alike.
GENERIC_COUNTY_NUMBERS = ("02", "03", "21", "22", "23", "24")
# How much more urban a 市辖区 is than a county: e^URBAN_DISTRICT_LOGIT times the odds of
# living in town. With Yueyang's 62.1 % the districts come out about 89 % urban and the
# counties about 52 % (no 2020 figure per county at hand; a modelling choice). 君山区 is a
# 市辖区 but rather rural (54 % in town in 2020, 109,164 of 201,634): the rule makes it 89 %.
URBAN_DISTRICT_LOGIT = 2.0

# Other Hunan prefectures, used for hukou places of people from elsewhere in the province.
HUNAN_PREFECTURES: dict[str, str] = {
    "4301": "长沙市", "4302": "株洲市", "4303": "湘潭市", "4304": "衡阳市", "4305": "邵阳市",
    "4307": "常德市", "4309": "益阳市", "4310": "郴州市", "4311": "永州市", "4312": "怀化市",
    "4313": "娄底市",
}
# Real county-level units (GB/T 2260 as of the census, 2020) where hukou places outside a
# world's prefecture lie: three of each of the other Hunan prefectures above (its seat's
# district and two counties or county-level cities) and eleven districts of provincial
# capitals and big cities elsewhere. They carry their real names wherever they appear (a
# hukou place, or a world made of one), so a code never takes two names; other codes
# outside Yueyang have generic names.
HUNAN_PLACES = ("430102", "430104", "430121", "430181", "430182", "430202", "430211", "430281",
                "430302", "430321", "430381", "430405", "430421", "430481", "430502", "430523",
                "430581", "430702", "430723", "430725", "430902", "430921", "430981", "431002",
                "431021", "431081", "431102", "431103", "431126", "431202", "431222", "431281",
                "431302", "431321", "431381")
OTHER_PROVINCE_PLACES = ("420102", "420106", "440106", "440304", "360102", "500103", "510104",
                         "450102", "330106", "320102", "410105")
KNOWN_COUNTIES: dict[str, str] = {
    "430102": "芙蓉区", "430104": "岳麓区", "430121": "长沙县", "430181": "浏阳市",
    "430182": "宁乡市", "430202": "荷塘区", "430211": "天元区", "430281": "醴陵市",
    "430302": "雨湖区", "430321": "湘潭县", "430381": "湘乡市", "430405": "珠晖区",
    "430421": "衡阳县", "430481": "耒阳市", "430502": "双清区", "430523": "邵阳县",
    "430581": "武冈市", "430702": "武陵区", "430723": "澧县", "430725": "桃源县",
    "430902": "资阳区", "430921": "南县", "430981": "沅江市", "431002": "北湖区",
    "431021": "桂阳县", "431081": "资兴市", "431102": "零陵区", "431103": "冷水滩区",
    "431126": "宁远县", "431202": "鹤城区", "431222": "沅陵县", "431281": "洪江市",
    "431302": "娄星区", "431321": "双峰县", "431381": "冷水江市",
    "420102": "江岸区", "420106": "武昌区", "440106": "天河区", "440304": "福田区",
    "360102": "东湖区", "500103": "渝中区", "510104": "锦江区", "450102": "兴宁区",
    "330106": "西湖区", "320102": "玄武区", "410105": "金水区",
}
KNOWN_PREFECTURES: dict[str, str] = {
    **HUNAN_PREFECTURES, "4201": "武汉市", "4401": "广州市", "4403": "深圳市", "3601": "南昌市",
    "5101": "成都市", "4501": "南宁市", "3301": "杭州市", "3201": "南京市", "4101": "郑州市",
}

# Parts of Yueyang's synthetic local names (townships, villages, roads, landmarks).
NAME_PARTS = ("洞庭", "南湖", "金鹗", "东茅", "五里", "奇家", "望岳", "枫桥", "岳阳", "湘江",
              "白沙", "青山", "龙湾", "荣家", "新港", "长岭", "鹿角", "黄沙", "柳林", "月田",
              "梅溪", "杨林", "三荷", "康王", "七星", "麻塘", "北港", "双花", "城陵", "许市")
# A generic region's local names: the words towns all over China name streets, schools and
# committees after (人民路, 育才小学, 幸福社区). As many as NAME_PARTS, so that a grid draws the
# same numbers whichever list it names its places from.
GENERIC_LOCAL_PARTS = ("人民", "建设", "解放", "和平", "胜利", "新华", "光明", "朝阳", "团结",
                       "文化", "幸福", "向阳", "红星", "长青", "中山", "民主", "友谊", "繁荣",
                       "振兴", "育才", "建国", "复兴", "前进", "学府", "迎宾", "花园", "东风",
                       "富民", "安居", "兴业")


def local_parts(county_code: str) -> tuple[str, ...]:
    """What a county's townships, villages, roads and landmarks are named from: Yueyang's
    flavour in Yueyang, generic words elsewhere (no 洞庭路 in Beijing)."""
    return NAME_PARTS if county_code[:4] == YUEYANG[:4] else GENERIC_LOCAL_PARTS


def _stem(name: str) -> str:
    """A place's name without its last character (区, 县, 市)."""
    return name[:-1]


# Generic names of county-level units and prefecture cities: a nature word and a landform
# (青溪, 松岭, 鹤洲 ...), 24 × 15 of them, without the stem of any place this module names as
# real (云溪, 桃源, 岳阳 ...), so that a made-up county or city never takes a real one's name
# here; and more than 99 + 6, so that a prefecture's codes 01-99 and a province's prefectures
# 01-99 each have a name of their own (`_county_parts`, `_prefecture_parts`). A generic name
# may still be a real place's name elsewhere in China: the README says which places are real.
_REAL_STEMS = frozenset(
    {_stem(name) for name, _urban in YUEYANG_COUNTIES.values()}
    | {_stem(name) for name in KNOWN_COUNTIES.values()}
    | {_stem(name) for name in KNOWN_PREFECTURES.values()} | {"岳阳"})
GENERIC_STEMS = tuple(first + second for first in "青白金石云桂兰松柏竹梅杏柳枫桃芦荷凤鹤鹿龙燕雁霞"
                      for second in "溪泉岭峰川原塘湾洲坪台岗源滩桥"
                      if first + second not in _REAL_STEMS)


def is_county_code(code: str) -> bool:
    """A county-level code of GB/T 2260: 6 digits, a known province, not a city or province."""
    return (len(code) == 6 and code.isascii() and code.isdigit() and code[:2] in PROVINCES
            and code[2:4] != "00" and code[4:6] != "00")


def is_prefecture_code(code: str) -> bool:
    """A prefecture city's code of GB/T 2260: 6 digits, a known province, ending in 00."""
    return (len(code) == 6 and code.isascii() and code.isdigit() and code[:2] in PROVINCES
            and code[2:4] != "00" and code[4:6] == "00")


def is_region_code(code: str) -> bool:
    """What a world may be made of: a county-level unit or a whole prefecture city."""
    return is_county_code(code) or is_prefecture_code(code)


@dataclass(frozen=True)
class County:
    """A county-level unit with its province and prefecture."""

    code: str
    name: str
    urban_district: bool
    prefecture_code: str
    prefecture_name: str
    province_name: str

    @property
    def full_name(self) -> str:
        return f"{self.province_name}{self.prefecture_name}{self.name}"


@functools.cache
def county(code: str) -> County:
    """The county-level unit for a code (callers validate with `is_county_code` first)."""
    province = PROVINCES[code[:2]]
    prefecture_code = code[:4] + "00"
    if code in YUEYANG_COUNTIES:
        name, urban = YUEYANG_COUNTIES[code]
        return County(code, name, urban, prefecture_code, "岳阳市", province)
    urban = int(code[4:6]) < 20  # 01-19 are 市辖区 in GB/T 2260
    listed = _listed_counties(prefecture_code)
    suffix = "区" if urban else "县"
    if code in KNOWN_COUNTIES:
        name = KNOWN_COUNTIES[code]
    elif code in listed:
        name = listed[code]
    else:  # a name of the prefecture's own that its listed counties do not have
        rest = _county_parts(prefecture_code)[len(GENERIC_COUNTY_NUMBERS):]
        name = rest[int(code[4:6]) % len(rest)] + suffix
    return County(code, name, urban, prefecture_code, prefecture_name(prefecture_code), province)


@functools.cache
def _county_parts(prefecture: str) -> list[str]:
    """A prefecture's generic county names (without 区 or 县) in its own order: the first are
    a generic prefecture's listed counties' (Yueyang's listed ones have their real names), the
    rest go to the other codes by number, so that no two codes of a prefecture share a name
    (there are more than 99 of them) and none is a real county's (`GENERIC_STEMS`)."""
    return stream(0, "prefecture-counties", prefecture[:4]).sample(GENERIC_STEMS,
                                                                   len(GENERIC_STEMS))


@functools.cache
def _listed_counties(prefecture: str) -> dict[str, str]:
    """The names of a prefecture's listed counties: Yueyang's real ones, or a generic
    prefecture's (`GENERIC_COUNTY_NUMBERS`), each its own, drawn from the prefecture's
    stream (a known county's real name where one of them is known)."""
    if prefecture == YUEYANG:
        return {code: name for code, (name, _urban) in YUEYANG_COUNTIES.items()}
    parts = _county_parts(prefecture)
    codes = (f"{prefecture[:4]}{number}" for number in GENERIC_COUNTY_NUMBERS)
    return {code: KNOWN_COUNTIES.get(code) or part + ("区" if int(code[4:]) < 20 else "县")
            for code, part in zip(codes, parts, strict=False)}


# Municipalities directly under the central government: the province is the city, and GB/T
# 2260's level below it (110100 市辖区) has no name of a city of its own.
MUNICIPALITIES = frozenset({"11", "12", "31", "50"})


def prefecture_name(code: str) -> str:
    """A prefecture city's name: Yueyang's and the other known ones, none within a
    municipality (北京市朝阳区, not 北京市某市朝阳区), else a generic one."""
    if code == YUEYANG:
        return "岳阳市"
    if code[:2] in MUNICIPALITIES:
        return ""
    names = _prefecture_parts(code[:2])
    return KNOWN_PREFECTURES.get(code[:4]) or names[int(code[2:4]) % len(names)] + "市"


@functools.cache
def _prefecture_parts(province: str) -> list[str]:
    """A province's generic prefecture names (without 市) in its own order, taken by number,
    so that no two of its prefectures 01-99 share a name and none is a real city's."""
    return stream(0, "prefectures", province).sample(GENERIC_STEMS, len(GENERIC_STEMS))


def region_name(code: str) -> str:
    """A world's region in full: 湖南省岳阳市 (a prefecture), 湖南省岳阳市岳阳楼区 (a county)."""
    if is_prefecture_code(code):
        return PROVINCES[code[:2]] + prefecture_name(code)
    return county(code).full_name


def home_county(code: str) -> str:
    """The county whose area code a region's written-out residents carry: the county itself,
    or a prefecture's first county (岳阳楼区 for Yueyang)."""
    return counties_of(code)[0][0] if is_prefecture_code(code) else code


@functools.cache
def counties_of(code: str) -> tuple[tuple[str, float], ...]:
    """A prefecture's counties with their share of its residents (adding up to 1)."""
    residents = (YUEYANG_RESIDENTS if code == YUEYANG else
                 {f"{code[:4]}{number}": 1.0 for number in GENERIC_COUNTY_NUMBERS})
    total = sum(residents.values())
    return tuple((county_code, value / total) for county_code, value in residents.items())


def urban_shares(code: str, share: float) -> dict[str, float]:
    """Each county's share of town residents when the prefecture's is `share`: a 市辖区 has
    e^URBAN_DISTRICT_LOGIT times a county's odds, and the shares weighted by residents give
    `share` (found by bisection on the counties' log-odds)."""
    weighted = [(c, weight, URBAN_DISTRICT_LOGIT if county(c).urban_district else 0.0)
                for c, weight in counties_of(code)]
    if share <= 0.0 or share >= 1.0:
        return {c: share for c, _w, _lift in weighted}

    def at(offset: float) -> dict[str, float]:
        return {c: 1 / (1 + math.exp(-(offset + lift))) for c, _w, lift in weighted}

    low, high = -40.0, 40.0
    for _ in range(100):
        middle = (low + high) / 2
        shares = at(middle)
        if sum(weight * shares[c] for c, weight, _lift in weighted) < share:
            low = middle
        else:
            high = middle
    return at((low + high) / 2)


class _Apportionment:
    """Grids of one kind (town or country) shared out among a prefecture's counties in
    proportion to their residents of that kind, by Balinski and Young's quota method: grid n
    (from 1) may go only to a county that has fewer than ⌈n × its share⌉ grids, and among
    those to the one with the largest share / (grids + 1), the first county on a tie. Every
    county then has its share of the first n grids within one grid, for every n, and adding
    grids changes none before them."""

    def __init__(self, weights: list[tuple[str, float]]) -> None:
        self.weights = weights
        self.counts = [0] * len(weights)
        self.places: list[tuple[str, int]] = []  # (county, its grids of this kind before)
        self.lock = threading.Lock()

    def place(self, rank: int) -> tuple[str, int]:
        with self.lock:
            while len(self.places) <= rank:
                n = len(self.places) + 1
                # the ceilings add up to at least n, the counts to n - 1, so some county is
                # allowed unless no county has residents of this kind (then no grid is)
                allowed = [k for k, (_c, weight) in enumerate(self.weights)
                           if self.counts[k] < math.ceil(n * weight - 1e-9)
                           ] or list(range(len(self.weights)))
                best = max(allowed, key=lambda k: (self.weights[k][1] / (self.counts[k] + 1),
                                                   -k))
                self.places.append((self.weights[best][0], self.counts[best]))
                self.counts[best] += 1
            return self.places[rank]


@functools.lru_cache(maxsize=64)
def _apportionment(code: str, share: float, urban: bool) -> _Apportionment:
    shares = urban_shares(code, share)
    weights = [(c, weight * (shares[c] if urban else 1 - shares[c]))
               for c, weight in counties_of(code)]
    total = sum(weight for _c, weight in weights) or 1.0
    return _Apportionment([(c, weight / total) for c, weight in weights])


def place_in_region(code: str, share: float, urban: bool, rank: int) -> tuple[str, int]:
    """The county of the region's `rank`-th town (or country) grid, and how many grids of
    that kind the county has before it: for a county region, the county and `rank`."""
    if not is_prefecture_code(code):
        return code, rank
    return _apportionment(code, share, urban).place(rank)


@dataclass(frozen=True)
class Village:
    """A 村民委员会 or 居民委员会: one 普查区, with its 12-digit code."""

    code: str
    name: str
    urban: bool
    township_code: str  # 9 digits
    township_name: str

    def full_name(self, county_: County) -> str:
        return f"{county_.full_name}{self.township_name}{self.name}"


@functools.lru_cache(maxsize=4096)
def _name_order(seed: int, kind: str, county_code: str, parent: int = 0) -> tuple[int, ...]:
    """The local name parts in an order shuffled once for a county's townships or one
    township's villages, so that the `index`-th of them takes the `index`-th name
    (`sibling_name`): each is still made alone, from its index, and no two siblings share a
    name (two 龙湾社区居委会 of one township could not be told apart)."""
    order = list(range(len(NAME_PARTS)))  # both lists are as long
    stream(seed, f"{kind}-names", county_code, parent).shuffle(order)
    return tuple(order)


NUMERALS = "二三四五六七八九十"


def sibling_name(seed: int, kind: str, county_code: str, parent: int, index: int) -> str:
    """The name part of the `index`-th township of a county (`parent` 0) or village of a
    township: the parts in their shuffled order, then again with 二, 三 … (龙湾二) once
    every part is taken."""
    parts = local_parts(county_code)
    cycle, place = divmod(index, len(parts))
    mark = "" if cycle == 0 else NUMERALS[cycle - 1] if cycle <= len(NUMERALS) else str(cycle + 1)
    return parts[_name_order(seed, kind, county_code, parent)[place]] + mark


def township_name(seed: int, county_code: str, index: int, urban: bool) -> str:
    """A township's name: 街道 in towns, 镇 or 乡 in the countryside; no two of a county
    alike."""
    rng = stream(seed, "township", county_code, index)
    suffix = "街道" if urban else rng.choice(("镇", "镇", "乡"))
    return sibling_name(seed, "township", county_code, 0, index) + suffix


@functools.lru_cache(maxsize=4096)
def village(seed: int, county_code: str, township_index: int, index: int,
            urban: bool) -> Village:
    """The 普查区 `index` of township `township_index`.

    Codes follow the 统计用区划代码 convention: residents' committees 001-199, villages 200-399.
    Kept for the village's next grids (a village has about three; the village is immutable).
    """
    township_code = f"{county_code}{township_index + 1:03d}"
    number = (1 + index) if urban else (200 + index)
    name = (sibling_name(seed, "village", county_code, township_index, index)
            + ("社区居委会" if urban else "村委会"))  # no two of a township alike
    return Village(f"{township_code}{number:03d}", name, urban, township_code,
                   township_name(seed, county_code, township_index, urban))
