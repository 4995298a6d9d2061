"""The world's truth stays hidden (issue 3), audited across the whole application.

Trainees and examiners never see a world's truth (its persons, their ID numbers) on any page
or endpoint; a trainee sees a household's truth only as the visit earns it: nobody of a
household not yet met, no member its respondent still conceals, no fact not yet told. The
debrief after submission is outside this (`fieldwork.views._shown_score`).

The sweeps read the routes from where they are listed (`test_routes.CASES`, which fails
when a route is added without a row, and the URL map), so a new page is audited too.
"""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta

import pytest

from tests.features.test_routes import CASES, baseline_play, route_objects
from trainer.accounts import services as accounts
from trainer.accounts.models import Role
from trainer.config import project_root
from trainer.core.grading.maps import map_truth
from trainer.core.interview.engine import FIRST_HOUR, LAST_HOUR, Step
from trainer.core.scenario import loader
from trainer.fieldwork import services
from trainer.fieldwork.models import Mode
from trainer.scenarios import services as scenario_services
from trainer.worlds import services as world_services

LIBRARY = project_root() / "scenarios"
# The library's scenarios in which a respondent conceals a member at first (a fact with
# persons): each is walked without probing, so the member stays concealed.
CONCEALING = sorted(path.stem for path in LIBRARY.glob("*.yaml")
                    if any(fact.persons for fact in loader.load(path).facts.values()))
# What the walk does at an open door, the first offered of these; never a probe, an answer to
# a concern or a question to a neighbour, which are how concealed facts come out.
MANNERS = ("show_id", "greet", "explain_purpose", "explain_legal_basis",
           "promise_confidentiality", "ask_item:roster", "read_back", "thank_and_close",
           "come_back_later")


def body_of(response) -> str:
    """A response as text (a binary one, a PDF or a spreadsheet, as its bytes read)."""
    return response.get_data().decode("utf-8", "replace")


def shown(text: str, body: str) -> bool:
    """Whether `text` is in the page, as it is or escaped."""
    return text in body or html.escape(text) in body


def unearned(attempt, visit) -> list[tuple[str, str]]:
    """(why, text) of what the attempt's trainee has not earned yet: the persons (names, ID
    numbers) and deaths of households not met (no visit with someone at the door, no form
    begun or received), the members a met household still conceals, and the words of every
    fact not yet told."""
    found = []
    for unit, state in visit.households.items():
        household = state.truth.household
        if household is None:
            continue
        known = state.met or unit in (attempt.forms or {})
        concealed = {key for fact in visit.scenario.facts.values()
                     if fact.household == unit and fact.id not in state.disclosed
                     for key in fact.persons}
        for person in household.persons:
            if not known or person.key in concealed:
                why = f"{unit}: {'not met' if not known else 'concealed'}"
                found.append((why, person.name))
                if person.id_number.strip("0"):
                    found.append((why, person.id_number))
        if not known:
            found += [(f"{unit}: not met, a death", death.name) for death in household.deaths]
    for fact in visit.scenario.facts.values():
        state = visit.households.get(fact.household)
        if state is not None and fact.id not in state.disclosed:
            found += [(f"fact {fact.id} not told", fact.tells.zh[:20]),
                      (f"fact {fact.id} not told", fact.tells.en[:40])]
    return found


def attempt_urls(app, client, attempt, units) -> list[str]:
    """Every page and endpoint of an attempt a trainee may GET (from the URL map, each
    household's for every unit), each building of its walk, and the trainee's other pages."""
    urls = ["/training", "/training/maps", "/notifications", "/clips"]
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or not rule.rule.startswith(
                "/training/attempts/<int:attempt_id>"):
            continue
        path = rule.rule.replace("<int:attempt_id>", str(attempt.id))
        urls += [path.replace("<unit>", unit) for unit in units] if "<unit>" in path else [path]
    walk = body_of(client.get(f"/training/attempts/{attempt.id}/listing"))
    urls += sorted({html.unescape(link) for link in re.findall(
        r'href="(/training/attempts/\d+/listing\?building=\d+)"', walk)})
    return urls


