"""A census trainer's audit of the form rules and their grading against the domain file
(../shared/domain/census-2020.md): each test states the rule it checks, quoted from the file.
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from trainer.core.census.deaths import age_at_death, validate_rows
from trainer.core.census.r601 import Severity, hard_errors, validate
from trainer.core.grading.criteria import Evidence
from trainer.core.grading.forms import form_accuracy, register_accuracy
from trainer.core.world import idnumber

HEAD_ID = idnumber.make_id("430602", date(1975, 3, 12), 155)
SPOUSE_ID = idnumber.make_id("430602", date(1977, 6, 9), 158)
CHILD_ID = idnumber.make_id("430602", date(2001, 2, 3), 311)


def person(name: str, relation: int, number: str, sex: int, born: str, **items: Any
           ) -> dict[str, Any]:
    """A person living here with the hukou here, never away (D7 = 1, D8 = 1, D9 = 1)."""
    return {"D1": name, "D2": relation, "D3": number, "D4": sex, "D5": born, "D6": "汉族",
            "D7": 1, "D8": 1, "D9": 1, "D10": None, "D11": 4, "D12": 1, **items}


def family() -> dict[str, Any]:
    """A family of three who all slept here: every rule passes."""
    return {"H1": 1, "H2a": 3, "H2b": 0, "H3m": 0, "H3f": 0, "H4m": 0, "H4f": 0, "H5": 1,
            "H6": 90, "H7": 3, "deaths": [],
            "persons": [person("张伟", 0, HEAD_ID, 1, "1975-03"),
                        person("刘芳", 1, SPOUSE_ID, 2, "1977-06"),
                        person("张小明", 2, CHILD_ID, 1, "2001-02", D11=7)]}


def issues(record: dict[str, Any], severity: Severity, item: str) -> list[str]:
    return [i.rule for i in validate(record) if i.severity == severity and i.item == item]


def test_the_base_family_passes_every_rule() -> None:
    assert validate(family()) == []


# --- 人户分离 and H2(b): who may be on the form while living elsewhere -------------------
# §1.3: "H2 part (a) counts everyone who slept there on the night of 10-31, whatever their
# hukou; part (b) counts hukou members who did not." §1.4: "Hukou members away on 10-31 appear
# in H2(b) and are enumerated at the hukou household too (their D7 ≠ 1)." §3: "户口待定 → at
# current residence (D8 = 5)". So someone on the form who lives elsewhere in China (D7 = 2-5)
# is a member of this household's hukou, which is in this 村(居)委会: D8 = 1.

@settings(max_examples=40, deadline=None)
@given(d7=st.integers(2, 5), d8=st.integers(2, 5))
def test_someone_living_elsewhere_in_china_has_the_hukou_here(d7: int, d8: int) -> None:
    record = family()
    record.update(H2a=2, H2b=1)
    child = record["persons"][2]
    child.update(D7=d7, D8=d8, D9=None if d8 == 5 else 4, D10=None if d8 == 5 else 1)
    assert "residence" in issues(record, Severity.HARD, "D8")


@settings(max_examples=20, deadline=None)
@given(d7=st.integers(2, 5))
def test_a_hukou_member_away_passes(d7: int) -> None:
    record = family()
    record.update(H2a=2, H2b=1)
    record["persons"][2].update(D7=d7, D8=1, D9=4, D10=1,
                                D7_place="广东省深圳市" if d7 == 5 else None)
    assert hard_errors(record) == []


def test_a_citizen_abroad_may_have_the_hukou_elsewhere() -> None:
    """§3: "Chinese abroad for work/study → reported by the family/collective household they
    lived in before leaving" (their hukou need not be here)."""
    record = family()
    record.update(H2a=2, H2b=1)
    record["persons"][2].update(D7=7, D8=4, D9=5, D10=2, D8_place="湖北省荆州市洪湖市")
    assert hard_errors(record) == []


# --- D9 against D7/D8 (soft: §1.4 "D9=1 (没有离开户口登记地) is expected when the person lives
# in the 村(居) of their hukou (D8=1 with D7∈{1,2})"; elsewhere the person has left it) -----

