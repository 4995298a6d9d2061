"""The shared vocabulary every scenario speaks: actions, concern themes, probe topics, outcomes.

Scenarios compose because they name the trainee's moves from one list. Each action carries its
labels (Chinese, English, as the census terms are printed), how many simulated minutes it
takes, whether training counts it as good practice, a wrong move or neutral, and the default
way a respondent reacts to it (the interview engine applies these unless a scenario overrides
the effects at a node). Labels are (zh_CN, en) pairs like `world.codes.LABELS`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Conduct(StrEnum):
    """How training judges a move."""

    GOOD = "good"
    NEUTRAL = "neutral"
    WRONG = "wrong"


class Param(StrEnum):
    """The one parameter an action may take."""

    NONE = "none"
    THEME = "theme"  # answer_concern: which concern theme is answered
    TOPIC = "topic"  # probe: what is probed for
    ITEM = "item"  # ask_item: which form item (H1-H7, D1-D12, roster, housing: H8-H18)


@dataclass(frozen=True, slots=True)
class Action:
    """One move of the trainee's, as every scenario knows it."""

    name: str
    label: tuple[str, str]
    group: str
    conduct: Conduct = Conduct.NEUTRAL
    minutes: int = 1
    param: Param = Param.NONE
    trust: int = 0  # default change of the respondent's trust (0-100)
    irritation: int = 0  # default change of irritation (0-100)
    reply: tuple[str, str] | None = None  # the respondent's default words when a node has none
    anywhere: bool = False  # offered at every node of a visit unless the node lists it itself
    ends_visit: str | None = None  # outcome when used where a node gives no goto
    breach: bool = False  # a confidentiality breach, whoever sees it


def _actions(*actions: Action) -> dict[str, Action]:
    return {action.name: action for action in actions}