def knock_when_home(client, csrf, attempt, unit, scenario) -> None:
    """Knock at the unit at the first hour of the exercise's days at which someone opens
    (tried on a copy of the visit first, so no visit is spent on a closed door)."""
    visit = services.replay_attempt(attempt)
    first = scenario.assignment.first_day
    for offset in range(scenario.assignment.days):
        for hour in range(FIRST_HOUR, LAST_HOUR):
            at = datetime(first.year, first.month, first.day, hour) + timedelta(days=offset)
            trial = visit.fork()
            trial.apply(Step(unit, "knock", at))
            if trial.households[unit].met:
                assert client.post(f"/training/attempts/{attempt.id}/steps", data={
                    "household": unit, "action": "knock", "csrf_token": csrf(),
                    "day": at.date().isoformat(), "time": at.strftime("%H:%M")}
                ).status_code == 302
                return


def politely(client, csrf, attempt, unit, limit: int = 12) -> None:
    """Take the first offered of MANNERS at the open door until the visit ends."""
    for _step in range(limit):
        visit = services.replay_attempt(attempt)
        if not visit.households[unit].open:
            return
        offered = [offer.key for offer in visit.offers(unit)]
        action = next((name for name in MANNERS if name in offered), None)
        if action is None:
            return
        assert client.post(f"/training/attempts/{attempt.id}/steps", data={
            "household": unit, "action": action, "csrf_token": csrf()}).status_code == 302


@pytest.mark.parametrize("scenario_id", CONCEALING)
def test_no_attempt_page_shows_a_member_still_concealed_or_a_household_not_met(
        scenario_id, app, client, csrf, login_as, make_user, db):
    """The household holding the concealed member is visited without a probe; the other
    households of the exercise are never visited. No page of the attempt then names a
    concealed member, a person of a household not met, or a fact not told."""
    trainee = login_as(Role.TRAINEE)
    trainer = make_user(Role.TRAINER)
    cohort = accounts.create_cohort(db, actor=trainer, name="Audit", trainer=trainer)
    cohort.trainees = [trainee]
    scenario = loader.load(LIBRARY / f"{scenario_id}.yaml")
    version = scenario_services.publish(db, scenario, actor=None)
    assignment = services.assign(db, actor=trainer, cohort=cohort, version=version,
                                 mode=Mode.PRACTICE, due_on=None)
    attempt = services.start_attempt(db, trainee, assignment)
    visited = next(fact.household for fact in scenario.facts.values() if fact.persons)
    knock_when_home(client, csrf, attempt, visited, scenario)
    politely(client, csrf, attempt, visited)
    db.refresh(attempt)
    visit = services.replay_attempt(attempt)
    hidden = unearned(attempt, visit)
    assert visit.households[visited].met, "the walk never met the household it audits"
    assert any("concealed" in why for why, _text in hidden), "nothing is concealed any more"
    units = list(visit.households)
    for url in attempt_urls(app, client, attempt, units):
        response = client.get(url)
        body = body_of(response)
        assert response.status_code < 500, url
        leaks = [(why, text) for why, text in hidden if shown(text, body)]
        assert not leaks, f"{url} shows {leaks}"


