"""Places: province, prefecture city and county-level unit from a 6-digit code, and the
townships (乡镇/街道) and villages or residents' committees (村/居委会, the 普查区) below them.

Yueyang's nine county-level units have their real names; any other county-level code works
with generic place names made from its own stream. Township and village names are synthetic.
"""

from __future__ import annotations

import functools
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

# Other Hunan prefectures, used for hukou places of people from elsewhere in the province.
HUNAN_PREFECTURES: dict[str, str] = {
    "4301": "长沙市", "4302": "株洲市", "4303": "湘潭市", "4304": "衡阳市", "4305": "邵阳市",
    "4307": "常德市", "4309": "益阳市", "4310": "郴州市", "4311": "永州市", "4312": "怀化市",
    "4313": "娄底市",
}

NAME_PARTS = ("洞庭", "南湖", "金鹗", "东茅", "五里", "奇家", "望岳", "枫桥", "岳阳", "湘江",
              "白沙", "青山", "龙湾", "荣家", "新港", "长岭", "鹿角", "黄沙", "柳林", "月田",
              "梅溪", "杨林", "三荷", "康王", "七星", "麻塘", "北港", "双花", "城陵", "许市")


def is_county_code(code: str) -> bool:
    """A county-level code of GB/T 2260: 6 digits, a known province, not a city or province."""
    return (len(code) == 6 and code.isdigit() and code[:2] in PROVINCES
            and code[2:4] != "00" and code[4:6] != "00")


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
    rng = stream(0, "county", code)
    urban = int(code[4:6]) < 20  # 01-19 are 市辖区 in GB/T 2260
    name = rng.choice(NAME_PARTS) + ("区" if urban else "县")
    prefecture = HUNAN_PREFECTURES.get(code[:4]) or (rng.choice(NAME_PARTS) + "市")
    return County(code, name, urban, prefecture_code, prefecture, province)


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


def township_name(seed: int, county_code: str, index: int, urban: bool) -> str:
    """A township's name: 街道 in towns, 镇 or 乡 in the countryside."""
    rng = stream(seed, "township", county_code, index)
    suffix = "街道" if urban else rng.choice(("镇", "镇", "乡"))
    return rng.choice(NAME_PARTS) + suffix


@functools.lru_cache(maxsize=4096)
def village(seed: int, county_code: str, township_index: int, index: int,
            urban: bool) -> Village:
    """The 普查区 `index` of township `township_index`.

    Codes follow the 统计用区划代码 convention: residents' committees 001-199, villages 200-399.
    Kept for the village's next grids (a village has about three; the village is immutable).
    """
    rng = stream(seed, "village", county_code, township_index, index)
    township_code = f"{county_code}{township_index + 1:03d}"
    number = (1 + index) if urban else (200 + index)
    name = rng.choice(NAME_PARTS) + ("社区居委会" if urban else "村委会")
    return Village(f"{township_code}{number:03d}", name, urban, township_code,
                   township_name(seed, county_code, township_index, urban))