ACTIONS: dict[str, Action] = _actions(
    # Arriving and knocking
    Action("knock", ("敲门", "Knock at the door"), "door"),
    Action("greet", ("问候并自我介绍", "Greet and introduce yourself"), "door", Conduct.GOOD,
           trust=3),
    Action("show_id", ("出示普查员证", "Show the enumerator card (普查员证)"), "door",
           Conduct.GOOD, trust=8),
    Action("explain_purpose", ("说明普查目的", "Explain the purpose of the census"), "door",
           Conduct.GOOD, minutes=2, trust=5),
    Action("explain_legal_basis", ("说明法律依据和权利义务",
                                   "Explain the legal basis, rights and duties"), "door",
           Conduct.GOOD, minutes=2, trust=4),
    Action("promise_confidentiality", ("承诺依法保密", "Promise confidentiality (§33)"), "door",
           Conduct.GOOD, trust=6),
    Action("answer_concern", ("回应顾虑", "Answer a concern"), "concern", Conduct.GOOD,
           minutes=2, param=Param.THEME),
    Action("ask_for_adult", ("请家中成年人来回答", "Ask for an adult"), "door", Conduct.GOOD),
    # Interviewing
    Action("ask_item", ("询问普查项目", "Ask a form item"), "interview", minutes=1,
           param=Param.ITEM),
    Action("probe", ("追问", "Probe"), "interview", Conduct.GOOD, minutes=1, param=Param.TOPIC,
           irritation=2),
    Action("read_back", ("复核并请住户确认", "Read back and ask for confirmation"), "interview",
           Conduct.GOOD, minutes=3, trust=2),
    # Other ways to complete
    Action("offer_self_report", ("提供自主填报二维码", "Offer self-reporting with a QR code"),
           "mode", Conduct.GOOD, trust=3),
    Action("book_appointment", ("预约上门时间", "Book an appointment"), "mode", Conduct.GOOD,
           trust=2),
    Action("leave_notice", ("留下入户通知单", "Leave a notice of visit"), "absent", Conduct.GOOD),
    Action("come_back_later", ("改天再来", "Come back another time"), "absent",
           anywhere=True, ends_visit="partial"),
    Action("ask_neighbour", ("向邻居了解情况", "Ask a neighbour"), "absent", minutes=5),
    Action("ask_grid_worker", ("请网格员协助", "Ask the grid worker (网格员) for help"), "absent",
           Conduct.GOOD, minutes=10),
    Action("record_vacant", ("登记为空房", "Record the unit as vacant"), "absent"),
    Action("accept_refusal", ("接受拒访并上报", "Accept the refusal and report it"), "concern",
           Conduct.GOOD, ends_visit="refused"),
    Action("give_contact_number", ("留下社区核实电话", "Give the community's number to verify"),
           "door", Conduct.GOOD, minutes=2, trust=5),
    Action("use_interpreter", ("请人翻译或放慢语速", "Use an interpreter or speak slowly"),
           "door", Conduct.GOOD, minutes=3, trust=3),
    Action("record_all_died", ("登记为全户死亡户（999）", "Register a whole-household death (999)"),
           "absent"),
    Action("thank_and_close", ("致谢并结束访问", "Thank them and close the visit"), "interview",
           Conduct.GOOD, trust=2),
    # Wrong moves training must catch
    Action("threaten_penalty", ("以处罚相威胁", "Threaten penalties"), "wrong", Conduct.WRONG,
           trust=-25, irritation=35, anywhere=True,
           reply=("你这是威胁我吗？", "Are you threatening me?")),
    Action("photograph_id", ("拍摄身份证", "Photograph the ID card"), "wrong", Conduct.WRONG,
           trust=-5, breach=True, anywhere=True,
           reply=("拍我的身份证干什么？", "Why are you photographing my ID card?")),
    Action("tell_other_household", ("透露其他住户的情况", "Tell about another household"),
           "wrong", Conduct.WRONG, trust=-15, breach=True, anywhere=True,
           reply=("那你也会把我家的事告诉别人吧。",
                  "So you will tell others about us as well.")),
    Action("share_in_chat", ("把登记信息发到群里", "Share the answers in a chat group"), "wrong",
           Conduct.WRONG, breach=True, anywhere=True),
    Action("enter_without_consent", ("未经同意进屋", "Enter without consent"), "wrong",
           Conduct.WRONG, trust=-20, irritation=30, anywhere=True,
           reply=("请你出去！", "Get out of my home!")),
    Action("leave_form_visible", ("让普查表暴露在外", "Leave the form visible to others"),
           "wrong", Conduct.WRONG, breach=True, anywhere=True),
    Action("ask_bank_details", ("索要银行卡信息", "Ask for bank details"), "wrong",
           Conduct.WRONG, trust=-30, irritation=30, anywhere=True,
           reply=("人口普查还要银行卡？你是骗子吧！", "The census wants my bank card? You must "
                  "be a fraudster!")),
    Action("record_relation_to_respondent", ("按与回答人的关系填写", "Record relations to the "
                                             "respondent instead of the head"), "wrong",
           Conduct.WRONG, anywhere=True),
)

THEMES: dict[str, tuple[str, str]] = {
    "no_time": ("没有时间", "No time"),
    "privacy": ("担心隐私", "Privacy"),
    "distrust": ("不信任", "Distrust of government"),
    "fear_consequences": ("担心后果", "Fear of consequences"),
    "not_interested": ("不感兴趣", "Not interested"),
    "someone_else_decides": ("由别人做主", "Someone else decides"),
}

# The answer that fits each concern theme (refusal aversion: name the concern, answer it).
THEME_ANSWERS: dict[str, tuple[str, str]] = {
    "no_time": ("只要几分钟，也可以约您方便的时间，或者扫码自主填报。",
                "It takes a few minutes; we can book a time that suits you, or you can report "
                "yourself on your phone."),
    "privacy": ("条例第33条：能识别个人的资料依法保密，不对外提供，只用于普查。",
                "§33: anything that identifies you is kept confidential by law, never passed "
                "on, used for the census only."),
    "distrust": ("这是我的普查员证，您可以打电话向社区或统计局核实。",
                 "Here is my enumerator card; you can phone the community office or the "
                 "statistics bureau to check it."),
    "fear_consequences": ("普查资料不作为对您实施任何具体行政行为的依据，不会用于处罚。",
                          "Census data are never the basis of any administrative act against "
                          "you and are never used for penalties."),
    "not_interested": ("普查数据决定学校、医院、公交怎么规划，和您家直接相关。",
                       "The census decides where schools, clinics and buses go: it concerns "
                       "your family directly."),
    "someone_else_decides": ("可以等能做主的家人在家时再来，或者请您约个时间。",
                             "I can come back when the person who decides is home, or you can "
                             "book a time."),
}

