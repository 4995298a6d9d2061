"""GB 11643 identity numbers."""

from __future__ import annotations

from datetime import date

import numpy as np
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


@given(
    key=st.integers(0, 2**64 - 1),
    area=st.integers(110000, 829999),
    birth=st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 10, 31)),
    male=st.booleans(),
)
def test_a_world_gives_each_slot_of_a_kind_its_own_sequence(key, area, birth, male):
    """`world_sequences` is a bijection of the 500 slots onto the 500 sequences of the sex,
    for any world key, area code, birth date and sex: distinct slots never share a number."""
    count = idnumber.SLOTS
    sequences = idnumber.world_sequences(
        key, np.arange(count), np.full(count, area), np.full(count, birth.toordinal()),
        np.full(count, male))
    assert sorted(sequences.tolist()) == list(range(1 if male else 0, 1000, 2))
    one = idnumber.world_sequence(key, 7, str(area), birth, male)
    assert one == sequences[7]
    parsed = idnumber.parse(idnumber.make_id(str(area), birth, one))
    assert parsed == idnumber.ParsedId(str(area), birth, 1 if male else 2)


def test_the_bijection_depends_on_the_world_and_the_kind():
    """The digits look drawn: other worlds, dates and sexes put a slot elsewhere."""
    def of(key: int, day: date, male: bool) -> list[int]:
        return idnumber.world_sequences(key, np.arange(20), np.full(20, 430602),
                                        np.full(20, day.toordinal()), np.full(20, male)).tolist()
    base = of(1, date(1980, 5, 1), True)
    assert base != sorted(base)  # not the slots in order
    assert of(2, date(1980, 5, 1), True) != base
    assert of(1, date(1980, 5, 2), True) != base
    assert [n + 1 for n in of(1, date(1980, 5, 1), False)] != base


def test_a_taken_number_gives_way_to_the_next_free_sequence_of_the_sex():
    birth = date(1940, 4, 16)
    first = idnumber.make_id("430602", birth, 461)
    taken = {first, idnumber.make_id("430602", birth, 463)}
    moved = idnumber.free_number(first, taken)
    assert moved == idnumber.make_id("430602", birth, 465) and moved in taken
    assert idnumber.free_number(idnumber.NO_NUMBER, taken) == idnumber.NO_NUMBER
    assert idnumber.NO_NUMBER not in taken
    assert idnumber.free_number(idnumber.make_id("430602", birth, 999), {
        idnumber.make_id("430602", birth, 999)}) == idnumber.make_id("430602", birth, 1)


def test_the_sequences_are_the_same_from_32_bit_arrays():
    """numpy's default int is 32 bits on some platforms: an area code times a million must
    not wrap there, or the same world would have other numbers on such a machine."""
    def of(dtype: type) -> list[int]:
        return idnumber.world_sequences(
            7, np.arange(50, dtype=dtype), np.full(50, 430602, dtype=dtype),
            np.full(50, date(1980, 5, 1).toordinal(), dtype=dtype), np.arange(50) % 2 == 1
        ).tolist()
    assert of(np.int32) == of(np.int64)