@settings(max_examples=40, deadline=None)
@given(d7=st.integers(1, 7), d8=st.integers(1, 4))
def test_d9_never_left_is_questioned_unless_the_person_lives_in_the_hukou_village(
        d7: int, d8: int) -> None:
    record = family()
    away = d7 != 1
    if away and d7 <= 5:
        d8 = 1  # only a hukou member away lives elsewhere in China (see above)
    record.update(H2a=3 - away, H2b=int(away))
    record["persons"][2].update(D7=d7, D8=d8, D9=1, D10=None)
    home = d8 == 1 and d7 in (1, 2)
    assert ("plausibility" in issues(record, Severity.SOFT, "D9")) == (not home)
    assert not issues(record, Severity.HARD, "D9")


def test_someone_living_in_the_hukou_village_is_asked_to_confirm_time_away() -> None:
    record = family()
    record["persons"][2].update(D9=4, D10=1)
    assert "plausibility" in issues(record, Severity.SOFT, "D9")


# --- ordering (§1.4, [V]): "first person is the 户主, then spouse, then other relatives" -----

def test_the_spouse_comes_right_after_the_head() -> None:
    record = family()
    persons = record["persons"]
    persons[1], persons[2] = persons[2], persons[1]
    assert "head_first" in issues(record, Severity.SOFT, "D2")
    assert not issues(record, Severity.HARD, "D2")


# --- the age universes (§1.4): D11 "3周岁及以上 (2017年10月31日以前出生)", D12 "15周岁及以上
# (2005年10月31日以前出生)" -----------------------------------------------------------------

@settings(max_examples=80, deadline=None)
@given(year=st.integers(1930, 2020), month=st.integers(1, 12))
def test_education_and_literacy_are_asked_exactly_of_their_ages(year: int, month: int) -> None:
    born = (year, month)
    if born > (2020, 10):
        return  # born after the standard time: not counted at all
    record = family()
    child = record["persons"][2]
    child.update(D3="0" * 18, D5=f"{year}-{month:02d}", D11=None, D12=None)
    blank = {i.item for i in hard_errors(record) if i.rule == "required"}
    assert ("D11" in blank) == (born <= (2017, 10))
    assert ("D12" in blank) == (born <= (2005, 10))
    child.update(D11=3, D12=1)
    extra = {i.item for i in hard_errors(record) if i.rule == "eligibility"}
    assert ("D11" in extra) == (born > (2017, 10))
    assert ("D12" in extra) == (born > (2005, 10))


# --- grading: the head of a collective household (§1.4: "Collective household: pick any member
# as 户主, others' D2 = 9") ------------------------------------------------------------------

def dormitory() -> dict[str, Any]:
    members = [person(name, 9, "0" * 18, 1, born, D8=4, D8_place="湖南省邵阳市隆回县", D9=4,
                      D10=1)
               for name, born in (("刘国平", "1975-03"), ("吴建华", "1980-07"),
                                  ("彭小军", "1992-11"))]
    members[0]["D2"] = 0
    return {"H1": 2, "H2a": 3, "H2b": 0, "H3m": 0, "H3f": 0, "H4m": 0, "H4f": 0, "H5": 2,
            "H6": None, "H7": None, "deaths": [], "persons": members}


def evidence(form: dict[str, Any], row_head: str | None = None) -> Evidence:
    truth = dormitory()
    row = {"building": 2, "unit": 1, "number": 1, "head": "刘国平", "status": "occupied",
           "present": 3, "away": 0, "mode": "visit"}
    forms = {"shed": form} if row_head is None else {}  # no form: the register's head counts
    return Evidence(scenario=None, events=(), outcomes={}, forms_expected=True,  # type: ignore[arg-type]
                    forms=forms, truth={"shed": truth},
                    register={"shed": {**row, "head": row_head or "刘国平"}},
                    register_truth={"shed": row})


def test_any_member_of_a_collective_household_may_be_its_head() -> None:
    form = dormitory()
    persons = form["persons"]
    persons[0]["D2"], persons[2]["D2"] = 9, 0
    persons.insert(0, persons.pop(2))  # the head first
    assert hard_errors(form) == []
    result = form_accuracy(evidence(form))
    assert result.score == 1.0, result.findings


