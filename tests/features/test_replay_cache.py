"""The per-process store of replays (trainer/scenarios/replays.py): whatever was remembered
before, in whatever order logs are asked for, a visit served from it is the state a fresh
replay of the same log gives, and the caller's own copy; a step request is served from it."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trainer.accounts import services as accounts
from trainer.accounts.models import Role
from trainer.config import project_root
from trainer.core.errors import DomainError
from trainer.core.interview.engine import Session as Visit
from trainer.core.interview.engine import Step
from trainer.core.scenario import loader
from trainer.fieldwork import services
from trainer.fieldwork.models import Attempt, Mode
from trainer.ops.metrics import REGISTRY
from trainer.scenarios import replays
from trainer.scenarios import services as scenario_services

SCENARIOS = {name: loader.load(project_root() / "scenarios" / f"{name}.yaml")
             for name in ("cooperative-family", "neighbour-and-child")}


@pytest.fixture(autouse=True)
def empty_store():
    replays.REPLAYS.clear()
    yield
    replays.REPLAYS.clear()


def state(visit: Visit) -> dict[str, Any]:
    """Everything a visit holds (a new attribute the engine's fork() forgot shows up here),
    but the real time of the step being applied, which only lives during `apply`."""
    return {name: value for name, value in vars(visit).items() if name != "_real_at"}


def fresh(name: str, seed: int, steps: list[dict[str, Any]]) -> Visit:
    visit = Visit(SCENARIOS[name], seed)
    for raw in steps:
        visit.apply(Step.from_dict(raw))
    return visit


def walk(data: st.DataObject, name: str, seed: int, length: int) -> list[dict[str, Any]]:
    """A log of steps the engine accepts, drawn among the actions it offers."""
    scenario = SCENARIOS[name]
    visit = Visit(scenario, seed)
    steps: list[dict[str, Any]] = []
    for n in range(length):
        unit = data.draw(st.sampled_from(sorted(visit.households)))
        offers = visit.offers(unit)
        if not offers:
            continue
        offer = data.draw(st.sampled_from(offers))
        at = None
        if offer.action == "knock":
            day = data.draw(st.integers(0, scenario.assignment.days - 1))
            hour = data.draw(st.sampled_from((9, 14, 19)))
            at = datetime.combine(scenario.assignment.first_day + timedelta(days=day),
                                  time(hour))
        step = Step(unit, offer.key, at, f"2026-11-29T10:00:{n:02d}+00:00")
        try:
            visit.apply(step)
        except DomainError:  # a knock at a time already past, say: not in the log
            continue
        steps.append(step.to_dict())
    return steps


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), name=st.sampled_from(sorted(SCENARIOS)), seed=st.integers(0, 2**31 - 1))
def test_a_served_replay_is_always_what_a_fresh_replay_gives(data, name, seed):
    steps = walk(data, name, seed, data.draw(st.integers(1, 24)))
    identity = ("test", name, seed, False)
    for _ in range(data.draw(st.integers(1, 12))):
        length = data.draw(st.integers(0, len(steps)))
        served = replays.replay(identity, steps[:length], lambda: Visit(SCENARIOS[name], seed))
        assert state(served) == state(fresh(name, seed, steps[:length]))
        if length < len(steps):  # the caller goes on with its copy: nothing kept changes
            served.apply(Step.from_dict(steps[length]))
            if data.draw(st.booleans()):
                replays.remember(identity, steps[:length + 1], served)
    # a log as long as a remembered one, with another last step, is not served its state
    if len(steps) >= 2:
        other = [*steps[:-1], {**steps[-1], "real_at": "2026-11-29T11:00:00+00:00"}]
        replays.replay(identity, steps, lambda: Visit(SCENARIOS[name], seed))
        served = replays.replay(identity, other, lambda: Visit(SCENARIOS[name], seed))
        assert state(served) == state(fresh(name, seed, other))


def test_the_store_is_bounded_and_hands_out_copies():
    store = replays.Replays(size=2)
    visits = [Visit(SCENARIOS["cooperative-family"], seed) for seed in range(3)]
    for seed, visit in enumerate(visits):
        store.put(("k", seed), visit)
    assert len(store) == 2 and store.get(("k", 0)) is None  # the least recently used went
    copy = store.get(("k", 2))
    assert copy is not None and copy is not visits[2]
    copy.apply(Step("wang", "knock", datetime(2020, 11, 2, 19, 0)))
    again = store.get(("k", 2))
    assert again is not None and again.steps == [] and again.events == []


def lookups(result: str) -> float:
    return REGISTRY.get_sample_value("trainer_replay_cache_lookups_total",
                                     {"result": result}) or 0.0


def test_a_step_request_replays_from_the_store(client, csrf, login_as, db, make_user):
    trainee = login_as(Role.TRAINEE)
    trainer = make_user(Role.TRAINER)
    cohort = accounts.create_cohort(db, actor=trainer, name="Replays", trainer=trainer)
    cohort.trainees = [trainee]
    version = scenario_services.publish(db, SCENARIOS["cooperative-family"], actor=None) or (
        scenario_services.get_version(db, "cooperative-family"))
    assignment = services.assign(db, actor=trainer, cohort=cohort, version=version,
                                 mode=Mode.PRACTICE, due_on=None)
    attempt = services.start_attempt(db, trainee, assignment)
    db.flush()
    path = f"/training/attempts/{attempt.id}/steps"
    steps = [{"action": "knock", "day": "2020-11-02", "time": "19:00"},
             {"action": "greet"}, {"action": "show_id"}]
    before = {result: lookups(result) for result in ("hit", "extended", "miss")}
    for fields in steps:
        response = client.post(path, data={"csrf_token": csrf(), "household": "wang",
                                           **fields})
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    delta = {result: lookups(result) - before[result] for result in before}
    # only the first replay of the empty log is made; every later one is remembered
    assert delta["miss"] == 1 and delta["hit"] >= len(steps) - 1
    db.expire_all()
    stored = db.get(Attempt, attempt.id)
    assert stored is not None and [s["action"] for s in stored.steps] == [
        "knock", "greet", "show_id"]
    assert state(services.replay_attempt(stored)) == state(
        fresh("cooperative-family", stored.seed, stored.steps))

