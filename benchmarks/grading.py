"""Grading speed: a full attempt of an 80-unit area, and regrading stored attempts in bulk.

    python -m benchmarks.grading                 # 10,000 stored attempts
    python -m benchmarks.grading --attempts 2000

1. An enumeration area of a generated grid with about 80 housing units becomes a scenario
   (every household written out, one generic dialogue); a trainee visits every unit by the
   book and hands in every form (a few items wrong) and the register. Timed, many times:
   - grade_ms_median / grade_ms_p99: the evidence built from the replayed visits, forms and
     register, and the whole rubric (every registered criterion) applied (target: ≤ 20 ms);
   - replay_ms_median: replaying the attempt's steps (the visits), for comparison.
2. A fresh SQLite file holds `--attempts` submitted attempts at five library scenarios (the
   steps of each scenario's best path, true forms and register, grade 1 stored); a newer
   version of each scenario is published with a changed pass mark, and every attempt is
   regraded by it through `grades.regrade_many` (loading, the check that each attempt's
   households are drawn as when it was graded, replay, grading, a new grade row, commit):
   regrade_attempts_per_s (target: ≥ 500). The same run reads the same attempts
   without grading them as the baseline: load_attempts_per_s and ratio = regrade / load.
The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from trainer import create_app
from trainer.config import project_root
from trainer.core.census import r601
from trainer.core.errors import DomainError
from trainer.core.grading import forms as grading_forms
from trainer.core.grading.criteria import CRITERIA, score, score_data
from trainer.core.interview.engine import Session, Step
from trainer.core.scenario import bot, loader
from trainer.core.world.codes import Form, HouseholdType
from trainer.core.world.grid import make_grid
from trainer.core.world.spec import WorldSpec
from trainer.extensions import DB_KEY
from trainer.fieldwork import grades, truth
from trainer.fieldwork.models import Assignment, Attempt, AttemptStatus, Grade, Mode
from trainer.models import Base
from trainer.scenarios import services as scenarios

SEED = 7
INTERVIEW = ("show_id", "explain_purpose", "explain_legal_basis", "promise_confidentiality",
             "ask_item:roster", "read_back")
LIBRARY = ("cooperative-family", "hukou-elsewhere", "concealed-infant", "tenants-landlord",
           "vacant-second-home")

HEADER = """\
id: bench-area
version: 1
title: {zh_CN: 八十户普查小区, en: An 80-unit area}
summary: {zh_CN: 基准测试, en: Benchmark}
difficulty: 3
minutes: 600
objectives: [{zh_CN: 基准测试, en: Benchmark}]
world:
  seed: 7
  households:
"""
FOOTER = """\
dialogues:
  main:
    start: door
    absent: nobody
    nodes:
      nobody:
        says: {zh_CN: （无人应答）, en: (No answer)}
        actions:
          - {do: leave_notice, end: nobody_home}
          - {do: ask_neighbour, goto: neighbour}
      neighbour:
        speaker: proxy
        says: {zh_CN: 邻居开门了。, en: The neighbour opens.}
        actions:
          - {do: record_vacant, end: vacant}
      door:
        says: {zh_CN: 谁呀？, en: "Who is it?"}
        actions:
          - {do: show_id}
          - {do: explain_purpose}
          - {do: explain_legal_basis}
          - {do: promise_confidentiality}
          - {do: ask_item, item: roster}
          - do: read_back
            goto:
              - {to: done, when: {trust: ">= 50"}}
              - to: door
      done:
        says: {zh_CN: 好了。, en: Done.}
        end: completed
