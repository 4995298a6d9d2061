"""GB 11643 identity numbers."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from trainer.core.world import idnumber


def test_published_examples_are_valid():
    for number in ("11010519491231002X", "440524188001010014", "370101190102039973"):
        assert idnumber.is_valid(number)
    assert idnumber.parse("11010519491231002X") == idnumber.ParsedId(
        "110105", date(1949, 12, 31), 2)


def test_wrong_check_char_bad_date_and_no_number_are_invalid():
    assert not idnumber.is_valid("110105194912310021")
    assert not idnumber.is_valid("430602202002300011")  # 30 February
    assert not idnumber.is_valid(idnumber.NO_NUMBER)
    assert not idnumber.is_valid("11010519491231002")


@given(
    area=st.sampled_from(["430602", "430603", "430611", "430621", "430682", "110105"]),
    birth=st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 10, 31)),
    sex=st.sampled_from([1, 2]),
    draw=st.integers(min_value=0, max_value=10**6),
)
def test_generated_numbers_are_valid_and_carry_sex_and_birth(area, birth, sex, draw):
    number = idnumber.make_id(area, birth, idnumber.sequence_for(sex, draw))
    parsed = idnumber.parse(number)
    assert parsed == idnumber.ParsedId(area, birth, sex)


@given(st.text(alphabet="0123456789", min_size=17, max_size=17), st.integers(0, 16),
       st.integers(1, 9))
def test_any_single_digit_change_is_detected(body, position, delta):
    number = body + idnumber.check_char(body)
    changed = number[:position] + str((int(number[position]) + delta) % 10) + number[position + 1:]
    assert idnumber.check_char(changed[:17]) != changed[17]
