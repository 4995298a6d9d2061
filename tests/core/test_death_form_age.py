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
