"""The studying-abroad scenario teaches what it says: a daughter studying in England who has
not settled abroad is on her family's form as a hukou member away (H2b, D7 = 7 abroad, D9 =
1-2 years, D10 = study, D11 = the master's she studies for); a son settled in Canada, his hukou
cancelled, is on no form; the mother names the daughter only when asked about members away.
Each classic mistake is found by the criterion the scenario's feedback names."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from tests.core.test_around_the_standard_time import assert_costs, visit
from trainer.config import project_root
from trainer.core.census import r601, tally
from trainer.core.grading.criteria import CRITERIA, Evidence
from trainer.core.grading.forms import attempt_evidence
from trainer.core.interview.engine import Session
from trainer.core.scenario import loader

SCENARIO = loader.load(project_root() / "scenarios" / "studying-abroad.yaml")
THE_VISIT = ("show_id", "promise_confidentiality", "ask_item:roster", "probe:members_away",
             "answer_concern:privacy", "read_back")


def played(actions: tuple[str, ...] = THE_VISIT) -> Session:
    return visit(SCENARIO, "liu", datetime(2020, 11, 6, 19), actions)


PLAY = played()
Edit = Callable[[dict[str, Any]], Any]


def evidence(edit: Edit | None = None) -> Evidence:
    """The form, register and tally exactly true, then the R601 record `edit`ed."""
    base = attempt_evidence(PLAY, {}, {})
    record = copy.deepcopy(r601.record_of(PLAY.households["liu"].truth.household))
    if edit is not None:
        edit(record)
    return attempt_evidence(PLAY, {"liu": {"record": record, "complete": True}},
                            base.register_truth, tally.from_forms([record]))


def test_the_truth_has_the_daughter_abroad_as_a_member_away() -> None:
    record = r601.record_of(PLAY.households["liu"].truth.household)
    assert (record["H2a"], record["H2b"]) == (2, 1)
    daughter = record["persons"][2]
    assert (daughter["D1"], daughter["D7"], daughter["D7_place"], daughter["D8"],
            daughter["D9"], daughter["D10"], daughter["D11"]) == ("刘思雨", 7, None, 1, 4, 2, 8)
    assert r601.validate(record) == []
    assert PLAY.households["liu"].outcome == "completed"


def test_the_right_paperwork_scores_full_marks() -> None:
    for name in ("coverage", "form_accuracy", "residence_rules", "register_accuracy", "tally"):
        result = CRITERIA[name](evidence())
        assert result.applicable and result.score == 1.0, (name, result.findings)


def _daughter_left_out(record: dict[str, Any]) -> None:
    del record["persons"][2]
    record["H2b"] = 0


def _daughter_as_living_here(record: dict[str, Any]) -> None:
    record["persons"][2].update(D7=1, D9=1, D10=None)
    record.update(H2a=3, H2b=0)


def _son_added(record: dict[str, Any]) -> None:
    record["persons"].append({**record["persons"][2], "D1": "刘思远", "D3": None, "D4": 1,
                              "D5": "1993-10", "D9": 9, "D10": 5})
    record["H2b"] = 2


def _completed_level(record: dict[str, Any]) -> None:
    record["persons"][2]["D11"] = 7  # the bachelor's she holds, not the master's she studies


def _not_away(record: dict[str, Any]) -> None:
    record["persons"][2].update(D9=1, D10=None)


MISTAKES: dict[str, tuple[Edit, set[str]]] = {
    "the daughter abroad left out": (_daughter_left_out, {"coverage"}),
    "the daughter taken to live here": (_daughter_as_living_here,
                                        {"residence_rules", "form_accuracy"}),
    "the son settled in Canada added": (_son_added, {"coverage"}),
    "education as the level completed": (_completed_level, {"form_accuracy"}),
    "the daughter not away from her hukou place": (_not_away, {"residence_rules"}),
}


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_each_classic_mistake_costs_what_the_feedback_says(mistake: str) -> None:
    edit, owners = MISTAKES[mistake]
    assert_costs(evidence(), evidence(edit), owners)


def test_the_son_settled_abroad_is_named_as_someone_not_to_count() -> None:
    result = CRITERIA["coverage"](evidence(_son_added))
    texts = [finding.text[0] for finding in result.findings if not finding.good]
    assert any("刘思远 不应登记在本户" in text for text in texts), texts


def test_another_probe_does_not_end_the_visit_as_if_she_were_registered() -> None:
    """Probing births (she is denied) and reading back leads to the question "anything
    else?", not to the ending that thanks the enumerator for registering her."""
    play = played(("show_id", "ask_item:roster", "probe:births", "read_back"))
    assert play.households["liu"].disclosed == set()
    assert play.households["liu"].outcome is None  # still at the door's "anything else?"
    last = play.events[-1]
    assert last.says is not None and "思雨" not in last.says[0]


def test_the_daughter_is_heard_of_only_when_members_away_are_asked_about() -> None:
    """Without the probe the mother gives two names and H2b 0; with it, the daughter, living
    abroad (D7 answer 7 国外), and the son in Canada is in what she says, not in the truth."""
    unasked = played(tuple(a for a in THE_VISIT if not a.startswith(("probe", "answer_"))))
    assert [p.name for p in unasked.reported_persons("liu")] == ["刘建华", "周敏"]
    assert "没住本户 0 人" in unasked.answer("liu", "H2")
    assert PLAY.households["liu"].disclosed == {"daughter_abroad"}
    assert "刘思雨 7 国外" in PLAY.answer("liu", "D7")
    assert "没住本户 1 人" in PLAY.answer("liu", "H2")
    told = next(e for e in PLAY.events if e.action == "probe:members_away")
    assert told.says is not None and "刘思远" in told.says[0] and "Canada" in told.says[1]
    assert all(p.name != "刘思远" for p in PLAY.households["liu"].truth.household.persons)
