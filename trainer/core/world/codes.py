"""Census code lists (R601 short form) and the fixed dates of the 2020 census.

The codes are those of `../shared/domain/census-2020.md` §1; the census forms module reuses
them. Labels are Chinese as printed on the form, with the English of the pilot bilingual form.
"""

from __future__ import annotations

from datetime import date
from enum import IntEnum

STANDARD_TIME = date(2020, 11, 1)  # 标准时点 2020-11-01 00:00, Asia/Shanghai
YEAR_START = date(2019, 11, 1)  # births and deaths counted from here to 2020-10-31
AGE_3_CUTOFF = date(2017, 10, 31)  # D11 asked of those born on or before this day
AGE_15_CUTOFF = date(2005, 10, 31)  # D12 asked of those born on or before this day


class HouseholdType(IntEnum):
    """H1 户别."""

    FAMILY = 1  # 家庭户
    COLLECTIVE = 2  # 集体户


class DwellingType(IntEnum):
    """H5 住所类型 (2-5 skip H6/H7)."""

    ORDINARY = 1  # 普通住宅
    COLLECTIVE = 2  # 集体住所
    WORKPLACE = 3  # 工作地住所
    OTHER = 4  # 其他住房
    NONE = 5  # 无住房


class Relation(IntEnum):
    """D2 与户主关系."""

    HEAD = 0  # 户主
    SPOUSE = 1  # 配偶
    CHILD = 2  # 子女
    PARENT = 3  # 父母
    PARENT_IN_LAW = 4  # 岳父母或公婆
    GRANDPARENT = 5  # 祖父母
    CHILD_IN_LAW = 6  # 媳婿
    GRANDCHILD = 7  # 孙子女
    SIBLING = 8  # 兄弟姐妹
    OTHER = 9  # 其他


class Sex(IntEnum):
    """D4 性别."""

    MALE = 1
    FEMALE = 2


class Residence(IntEnum):
    """D7 普查时点居住地 (6 and 7 as the collection apps add them)."""

    THIS_AREA = 1  # 本普查小区
    OTHER_AREA_SAME_VILLAGE = 2  # 本村(居)委会其他普查小区
    OTHER_VILLAGE_SAME_TOWNSHIP = 3  # 本乡(镇、街道)其他村(居)委会
    OTHER_TOWNSHIP_SAME_COUNTY = 4  # 本县(市、区)其他乡(镇、街道)
    OTHER_COUNTY = 5  # 其他县(市、区)
    HK_MACAO_TAIWAN = 6  # 港澳台
    ABROAD = 7  # 国外


class Hukou(IntEnum):
    """D8 户口登记地."""

    THIS_VILLAGE = 1  # 本村(居)委会
    OTHER_VILLAGE_SAME_TOWNSHIP = 2  # 本乡(镇、街道)其他村(居)委会
    OTHER_TOWNSHIP_SAME_COUNTY = 3  # 本县(市、区)其他乡(镇、街道)
    OTHER_COUNTY = 4  # 其他县(市、区) + 省/市/县
    PENDING = 5  # 户口待定 (skips D9, D10)


class TimeAway(IntEnum):
    """D9 离开户口登记地时间."""

    NOT_AWAY = 1  # 没有离开户口登记地 (skips D10)
    UNDER_HALF_YEAR = 2
    HALF_TO_ONE_YEAR = 3
    ONE_TO_TWO_YEARS = 4
    TWO_TO_THREE_YEARS = 5
    THREE_TO_FOUR_YEARS = 6
    FOUR_TO_FIVE_YEARS = 7
    FIVE_TO_TEN_YEARS = 8
    TEN_YEARS_OR_MORE = 9


class ReasonAway(IntEnum):
    """D10 离开户口登记地原因 (numeric codes 1-10 are a design assumption, see the domain file)."""

    WORK = 1  # 工作就业
    STUDY = 2  # 学习培训
    FOLLOW_FAMILY = 3  # 随同离开/投亲靠友
    MOVED_HOUSE = 4  # 拆迁/搬家
    NOMINAL_HUKOU = 5  # 寄挂户口
    MARRIAGE = 6  # 婚姻嫁娶
    GRANDCHILD_CARE = 7  # 照料孙子女
    CHILD_SCHOOLING = 8  # 为子女就学
    RETIREMENT = 9  # 养老/康养
    OTHER = 10  # 其他


class Education(IntEnum):
    """D11 受教育程度 (3 years and older)."""

    NONE = 1  # 未上过学
    PRESCHOOL = 2  # 学前教育
    PRIMARY = 3  # 小学
    JUNIOR = 4  # 初中
    SENIOR = 5  # 高中
    COLLEGE = 6  # 大学专科
    BACHELOR = 7  # 大学本科
    MASTER = 8  # 硕士研究生
    DOCTOR = 9  # 博士研究生


class Literate(IntEnum):
    """D12 是否识字 (15 years and older)."""

    YES = 1
    NO = 2


class UnitStatus(IntEnum):
    """A housing unit's state as the register (户主姓名底册) records it."""

    OCCUPIED = 1  # 有人居住
    VACANT = 2  # 空房 (also the other dwellings of a multi-dwelling household)
    ALL_DIED = 3  # 全户死亡 (户编号 999)
    SHOP = 4  # ground-floor shop nobody lives in (numbered, not a household)


class Form(IntEnum):
    """Which census form a person is enumerated on."""

    SHORT = 1  # R601 (the long form adds items for the 10 % sample)
    HMT_FOREIGN = 2  # 港澳台居民和外籍人员普查表