@pytest.mark.parametrize("role", [Role.TRAINEE, Role.EXAMINER])
def test_no_page_shows_a_world_persons_id_nor_a_trainee_the_truth_of_a_visit_not_made(
        role, client, login_as, make_user, db):
    """Every GET route (test_routes.CASES: all of them), opened as a trainee and as an
    examiner of the cohort in the context the route checks use (a world with a map task
    drawn and graded, the baseline in progress with no visit made, the baseline exam
    submitted but still open): no ID number of any person of the world's grid appears, and
    for the trainee no person of the baseline's household either (its debrief is not
    shown while the exam is open)."""
    user = login_as(role)
    owner = make_user(Role.TRAINER)
    cohort = accounts.create_cohort(db, actor=owner, name="Audit cohort", trainer=owner)
    trainee = user if role == Role.TRAINEE else make_user(Role.TRAINEE)
    if role == Role.EXAMINER:
        cohort.examiners = [user]
    cohort.trainees = [trainee]
    made = route_objects(client, db, owner=owner, cohort=cohort, trainee=trainee,
                         other=make_user(Role.TRAINEE), play=baseline_play(db, owner))
    attempt, reviewed = made.attempt, made.reviewed
    grid = world_services.grid(made.world, 0)
    secret = [("a person of the world", person.id_number)
              for household in grid.households() for person in household.persons
              if person.id_number.strip("0")]
    assert secret
    if role == Role.TRAINEE:
        secret += unearned(attempt, services.replay_attempt(attempt))
    opened = 0
    for case in CASES:
        if case.method != "GET":
            continue
        path = made.path(case)
        response = client.get(path)
        body = body_of(response)
        response.close()
        opened += response.status_code == 200
        leaks = [(why, text) for why, text in secret if shown(text, body)]
        assert not leaks, f"{case.endpoint} ({path}) shows {leaks[:3]}"
    assert opened >= 10  # the sweep reached the role's own pages, not only refusals
    if role == Role.TRAINEE:  # the exam handed in: every page of it, its debrief not yet
        for path in attempt_urls(client.application, client, reviewed, ["wang"]):
            body = body_of(client.get(path))
            leaks = [(why, text) for why, text in secret if shown(text, body)]
            assert not leaks, f"{path} shows {leaks[:3]}"


# The village-map scenario with its map area one of three in its grid: the map is graded
# against an outline and buildings that the grid's field view does not give away.
SUB_AREA = (LIBRARY / "village-map.yaml").read_text(encoding="utf-8").replace(
    "households_min: 3\n    households_max: 3\n    area_min_units: 1\n"
    "    area_target_units: 3\n    area_max_units: 12",
    "households_min: 12\n    households_max: 12\n    area_min_units: 2\n"
    "    area_target_units: 4\n    area_max_units: 6").replace(
    "pick: {grid: 0, area: 0,", "pick: {grid: 0, area: 1,")


def test_a_map_exercises_walk_shows_neither_the_areas_outline_nor_its_other_buildings(
        client, login_as, make_user, db):
    """In an exercise with the small-area map, the listing walk draws the buildings that hold
    the exercise's units and nothing else of the area: not its outline (the map's boundary
    is graded against it) nor the buildings without such a unit (its coverage is)."""
    scenario = loader.parse(SUB_AREA, "sub-area.yaml")
    assert scenario.assignment.map is not None and scenario.assignment.map.area == 1
    trainee = login_as(Role.TRAINEE)
    trainer = make_user(Role.TRAINER)
    cohort = accounts.create_cohort(db, actor=trainer, name="Map audit", trainer=trainer)
    cohort.trainees = [trainee]
    version = scenario_services.publish(db, scenario, actor=None)
    assignment = services.assign(db, actor=trainer, cohort=cohort, version=version,
                                 mode=Mode.PRACTICE, due_on=None)
    attempt = services.start_attempt(db, trainee, assignment)
    truth = map_truth(scenario, attempt.seed)
    visit = services.replay_attempt(attempt)
    holding = {state.truth.building for state in visit.households.values()}
    others = [b.number for b in truth.buildings if b.number not in holding]
    assert others, "the area has no building without a unit of the exercise"
    page = body_of(client.get(f"/training/attempts/{attempt.id}/listing"))
    drawn = page.split('data-test="listing-map"')[1].split("</svg>")[0]
    assert 'class="walk-outline"' not in drawn
    assert sorted(int(n) for n in re.findall(r"<text[^>]*>(\d+)</text>", drawn)) == sorted(
        holding)
    for number in others:
        assert client.get(f"/training/attempts/{attempt.id}/listing?building={number}"
                          ).status_code == 404
    field = client.get(f"/training/attempts/{attempt.id}/map/field.json").get_json()
    assert "outline" not in field  # the field view hides it as the walk now does
