"""The shop-dwellers scenario teaches what it says: a couple living in their street shop is a
household registered there (H5 = 3 workplace, no H6-H7), with the hukou in Huarong written out
(D8 = 4); their son in Huarong is on no form here; the visit goes on only once the rule
"registered where one lives" is explained. Each classic mistake is found by the criterion the
scenario's feedback names."""

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

SCENARIO = loader.load(project_root() / "scenarios" / "shop-dwellers.yaml")
THE_VISIT = ("show_id", "explain_purpose", "explain_legal_basis", "promise_confidentiality",
             "ask_item:roster", "probe:members_away", "read_back")


def played(actions: tuple[str, ...] = THE_VISIT) -> Session:
    return visit(SCENARIO, "yang", datetime(2020, 11, 6, 10), actions)


PLAY = played()
Edit = Callable[[dict[str, Any]], Any]


def evidence(edit: Edit | None = None) -> Evidence:
    """The form, register and tally exactly true, then the R601 record `edit`ed."""
    base = attempt_evidence(PLAY, {}, {})
    record = copy.deepcopy(r601.record_of(PLAY.households["yang"].truth.household))
    if edit is not None:
        edit(record)
    return attempt_evidence(PLAY, {"yang": {"record": record, "complete": True}},
                            base.register_truth, tally.from_forms([record]))


def test_the_truth_is_a_household_of_the_shop() -> None:
    record = r601.record_of(PLAY.households["yang"].truth.household)
    assert (record["H5"], record["H6"], record["H7"], record["H2a"]) == (3, None, None, 2)
    assert [(p["D1"], p["D8"], p["D8_place"], p["D3"][:6]) for p in record["persons"]] == [
        ("杨建军", 4, "湖南省岳阳市华容县", "430623"), ("黄丽", 4, "湖南省岳阳市华容县", "430623")]
    assert r601.validate(record) == []
    assert PLAY.households["yang"].outcome == "completed"


def test_the_right_paperwork_scores_full_marks() -> None:
    for name in ("coverage", "form_accuracy", "residence_rules", "register_accuracy", "tally"):
        result = CRITERIA[name](evidence())
        assert result.applicable and result.score == 1.0, (name, result.findings)


def _as_a_flat(record: dict[str, Any]) -> None:
    record.update(H5=1, H6=30, H7=1)


def _son_added(record: dict[str, Any]) -> None:
    record["persons"].append({**record["persons"][0], "D1": "杨浩", "D2": 2, "D3": None,
                              "D5": "2008-05", "D7": 5, "D7_place": "湖南省岳阳市华容县"})
    record["H2b"] = 1


def _hukou_place_left_out(record: dict[str, Any]) -> None:
    for person in record["persons"]:
        person.update(D8=1, D8_place=None, D9=1, D10=None)


MISTAKES: dict[str, tuple[Edit, set[str]]] = {
    "the shop taken for an ordinary flat": (_as_a_flat, {"form_accuracy"}),
    "the son in Huarong added as a member away": (_son_added, {"coverage"}),
    "the hukou taken to be here": (_hukou_place_left_out, {"residence_rules"}),
}


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_each_classic_mistake_costs_what_the_feedback_says(mistake: str) -> None:
    edit, owners = MISTAKES[mistake]
    assert_costs(evidence(), evidence(edit), owners)


def test_the_visit_goes_on_only_once_the_rule_is_explained() -> None:
    """Without the rule (where one lives, not the hukou) the couple sends the enumerator to
    Huarong; accepting that leaves the household unregistered."""
    refused = played(("show_id", "explain_purpose", "accept_refusal"))
    assert refused.households["yang"].outcome == "refused"
    assert PLAY.households["yang"].disclosed == {"son_in_huarong"}
