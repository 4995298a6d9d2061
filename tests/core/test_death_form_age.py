"""Review of the death form's age item (死亡时年龄): edge cases of its grading."""

from __future__ import annotations

import pytest

from tests.core.test_grading_extra_forms import _row, evidence
from trainer.core.grading.criteria import CRITERIA


def _wrong(edit) -> list[str]:
    result = CRITERIA["death_form"](evidence(edit))
    return [f.where for f in result.findings if not f.good]


@pytest.mark.parametrize("birth", [None, "1940", "2020-09"])  # blank, no month, after death
def test_a_blank_age_is_wrong_even_where_the_rows_months_give_no_age(birth) -> None:
    """A blank age is right neither as the true age nor as the row's months give it: that
    the months give none (a birth left out, not a month, after the death) does not make a
    blank age right."""
    wrong = _wrong(lambda f, r: _row(r, "张德顺").update(birth=birth, age=None))
    assert wrong == ["deaths/rows[0]/birth", "deaths/rows[0]/age"]


def test_a_blank_age_with_months_is_wrong() -> None:
    assert _wrong(lambda f, r: _row(r, "张德顺").update(age=None)) == ["deaths/rows[0]/age"]


def test_a_row_saved_before_the_form_asked_the_age_is_not_judged_on_it() -> None:
    """Rows stored before the age item have no "age" key: graded again (a new GRADER), they
    are judged on the seven items they could hold, not marked wrong on the eighth."""
    before = CRITERIA["death_form"](evidence(lambda f, r: [row.pop("age") for row in r]))
    assert before.score == 1.0 and not [f for f in before.findings if not f.good]
    # ... while one wrong item of seven costs a seventh of the row
    sex = CRITERIA["death_form"](evidence(lambda f, r: [
        *(row.pop("age") for row in r), _row(r, "王秀兰").update(sex=1)]))
    assert sex.score == pytest.approx(1 - 1 / 7 / 2)