def test_a_family_head_is_still_the_family_s_own() -> None:
    form = family()
    truth = copy.deepcopy(form)
    form["persons"][0]["D2"], form["persons"][2]["D2"] = 2, 0
    ev = Evidence(scenario=None, events=(), outcomes={}, forms_expected=True,  # type: ignore[arg-type]
                  forms={"home": form}, truth={"home": truth})
    assert form_accuracy(ev).score < 1.0


def test_the_register_may_name_any_member_as_a_collective_head() -> None:
    result = register_accuracy(evidence(dormitory(), row_head="彭小军"))
    assert result.score == 1.0, result.findings
    assert register_accuracy(evidence(dormitory(), row_head="王某")).score < 1.0


# --- D5 出生年月 (§1.4: "出生于 ____年 __月"): a month written without its leading zero is the
# same answer; the checks read it, so grading must too ------------------------------------

def test_a_birth_month_without_the_leading_zero_is_graded_right() -> None:
    truth = family()
    form = copy.deepcopy(truth)
    form["persons"][1]["D5"] = "1977-6"
    assert hard_errors(form) == []
    ev = Evidence(scenario=None, events=(), outcomes={}, forms_expected=True,  # type: ignore[arg-type]
                  forms={"home": form}, truth={"home": truth})
    result = form_accuracy(ev)
    assert result.score == 1.0, result.findings
    form["persons"][1]["D5"] = "1977-7"
    assert form_accuracy(ev).score < 1.0


# --- D6 民族 (§1.4: "write full name (e.g. 汉族)", "不要写简称"): a short form is questioned ----

@given(name=st.sampled_from(["汉", "苗", "土家", "Han"]))
def test_an_abbreviated_ethnic_group_is_questioned(name: str) -> None:
    record = family()
    record["persons"][0]["D6"] = name
    assert "plausibility" in issues(record, Severity.SOFT, "D6")
    assert not issues(record, Severity.HARD, "D6")
    record["persons"][0]["D6"] = name + "族" if name != "Han" else "汉族"
    assert not issues(record, Severity.SOFT, "D6")


# --- D3 against D4/D5 (§1.4, §6): "D4 must equal parity of ID digit 17; D5 must equal ID
# digits 7–12"; "000000000000000000" = no number (a warning to confirm, not an error) ----

@settings(max_examples=60, deadline=None)
@given(born=st.dates(date(1920, 1, 1), date(2020, 10, 31)), sequence=st.integers(0, 999))
def test_the_id_number_decides_sex_and_birth_month(born: date, sequence: int) -> None:
    record = family()
    child = record["persons"][2]
    sex = 1 if sequence % 2 else 2
    child.update(D3=idnumber.make_id("430602", born, sequence), D4=sex,
                 D5=f"{born.year}-{born.month:02d}", D11=None, D12=None)
    assert not [i for i in hard_errors(record) if i.rule == "id_number"]
    child["D4"] = 3 - sex
    assert ("id_number", "D4") in {(i.rule, i.item) for i in hard_errors(record)}
    child.update(D4=sex, D5=f"{born.year}-{born.month % 12 + 1:02d}")
    assert ("id_number", "D5") in {(i.rule, i.item) for i in hard_errors(record)}
    child["D3"] = "0" * 18
    assert not [i for i in hard_errors(record) if i.rule == "id_number"]
    assert "id_number" in issues(record, Severity.SOFT, "D3")


# --- the death form (§1.6): deaths "between 2019-11-01 and 2020-10-31"; age at death "if
# birth month ≤ death month → age = death year − birth year, else −1"; education "if aged ≥6
# at death" ----------------------------------------------------------------------------------

@settings(max_examples=80, deadline=None)
@given(born=st.tuples(st.integers(1900, 2020), st.integers(1, 12)),
       died=st.tuples(st.integers(2019, 2020), st.integers(1, 12)),
       written=st.integers(-1, 1))
