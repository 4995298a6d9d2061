"""The outcome criterion names every household's result in words, never by its code."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from tests.core.test_grading import Play
from trainer.core.grading.criteria import UNLISTED_OUTCOMES, outcome
from trainer.core.scenario.vocabulary import OUTCOMES

CODES = sorted({*OUTCOMES, *UNLISTED_OUTCOMES})


def test_a_household_never_visited_is_named_in_both_languages() -> None:
    evidence = Play().evidence()  # no door knocked at
    texts = [finding.text for finding in outcome(evidence).findings]
    assert texts and all("未入户登记" in zh and "not visited" in en for zh, en in texts)
    assert not any("not_visited" in zh + en for zh, en in texts)


@given(st.dictionaries(st.sampled_from(["home", "other", "empty"]), st.sampled_from(CODES),
                       min_size=1))
def test_no_outcome_finding_shows_a_raw_code(outcomes: dict[str, str]) -> None:
    evidence = Play().evidence()
    for zh, en in (f.text for f in outcome(replace(evidence, outcomes=outcomes)).findings):
        code = en.split(": ", 1)[1]
        assert "_" not in code and "_" not in zh.split("：", 1)[1]