TOPICS: dict[str, tuple[str, str]] = {
    "births": ("出生", "Births"),
    "deaths": ("死亡", "Deaths"),
    "others_living_here": ("其他住在这里的人", "Others who live here"),
    "tenants": ("租户", "Tenants"),
    "members_away": ("外出的户籍成员", "Members away"),
    "second_home": ("其他住房", "A second home"),
    "hukou": ("户口所在地", "Where the hukou is"),
    "vacancy": ("房屋是否空置", "Whether the unit is vacant"),
    "self_reported": ("是否已自主填报", "Whether they self-reported"),
}

# Form items a trainee may ask; "roster" is the list of who lives here.
ITEM_LABELS: dict[str, tuple[str, str]] = {
    "roster": ("家里有哪些人", "who lives here"), "H1": ("H1 户别", "H1 type of household"),
    "H2": ("H2 本户人数", "H2 persons of the household"), "H3": ("H3 出生人口", "H3 births"),
    "H4": ("H4 死亡人口", "H4 deaths"), "H5": ("H5 住所类型", "H5 type of dwelling"),
    "H6": ("H6 建筑面积", "H6 floor area"), "H7": ("H7 住房间数", "H7 rooms"),
    "D1": ("D1 姓名", "D1 names"), "D2": ("D2 与户主关系", "D2 relation to the head"),
    "D3": ("D3 公民身份号码", "D3 ID numbers"), "D4": ("D4 性别", "D4 sex"),
    "D5": ("D5 出生年月", "D5 year and month of birth"), "D6": ("D6 民族", "D6 ethnicity"),
    "D7": ("D7 普查时点居住地", "D7 residence on 11-01"), "D8": ("D8 户口登记地", "D8 hukou"),
    "D9": ("D9 离开户口登记地时间", "D9 time away"),
    "D10": ("D10 离开户口登记地原因", "D10 reason away"),
    "D11": ("D11 受教育程度", "D11 education"), "D12": ("D12 是否识字", "D12 literacy"),
    "housing": ("长表住房项目 H8—H18", "long-form housing items H8-H18"),
}
ITEMS: tuple[str, ...] = tuple(ITEM_LABELS)