def test_the_death_form_window_age_and_education(born: tuple[int, int],
                                                  died: tuple[int, int], written: int) -> None:
    age = died[0] - born[0] - (0 if born[1] <= died[1] else 1)
    assert age_at_death(born, died) == age
    row = {"number": 3, "name": "刘德明", "sex": 1, "birth": f"{born[0]}-{born[1]:02d}",
           "died": f"{died[0]}-{died[1]:02d}", "age": age + written, "ethnicity": "汉族",
           "education": None}
    found = {(i.rule, i.item) for i in validate_rows([row])}
    assert (("window", "died") in found) == (not (2019, 11) <= died <= (2020, 10))
    if born <= died:
        assert (("required", "education") in found) == (age >= 6)
        # the age written is the completed years the months give, and only that
        assert (("age", "age") in found) == (written != 0)


# --- D7 = 5 and D8 = 4 (§1.4: "5 其他县(市、区、旗) → write 省/市/县"; "4 其他县(市、区、旗)
# → write 省/市/县"): the place is written out where the code asks for it, and only there ----

@given(d7=st.sampled_from([1, 2, 3, 4, 5]), d8=st.sampled_from([1, 2, 3, 4]),
       d7_place=st.sampled_from([None, "", "广东省深圳市"]),
       d8_place=st.sampled_from([None, "  ", "湖北省荆州市洪湖市"]))
def test_the_place_of_another_county_is_written_exactly_where_asked(
        d7: int, d8: int, d7_place: str | None, d8_place: str | None) -> None:
    record = family()
    record["persons"][2].update(D7=d7, D8=d8, D7_place=d7_place, D8_place=d8_place)
    for item, code, place in (("D7", d7 == 5, d7_place), ("D8", d8 == 4, d8_place)):
        written = bool(place and place.strip())
        found = issues(record, Severity.HARD, f"{item}_place")
        if code:
            assert found == ([] if written else ["required"])
        else:
            assert found == (["skips"] if written else [])


def place_evidence(given: str | None, truth_place: str | None) -> Evidence:
    truth = family()
    truth["persons"][2].update(D8=4, D8_place=truth_place, D9=5, D10=1)
    form = copy.deepcopy(truth)
    form["persons"][2]["D8_place"] = given
    return Evidence(scenario=None, events=(), outcomes={}, forms_expected=True,  # type: ignore[arg-type]
                    forms={"home": form}, truth={"home": truth})


def test_the_written_place_is_graded_as_told_with_or_without_the_administrative_words(
        ) -> None:
    from trainer.core.grading.forms import residence_rules

    for written in ("湖北省荆州市洪湖市", "湖北 荆州 洪湖", "湖北省荆州市洪湖市新堤街道"):
        result = residence_rules(place_evidence(written, "湖北省荆州市洪湖市"))
        assert result.score == 1.0, (written, result.findings)
    for written in ("湖北省", "湖南省岳阳市华容县", None):
        result = residence_rules(place_evidence(written, "湖北省荆州市洪湖市"))
        assert result.score < 1.0, written
        [finding] = [f for f in result.findings if not f.good]
        assert finding.where == "home/persons[2]/D8_place"
        assert "D8 户口登记地的省、市、县 不正确" in finding.text[0]
        assert "D8 province, city and county of 张小明 is wrong" in finding.text[1]
    # a truth without the place (a scenario published before places were asked): not judged
    assert residence_rules(place_evidence("湖北", None)).score == 1.0


def test_the_respondent_tells_the_place_with_the_code() -> None:
    from pathlib import Path

    from trainer.core.interview.engine import Session
    from trainer.core.scenario import loader

    text = (Path(__file__).resolve().parents[2] / "scenarios" / "hukou-elsewhere.yaml").read_text(
        "utf-8")
    session = Session(loader.parse(text, file="hukou-elsewhere.yaml"), seed=1)
    persons = session.reported_persons("liu")
    assert persons, "the Lius tell about themselves"
    from trainer.core.interview import engine

    assert engine._item(persons[0], "D8") == "4 其他县（市、区）（湖北省荆州市洪湖市）"
    assert engine._item(persons[0], "D8", english=True).endswith("(湖北省荆州市洪湖市)")
    assert engine._item(persons[0], "D7") == f"1 {engine.LABELS['D7'][1][0]}"
