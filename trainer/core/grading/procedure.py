"""Procedure and rapport criteria read from the visit events (the calendar of the visits).

- `revisit_timing`: after nobody opened, come back at another time of day or another kind of
  day (evening, weekend), or at the time booked with the household; never again at a time that
  already failed.
- `appointments_kept`: a booked visit is made on the day and at the time of day agreed.
- `proxy_last_resort`: a neighbour answers for a household only after the visits the rules
  require found nobody (three, or all but the last one the assignment allows).
- `rapport`: the respondent's irritation kept below a quarter of their patience; a visit broken off
  because they lost patience scores nothing.
- `self_report_followup`: a household given self-reporting is left alone until the deadline
  (a knock before it is wrong timing); a self-report received is reviewed (a `phone_check`
  after it arrived: its slips themselves are the form criteria's); one never received is
  visited from the day after the deadline, within the registration period; one whose fate
  was never looked at after the deadline is not followed up.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from trainer.core.grading.criteria import Evidence, Finding, Result, criterion
from trainer.core.interview.engine import Event
from trainer.core.scenario.vocabulary import ACTIONS, slot_of

VISITS_BEFORE_PROXY = 3  # field practice: up to three visits before a proxy
CALM = 0.25  # irritation below this share of the respondent's patience costs nothing
SLOT_NAMES = {"morning": ("上午", "morning"), "afternoon": ("下午", "afternoon"),
              "evening": ("晚上", "evening")}


def _slot(at: str) -> str:
    return slot_of(datetime.fromisoformat(at).hour)


def _when(at: str) -> tuple[bool, str]:
    """(weekend, time of day) of a simulated time."""
    return datetime.fromisoformat(at).weekday() >= 5, _slot(at)


def _knocks(events: Sequence[Event]) -> dict[str, list[Event]]:
    knocks: dict[str, list[Event]] = {}
    for event in events:
        if event.kind == "knock":
            knocks.setdefault(event.household, []).append(event)
    return knocks


def _booked(events: Sequence[Event]) -> dict[tuple[str, int], Event]:
    """(household, visit) -> the booking made on that visit."""
    return {(e.household, e.visit): e for e in events
            if e.kind == "action" and e.booked}


@criterion("revisit_timing", ("再次上门换个时间：晚上、周末或约好的时间",
                              "Revisits at another time: evenings, weekends or the time "
                              "agreed"))
def revisit_timing(evidence: Evidence) -> Result:
    """Share of the revisits after an unanswered knock made at a time of day and kind of day
    that had not already failed, or at the time booked."""
    booked = _booked(evidence.events)
    good = total = 0
    findings: list[Finding] = []
    for unit, knocks in _knocks(evidence.events).items():
        if unit in evidence.nobody_lives:
            continue  # nobody will ever open: no time is better than another
        failed: set[tuple[bool, str]] = set()
        agreed: str | None = None
        for knock in knocks:
            when = _when(knock.at)
            if failed:
                total += 1
                on_time = agreed is not None and agreed == f"{knock.at[:10]} {when[1]}"
                if on_time or when not in failed:
                    good += 1
                else:
                    day = ("周末", "weekend") if when[0] else ("工作日", "weekday")
                    slot = SLOT_NAMES[when[1]]
                    findings.append(Finding(
                        (f"{unit}：又在{day[0]}{slot[0]}上门，这个时间已经没人在家；"
                         "改在晚上或周末再来。",
                         f"{unit}: came back on a {day[1]} {slot[1]} again, a time nobody "
                         "was home before; try the evening or the weekend."), knock.seq))
            if not knock.home:
                failed.add(when)
            booking = booked.get((unit, knock.visit))
            agreed = booking.booked if booking is not None else None
    if not total:
        return Result(1.0, applicable=False)
    return Result(good / total, tuple(findings))


@criterion("appointments_kept", ("按约定的日期和时间再次上门",
                                 "Appointments kept: back on the day and at the time agreed"))
def appointments_kept(evidence: Evidence) -> Result:
    """Share of the bookings followed by a visit on the day and at the time of day agreed."""
    knocks = _knocks(evidence.events)
    bookings = list(_booked(evidence.events).values())
    findings: list[Finding] = []
    good = 0
    for booking in bookings:
        later = [k for k in knocks.get(booking.household, []) if k.seq > booking.seq]
        agreed = booking.booked or ""
        if later and f"{later[0].at[:10]} {_slot(later[0].at)}" == agreed:
            good += 1
            continue
        day, slot = agreed.split(" ") if " " in agreed else (agreed, "")
        names = SLOT_NAMES.get(slot, (slot, slot))
        findings.append(Finding(
            (f"{booking.household}：约好 {day} {names[0]} 上门，没有按约定去。",
             f"{booking.household}: the visit agreed for {day} ({names[1]}) was not made "
             "then."), booking.seq))
    if not bookings:
        return Result(1.0, applicable=False)
    return Result(good / len(bookings), tuple(findings))


@criterion("proxy_last_resort", ("邻居代答只作为最后手段：先按规定多次上门",
                                 "A neighbour answers only as a last resort, after the visits "
                                 "the rules require"))
def proxy_last_resort(evidence: Evidence) -> Result:
    """Each household counted through a neighbour (nobody of it opened) had the required
    visits with nobody home first."""
    required = max(1, min(VISITS_BEFORE_PROXY, evidence.scenario.assignment.max_visits) - 1)
    knocks = _knocks(evidence.events)
    findings: list[Finding] = []
    total = good = 0
    for event in evidence.events:
        if event.kind != "visit_end" or event.outcome != "proxy":
            continue
        visit = next((k for k in knocks.get(event.household, []) if k.visit == event.visit),
                     None)
        if visit is None or visit.home:
            continue  # the household opened: a relative speaking for one who cannot
        total += 1
        tried = sum(1 for k in knocks[event.household] if k.seq < visit.seq and not k.home)
        if tried >= required:
            good += 1
        else:
            findings.append(Finding(
                (f"{event.household}：只上门 {tried + 1} 次就让邻居代答；代答之前要先上门"
                 f" {required} 次以上、留通知单、电话预约。",
                 f"{event.household}: a neighbour answered after only {tried + 1} visits; "
                 f"first make {required} visits, leave a notice and phone to book one."),
                event.seq))
    if not total:
        return Result(1.0, applicable=False)
    return Result(good / total, tuple(findings))


@criterion("rapport", ("保持融洽：住户没有被激怒，访问得以继续",
                       "Rapport kept: the respondent was not provoked and the visit went on"))
def rapport(evidence: Evidence) -> Result:
    """Mean over the visits where someone talked of how far irritation stayed below patience:
    full marks below a quarter of it, nothing at all when the respondent lost patience."""
    peaks: dict[tuple[str, int], tuple[int, Event | None]] = {}
    for event in evidence.events:
        if event.kind != "action":
            continue
        key = (event.household, event.visit)
        peak, worst = peaks.get(key, (0, None))
        rise = event.irritation[1] - event.irritation[0]
        if worst is None or rise > worst.irritation[1] - worst.irritation[0]:
            worst = event
        peaks[key] = (max(peak, event.irritation[1]), worst)
    if not peaks:
        return Result(1.0, applicable=False)
    scores: list[float] = []
    findings: list[Finding] = []
    for (unit, _visit), (peak, worst) in peaks.items():
        respondent = evidence.scenario.respondents.get(unit)
        patience = max(1, respondent.patience if respondent else 100)
        value = min(1.0, max(0.0, (patience - peak) / (patience * (1 - CALM))))
        scores.append(value)
        if value < 1 and worst is not None:
            label = ACTIONS[(worst.action or "").split(":")[0]].label
            lost = peak >= patience
            findings.append(Finding(
                (f"{unit}：住户{'失去耐心' if lost else '越来越烦'}（烦躁 {peak}/{patience}），"
                 f"最大的一次来自：{label[0]}",
                 f"{unit}: the respondent {'lost patience' if lost else 'grew irritated'} "
                 f"(irritation {peak} of {patience}); most of it came from: {label[1]}"),
                worst.seq))
    return Result(sum(scores) / len(scores), tuple(findings))


def _day(at: str) -> date:
    return datetime.fromisoformat(at).date()


@criterion("self_report_followup", ("自主填报的跟进：截止前不上门，收到的要审核，"
                                    "未提交的截止次日起上门登记",
                                    "Self-reporting followed up: no visit before the deadline, "
                                    "received forms reviewed, the missing ones visited from "
                                    "the day after"))
def self_report_followup(evidence: Evidence) -> Result:
    """Share of the self-reporting households' checkpoints done right: each knock at one
    waiting for its self-report came after the deadline; each self-report received was
    reviewed by phone; each missing one was visited after the deadline, within the
    registration period; each household's fate was seen once the deadline had passed."""
    assignment = evidence.scenario.assignment
    deadline = assignment.self_report_until
    last_day = assignment.first_day + timedelta(days=assignment.days - 1)
    good = total = 0
    findings: list[Finding] = []
    waiting: dict[str, Event] = {}  # household -> its self-reporting visit's end
    missed: dict[str, Event] = {}
    received: dict[str, Event] = {}

    def judge(ok: bool, text: tuple[str, str], event: Event | None = None,
              where: str | None = None) -> None:
        nonlocal good, total
        total += 1
        good += ok
        if not ok:
            findings.append(Finding(text, event.seq if event else None, where=where))

    for event in evidence.events:
        unit = event.household
        if event.kind == "visit_end" and event.outcome == "self_reporting":
            waiting[unit] = event
        elif event.kind == "self_report" and unit in waiting:
            (missed if event.status == "missed" else received)[unit] = event
        elif event.kind == "phone" and event.status == "checked" and unit in received:
            judge(True, ("", ""))
            del received[unit]
            del waiting[unit]
        elif event.kind == "knock" and unit in waiting:
            day = _day(event.at)
            if unit in missed or day > deadline:
                judge(assignment.registration[0] <= day <= assignment.registration[1],
                      (f"{unit}：自主填报未提交，补登记应在登记期（至"
                       f"{assignment.registration[1].isoformat()}）内完成。",
                       f"{unit}: the self-report never came; the visit to register it must "
                       f"be within the registration period (to "
                       f"{assignment.registration[1].isoformat()})."), event)
            else:
                judge(False, (f"{unit}：住户选择了自主填报，{deadline.isoformat()} 24时截止前"
                              "不应上门登记；先电话提醒，11月6日起再上门。",
                              f"{unit}: the household chose self-reporting; do not visit "
                              f"before the deadline (midnight on {deadline.isoformat()}): "
                              "remind them by phone, and visit from the day after."), event)
            missed.pop(unit, None)
            del waiting[unit]
    for unit, ended in waiting.items():
        if unit in received:
            judge(False, (f"{unit}：收到的自主填报没有审核（电话或上门核实存疑项目）。",
                          f"{unit}: the self-report received was not reviewed (check the "
                          "doubtful answers by phone or in person)."), received[unit],
                  where=unit)
        elif unit in missed:
            judge(False, (f"{unit}：自主填报截止时没有提交，应在 {deadline.isoformat()} 之后"
                          "上门登记。",
                          f"{unit}: the self-report had not come by the deadline; visit the "
                          f"household after {deadline.isoformat()}."), missed[unit])
        elif last_day > deadline:  # the period went on past the deadline: look then
            judge(False, (f"{unit}：截止后没有查看是否已提交自主填报。",
                          f"{unit}: whether the self-report came was never checked after the "
                          "deadline."), ended)
    if not total:
        return Result(1.0, applicable=False)
    return Result(good / total, tuple(findings))