"""


def area_scenario(units: int = 80) -> str:
    """A scenario of the generated area nearest `units` housing units, written out."""
    spec = WorldSpec()
    best: Any = None
    for index in range(6):
        grid = make_grid(spec, SEED, index)
        for area in grid.areas:
            if best is None or abs(area.unit_count - units) < abs(best[1].unit_count - units):
                best = (grid, area)
    grid, area = best
    blocks: list[tuple[str, str]] = []  # (household id, its YAML)
    for number, household in grid.area_households(area):
        persons = [p for p in household.persons if p.form == Form.SHORT]
        if household.all_died or not persons or household.kind != HouseholdType.FAMILY:
            continue
        hid = f"h{len(blocks):03d}"
        written = "".join(
            f"\n        - {{name: {p.name}, relation: {int(p.relation)}, sex: {int(p.sex)}, "
            f"birth: {p.birth.isoformat()}, hukou: {int(p.hukou)}, "
            f"present: {str(p.present).lower()}}}" for p in persons)
        blocks.append((hid, f"    - id: {hid}\n      address: {{building: {number}, unit: 1}}"
                            f"\n      persons:{written}"))
    for vacant in range(max(0, units - len(blocks))):
        hid = f"v{vacant:03d}"
        blocks.append((hid, f"    - id: {hid}\n      kind: vacant\n"
                            f"      address: {{building: 99, unit: {vacant + 1}}}"))
    blocks = blocks[:units]
    ids = [hid for hid, _text in blocks]
    body = [text for _hid, text in blocks]
    respondents = "".join(
        f"  {hid}:\n    dialogue: main\n    archetype: cooperative\n"
        "    availability: {weekday: [morning, afternoon, evening], "
        "weekend: [morning, afternoon, evening]}\n    home_probability: 1\n" for hid in ids)
    rubric = "".join(f"    - {{criterion: {name}}}\n" for name in sorted(CRITERIA))
    return (HEADER + "\n".join(body) + "\n" +
            f"assignment:\n  units: [{', '.join(ids)}]\n  first_day: 2020-11-02\n"
            "  days: 10\n  max_visits: 3\n" +
            "respondents:\n" + respondents + FOOTER + "rubric:\n  pass: 60\n  criteria:\n" +
            rubric)


def visit_everyone(session: Session) -> None:
    """Knock at every unit in turn, the next day at 08:00 when a day is used up."""
    from datetime import datetime, timedelta
    day = datetime(2020, 11, 2, 8)
    for unit, state in session.households.items():
        actions = (("ask_neighbour", "record_vacant") if state.truth.kind == "vacant"
                   else INTERVIEW)
        while True:
            try:
                fork = session.fork()
                fork.apply(Step(unit, "knock", max(day, session.clock)))
                for action in actions:
                    fork.apply(Step(unit, action))
            except DomainError:
                day = datetime(session.clock.year, session.clock.month, session.clock.day,
                               8) + timedelta(days=1)
                continue
            session.apply(Step(unit, "knock", max(day, session.clock)))
            for action in actions:
                session.apply(Step(unit, action))
            break


def handed_in(session: Session, wrong_every: int = 10) -> tuple[dict[str, Any], dict[str, Any]]:
    """True forms with one item wrong in every `wrong_every`-th, and the true register."""
    saved = {}
    for number, unit in enumerate(grading_forms.form_units(session)):
        household = session.households[unit].truth.household
        assert household is not None
        record = r601.record_of(household)
        if number % wrong_every == 0:
            record["persons"][0]["D4"] = 3 - record["persons"][0]["D4"]
        saved[unit] = {"record": record, "complete": True}
    return saved, grading_forms.register_truth(session)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def full_attempt(repeats: int) -> dict[str, Any]:
    scenario = loader.parse(area_scenario())
    session = Session(scenario, scenario.seed)
    visit_everyone(session)
    saved, rows = handed_in(session)
    steps = [step.to_dict() for step in session.steps]
    grade_times, replay_times = [], []
    result = None
    for _ in range(repeats):
        began = time.perf_counter()
        result = score(grading_forms.attempt_evidence(session, saved, rows))
        grade_times.append((time.perf_counter() - began) * 1000)
        began = time.perf_counter()
        replayed = Session(scenario, scenario.seed)
        for raw in steps:
            replayed.apply(Step.from_dict(raw))
        replay_times.append((time.perf_counter() - began) * 1000)
    assert result is not None and 0 < result.results["form_accuracy"].score < 1
    persons = sum(len(entry["record"]["persons"]) for entry in saved.values())
    return {"units": len(session.households), "forms": len(saved), "persons": persons,
            "events": len(session.events), "criteria": len(result.results),
            "grade_ms_median": round(statistics.median(grade_times), 2),
            "grade_ms_p99": round(percentile(grade_times, 0.99), 2),
            "replay_ms_median": round(statistics.median(replay_times), 2)}


def fill(app: Any, attempts: int) -> None:
    """Submitted attempts at the library scenarios, each with grade 1; then newer versions."""
    with app.app_context(), app.extensions[DB_KEY]() as db:
        folder = project_root() / "scenarios"
        versions = [v for v in scenarios.sync_library(db, folder) if v.scenario_id in LIBRARY]
        from trainer.accounts.models import Cohort, Role, User
        trainer = User(username="bench-trainer", full_name="Bench", role=Role.TRAINER,
                       password_hash="!", session_token="bench")  # noqa: S106
        trainee = User(username="bench-trainee", full_name="Bench", role=Role.TRAINEE,
                       password_hash="!", session_token="bench2")  # noqa: S106
        cohort = Cohort(name="Bench", trainer=trainer)
        db.add_all([cohort, trainee])
        db.flush()
        rows = []
        for version in versions:
            scenario = scenarios.scenario_of(version)
            path = bot.explore(scenario, budget=2_000).best
            assert path is not None
            session = Session(scenario, scenario.seed)
            for step in path.steps:
                session.apply(step)
            saved, register = handed_in(session)
            data = score_data(score(grading_forms.attempt_evidence(session, saved, register)),
                              grades.GRADER)
            assignment = Assignment(cohort=cohort, version=version, mode=Mode.PRACTICE)
            db.add(assignment)
            db.flush()
            rows.append({"assignment_id": assignment.id, "trainee_id": trainee.id,
                         "version_id": version.id, "seed": scenario.seed,
                         "steps": [step.to_dict() for step in path.steps], "forms": saved,
                         "register": register, "status": AttemptStatus.SUBMITTED,
                         "score": data,
                         "truth_fingerprint": truth.fingerprint_of(version, scenario.seed)})
        db.execute(insert(Attempt), [rows[n % len(rows)] for n in range(attempts)])
        db.execute(insert(Grade), [
            {"attempt_id": attempt_id, "number": 1, "grader": grades.GRADER,
             "rubric_version_id": version_id, "data": data, "truth_fingerprint": fingerprint}
            for attempt_id, version_id, data, fingerprint in db.execute(
                select(Attempt.id, Attempt.version_id, Attempt.score,
                       Attempt.truth_fingerprint))])
        for version in versions:  # a changed pass mark: every attempt gets a new version
            text = version.source.replace(f"version: {version.version}\n",
                                          f"version: {version.version + 1}\n", 1)
            newer = loader.parse(re.sub(r"\n  pass: (\d+)", count=1, string=text,
                                        repl=lambda m: f"\n  pass: {int(m.group(1)) - 1}"))
            scenarios.publish(db, newer, actor=None)
        db.commit()


def bulk(attempts: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        app = create_app({"DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
                          "INSTANCE_PATH": str(folder / "instance"),
                          "MEDIA_ROOT": str(folder / "media"), "SECRET_KEY": "benchmark"})
        with app.app_context():
            Base.metadata.create_all(app.extensions["trainer.engine"])
        fill(app, attempts)
        with app.app_context(), app.extensions[DB_KEY]() as db:
            began = time.perf_counter()
            loaded = grades.submitted_attempts(db)
            for attempt in loaded:
                _ = (attempt.steps, attempt.forms, attempt.register, attempt.version.source)
            load_seconds = time.perf_counter() - began
        with app.app_context(), app.extensions[DB_KEY]() as db:
            began = time.perf_counter()
            done = grades.regrade_many(db, grades.submitted_attempts(db), actor=None)
            db.commit()
            regrade_seconds = time.perf_counter() - began
            assert done.checked == done.changed == attempts, done
            stored = db.scalar(select(Grade).where(Grade.number == 2).limit(1))
            assert stored is not None
    return {"attempts": attempts,
            "regrade_attempts_per_s": round(attempts / regrade_seconds),
            "load_attempts_per_s": round(attempts / load_seconds),
            "ratio": round(load_seconds / regrade_seconds, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--attempts", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    single = full_attempt(args.repeats)
    print(f"one 80-unit attempt: {json.dumps(single)}")
    many = bulk(args.attempts)
    print(json.dumps({**single, **many}))


if __name__ == "__main__":
    main()