# Ethnic groups of Hunan beyond the Han majority, with their relative weights among
# minorities (Yueyang: minorities about 0.2 % of residents).
MINORITIES: tuple[tuple[str, float], ...] = (
    ("土家族", 0.35), ("苗族", 0.25), ("回族", 0.12), ("侗族", 0.08), ("瑶族", 0.08),
    ("维吾尔族", 0.04), ("壮族", 0.04), ("蒙古族", 0.02), ("满族", 0.02),
)
HAN = "汉族"
# The 56 ethnic groups in the order of GB/T 3304 (codes 01-56), as D6 and the death form
# write them (the full name, 族 included), then the two other entries of the census tables:
# persons of an unrecognised group and foreigners naturalised as Chinese citizens.
ETHNIC_GROUPS: tuple[str, ...] = (
    "汉族", "蒙古族", "回族", "藏族", "维吾尔族", "苗族", "彝族", "壮族", "布依族", "朝鲜族",
    "满族", "侗族", "瑶族", "白族", "土家族", "哈尼族", "哈萨克族", "傣族", "黎族", "傈僳族",
    "佤族", "畲族", "高山族", "拉祜族", "水族", "东乡族", "纳西族", "景颇族", "柯尔克孜族",
    "土族", "达斡尔族", "仫佬族", "羌族", "布朗族", "撒拉族", "毛南族", "仡佬族", "锡伯族",
    "阿昌族", "普米族", "塔吉克族", "怒族", "乌孜别克族", "俄罗斯族", "鄂温克族", "德昂族",
    "保安族", "裕固族", "京族", "塔塔尔族", "独龙族", "鄂伦春族", "赫哲族", "门巴族", "珞巴族",
    "基诺族", "未识别民族", "入籍",
)
ALL_DIED_HOUSEHOLD_NUMBER = 999


# Labels of the codes as printed on the form (Chinese) and on the pilot bilingual form.
LABELS: dict[str, dict[int, tuple[str, str]]] = {
    "H1": {1: ("家庭户", "Family household"), 2: ("集体户", "Collective household")},
    "H5": {1: ("普通住宅", "Ordinary dwelling"), 2: ("集体住所", "Collective quarters"),
           3: ("工作地住所", "Workplace"), 4: ("其他住房", "Other housing"),
           5: ("无住房", "No housing")},
    "D2": {0: ("户主", "Head"), 1: ("配偶", "Spouse"), 2: ("子女", "Son or daughter"),
           3: ("父母", "Parent"), 4: ("岳父母或公婆", "Parent-in-law"),
           5: ("祖父母", "Grandparent"), 6: ("媳婿", "Son-/daughter-in-law"),
           7: ("孙子女", "Grandchild"), 8: ("兄弟姐妹", "Brother or sister"),
           9: ("其他", "Other")},
    "D4": {1: ("男", "Male"), 2: ("女", "Female")},
    "D7": {1: ("本普查小区", "This enumeration area"),
           2: ("本村（居）委会其他普查小区", "Another area of this village"),
           3: ("本乡（镇、街道）其他村（居）委会", "Another village of this township"),
           4: ("本县（市、区）其他乡（镇、街道）", "Another township of this county"),
           5: ("其他县（市、区）", "Another county"), 6: ("港澳台", "Hong Kong, Macao, Taiwan"),
           7: ("国外", "Abroad")},
    "D8": {1: ("本村（居）委会", "This village"),
           2: ("本乡（镇、街道）其他村（居）委会", "Another village of this township"),
           3: ("本县（市、区）其他乡（镇、街道）", "Another township of this county"),
           4: ("其他县（市、区）", "Another county"), 5: ("户口待定", "Hukou pending")},
    "D9": {1: ("没有离开户口登记地", "Never left"), 2: ("不满半年", "Under half a year"),
           3: ("半年以上，不满一年", "½ to 1 year"), 4: ("一年以上，不满二年", "1-2 years"),
           5: ("二年以上，不满三年", "2-3 years"), 6: ("三年以上，不满四年", "3-4 years"),
           7: ("四年以上，不满五年", "4-5 years"), 8: ("五年以上，不满十年", "5-10 years"),
           9: ("十年以上", "10 years or more")},
    "D10": {1: ("工作就业", "Work"), 2: ("学习培训", "Study"),
            3: ("随同离开/投亲靠友", "Following family"), 4: ("拆迁/搬家", "Moved house"),
            5: ("寄挂户口", "Nominal hukou"), 6: ("婚姻嫁娶", "Marriage"),
            7: ("照料孙子女", "Caring for grandchildren"), 8: ("为子女就学", "Children's school"),
            9: ("养老/康养", "Retirement"), 10: ("其他", "Other")},
    "D11": {1: ("未上过学", "Never attended school"), 2: ("学前教育", "Pre-school"),
            3: ("小学", "Primary"), 4: ("初中", "Junior secondary"),
            5: ("高中", "Senior secondary"),
            6: ("大学专科", "College"), 7: ("大学本科", "Bachelor"), 8: ("硕士研究生", "Master"),
            9: ("博士研究生", "Doctorate")},
    "D12": {1: ("是", "Yes"), 2: ("否", "No")},
    "unit": {1: ("有人居住", "Occupied"), 2: ("空房", "Vacant"), 3: ("全户死亡", "All died"),
             4: ("商铺", "Shop")},
}


def label(item: str, code: int | None, english: bool) -> str:
    """'code label' for a coded answer, in Chinese or English; '—' when blank."""
    if code is None:
        return "—"
    names = LABELS.get(item, {}).get(int(code))
    if names is None:
        return str(int(code))
    return f"{int(code)} {names[1] if english else names[0]}"