# What someone other than a member who knows answers: the rest is "I don't know".
SPEAKER_KNOWS: dict[str, frozenset[str]] = {
    "self": frozenset(ITEMS),
    "proxy": frozenset({"roster", "H1", "H2", "D1", "D2", "D4", "D5", "D6", "D7"}),
    "child": frozenset({"roster", "D1", "D4"}),
}
DONT_KNOW: dict[str, tuple[str, str]] = {
    "proxy": ("这个我不清楚，得问他们家里人。",
              "I don't know that; you would have to ask the family."),
    "child": ("我不知道，要问大人。", "I don't know, you have to ask a grown-up."),
}


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a visit ends, and whether the household can still be visited after it."""

    code: str
    label: tuple[str, str]
    final: bool  # no further visit is useful
    complete: bool = False  # the household is counted


OUTCOMES: dict[str, Outcome] = {
    outcome.code: outcome for outcome in (
        Outcome("completed", ("完成登记", "Completed"), final=True, complete=True),
        Outcome("partial", ("部分完成", "Partly done"), final=False),
        Outcome("refused", ("拒绝", "Refused"), final=False),
        Outcome("nobody_home", ("无人在家", "Nobody home"), final=False),
        Outcome("vacant", ("空房", "Vacant"), final=True, complete=True),
        Outcome("self_reporting", ("自主填报", "Self-reporting"), final=True, complete=True),
        Outcome("proxy", ("代答", "Proxy"), final=True, complete=True),
        Outcome("appointment", ("已预约", "Appointment booked"), final=False),
        Outcome("unable_to_contact", ("无法联系", "Unable to contact"), final=True),
    )
}

TRAPS: dict[str, tuple[str, str]] = {
    "neighbour_asks": ("邻居打听别家情况", "A neighbour asks about the family next door"),
    "landlord_wants_tenants": ("房东索要租户信息", "The landlord wants the tenants' details"),
    "id_card_offered": ("住户递来身份证让拍照", "The respondent offers the ID card to photograph"),
    "child_answers": ("孩子开门", "A child answers the door"),
    "already_self_reported": ("住户已自主填报", "The household has already self-reported"),
    "checks_credentials": ("住户向社区核实证件", "The respondent checks the card with the "
                           "community"),
}

SLOTS: tuple[str, ...] = ("morning", "afternoon", "evening")
SLOT_LABELS: dict[str, tuple[str, str]] = {"morning": ("上午", "morning"),
                                           "afternoon": ("下午", "afternoon"),
                                           "evening": ("晚上", "evening")}
SLOT_HOURS: dict[str, tuple[int, int]] = {"morning": (8, 12), "afternoon": (12, 18),
                                          "evening": (18, 21)}


def slot_of(hour: int) -> str:
    """The time of day an hour falls in (visits happen 08:00-21:00; later counts as evening)."""
    return next((name for name, (lo, hi) in SLOT_HOURS.items() if lo <= hour < hi), "evening")

# Variables every scenario may read in conditions, kept by the engine.
BUILTIN_VARIABLES: dict[str, str] = {
    "with_grid_worker": "bool",  # the grid worker came along on this visit
    "appointment_kept": "bool",  # this visit is at the booked time
    "appointment_missed": "bool",  # an appointment was booked and this visit is not at it
    "notice_left": "bool",  # a notice of visit was left earlier
    "rude_before": "bool",  # an earlier visit had a wrong move the respondent saw
    "self_report_missed": "bool",  # this visit follows up a self-report never submitted
}

# Phoning a self-reporting household (not a doorstep move: no visit is open while calling).
PHONE_CHECK = ("电话核实自主填报", "Phone the household about its self-report")
PHONE_MINUTES = 10


@dataclass(frozen=True, slots=True)
class Archetype:
    """A starting persona a scenario's respondent can name and then adjust."""

    cooperativeness: float
    privacy: float
    patience: int  # irritation at which the respondent ends the visit
    themes: tuple[str, ...] = field(default=())


ARCHETYPE_LABELS: dict[str, tuple[str, str]] = {
    "cooperative": ("配合", "cooperative"), "busy": ("忙碌", "busy"),
    "private": ("注重隐私", "private"), "suspicious": ("多疑", "suspicious"),
    "fearful": ("担心后果", "fearful"), "hostile": ("抵触", "hostile"),
    "deferring": ("做不了主", "deferring to someone else"), "elderly": ("老年人", "elderly"),
}

ARCHETYPES: dict[str, Archetype] = {
    "cooperative": Archetype(0.85, 0.2, 100, ("no_time",)),
    "busy": Archetype(0.6, 0.3, 70, ("no_time",)),
    "private": Archetype(0.5, 0.85, 80, ("privacy",)),
    "suspicious": Archetype(0.35, 0.6, 70, ("distrust",)),
    "fearful": Archetype(0.45, 0.6, 80, ("fear_consequences",)),
    "hostile": Archetype(0.15, 0.5, 50, ("not_interested", "distrust")),
    "deferring": Archetype(0.6, 0.3, 90, ("someone_else_decides",)),
    "elderly": Archetype(0.7, 0.3, 90, ("someone_else_decides",)),
}
