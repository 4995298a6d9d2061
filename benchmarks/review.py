"""The cohort dashboard and the score export for a large cohort.

    python -m benchmarks.review

A cohort of 1,000 trainees with 5 graded attempts each (five scenarios of the built-in
library, scores drawn at random with findings) in a fresh SQLite file; then, through the
application (log-in check, cohort access, queries, figures, template):
- dashboard_ms_median and dashboard_ms_p90: the dashboard page (target: median ≤ 300 ms),
  looked at again and again (the figures are kept while the cohort's rows are unchanged);
- dashboard_ms_cold_median: the same page with the kept figures dropped before each request,
  so every request reads, decodes and computes everything;
- export_rows_per_s: rows of the streamed CSV export;
- export_peak_mib: the most memory Python held while the export was read chunk by chunk
  (traced with tracemalloc, so it stays near one batch of rows, not the cohort).
The last line printed is one JSON object.
"""

from __future__ import annotations

import json
import random
import statistics
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select

from trainer import create_app
from trainer.accounts.models import Cohort, Role, User, cohort_trainees
from trainer.config import project_root
from trainer.extensions import DB_KEY
from trainer.fieldwork.models import Assignment, Attempt, AttemptStatus, Mode
from trainer.models import Base
from trainer.review import services as review
from trainer.review.models import Review, ReviewStatus
from trainer.scenarios import services as scenarios

TRAINEES = 1_000
ATTEMPTS_EACH = 5
REPEATS = 15


def fill(app: object, seed: int = 2020) -> int:
    """Create the cohort and its attempts; return the cohort id."""
    rng = random.Random(seed)
    with app.app_context(), app.extensions[DB_KEY]() as db:  # type: ignore[attr-defined]
        versions = scenarios.sync_library(db, project_root() / "scenarios")[:ATTEMPTS_EACH]
        rubrics = [scenarios.scenario_of(version).rubric for version in versions]
        trainer = User(username="bench-trainer", full_name="Bench Trainer", role=Role.TRAINER,
                       password_hash="!", session_token="bench-trainer")  # noqa: S106
        cohort = Cohort(name="Bench cohort", trainer=trainer)
        db.add(cohort)
        db.flush()
        db.execute(insert(User), [
            {"username": f"t{n:04d}", "full_name": f"学员{n:04d}", "role": Role.TRAINEE,
             "password_hash": "!", "session_token": f"s{n}"} for n in range(TRAINEES)])
        trainee_ids = list(db.scalars(select(User.id).where(User.role == Role.TRAINEE)))
        db.execute(insert(cohort_trainees), [{"cohort_id": cohort.id, "user_id": number}
                                             for number in trainee_ids])
        assignments = []
        for version in versions:
            assignment = Assignment(cohort=cohort, version=version, mode=Mode.EXAM)
            db.add(assignment)
            assignments.append(assignment)
        db.flush()
        start = datetime(2020, 11, 2, 9, tzinfo=UTC)
        rows = []
        for trainee in trainee_ids:
            for assignment, rubric in zip(assignments, rubrics, strict=True):
                criteria = {}
                for criterion in rubric.criteria:
                    value = round(min(1.0, max(0.0, rng.gauss(0.75, 0.25))), 2)
                    findings = [] if value == 1 else [{"text": [
                        f"{criterion.name}：未做到", f"{criterion.name}: not done"],
                        "event": rng.randint(1, 30), "good": False, "where": None}]
                    criteria[criterion.name] = {"score": value, "applicable": True,
                                                "findings": findings}
                total = round(100 * statistics.fmean(c["score"] for c in criteria.values()), 1)
                began = start + timedelta(minutes=rng.randint(0, 10_000))
                rows.append({"assignment_id": assignment.id, "trainee_id": trainee,
                             "version_id": assignment.version_id, "seed": 1, "steps": [],
                             "forms": {}, "register": {}, "status": AttemptStatus.SUBMITTED,
                             "score": {"grader": "bench", "total": total,
                                       "passed": total >= 60, "criteria": criteria},
                             "started_at": began, "updated_at": began,
                             "submitted_at": began + timedelta(minutes=rng.randint(10, 90))})
        db.execute(insert(Attempt), rows)
        attempt_ids = list(db.scalars(select(Attempt.id)))
        db.execute(insert(Review), [{"attempt_id": number, "status": ReviewStatus.AWAITING,
                                     "created_at": start, "updated_at": start}
                                    for number in attempt_ids])
        db.commit()
        return cohort.id


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        app = create_app({"DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
                          "INSTANCE_PATH": str(folder / "instance"),
                          "MEDIA_ROOT": str(folder / "media"), "SECRET_KEY": "benchmark",
                          "BABEL_DEFAULT_LOCALE": "en"})
        with app.app_context():
            Base.metadata.create_all(app.extensions["trainer.engine"])
        started = time.perf_counter()
        cohort_id = fill(app)
        print(f"filled {TRAINEES * ATTEMPTS_EACH} attempts in "
              f"{time.perf_counter() - started:.1f} s")
        client = app.test_client()
        with app.app_context(), app.extensions[DB_KEY]() as db:
            trainer = db.scalar(select(User).where(User.username == "bench-trainer"))
            assert trainer is not None
            user_id = trainer.get_id()
        with client.session_transaction() as session:
            session["_user_id"] = user_id
            session["_fresh"] = True
        times = []
        for _ in range(REPEATS):
            began = time.perf_counter()
            page = client.get(f"/cohorts/{cohort_id}/dashboard")
            times.append((time.perf_counter() - began) * 1000)
            assert page.status_code == 200, page.status_code
        assert f"{TRAINEES * ATTEMPTS_EACH} graded attempts" in page.get_data(as_text=True)
        cold = []
        for _ in range(REPEATS):
            review.forget_dashboards()
            began = time.perf_counter()
            page = client.get(f"/cohorts/{cohort_id}/dashboard")
            cold.append((time.perf_counter() - began) * 1000)
            assert page.status_code == 200, page.status_code
        began = time.perf_counter()
        export = client.get(f"/cohorts/{cohort_id}/scores.csv")
        rows = export.get_data(as_text=True).count("\n") - 1
        export_seconds = time.perf_counter() - began
        assert rows == TRAINEES * ATTEMPTS_EACH, rows
        # the export's memory: read chunk by chunk and dropped, as a download does; the peak
        # stays near one batch of rows however large the cohort is
        tracemalloc.start()
        streamed = client.get(f"/cohorts/{cohort_id}/scores.csv", buffered=False)
        lines = sum(chunk.count(b"\n") for chunk in streamed.iter_encoded())
        streamed.close()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert lines - 1 == rows, lines
        times.sort()
        print(json.dumps({
            "attempts": TRAINEES * ATTEMPTS_EACH,
            "dashboard_ms_median": round(statistics.median(times), 1),
            "dashboard_ms_p90": round(times[int(0.9 * (len(times) - 1))], 1),
            "dashboard_ms_cold_median": round(statistics.median(cold), 1),
            "export_rows_per_s": round(rows / export_seconds),
            "export_peak_mib": round(peak / 2**20, 2),
        }))


if __name__ == "__main__":
    main()
