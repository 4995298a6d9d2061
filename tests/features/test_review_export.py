"""The score export streams: the memory held while a cohort's CSV is read does not grow
with the cohort (rows are read from the database in batches and written out one by one)."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

from sqlalchemy import select

import benchmarks.review as bench
from trainer import create_app
from trainer.accounts.models import User
from trainer.extensions import DB_KEY
from trainer.models import Base


def export_peak(folder: Path, trainees: int) -> tuple[int, int]:
    """(rows exported, the most memory Python held while the CSV was read chunk by chunk)
    for a cohort of `trainees` × 5 graded attempts in a file of its own."""
    folder.mkdir()
    app = create_app({"DATABASE_URL": f"sqlite:///{folder / 'export.sqlite3'}",
                      "INSTANCE_PATH": str(folder / "instance"),
                      "MEDIA_ROOT": str(folder / "media"), "SECRET_KEY": "export-test",
                      "BABEL_DEFAULT_LOCALE": "en"})
    engine = app.extensions["trainer.engine"]
    with app.app_context():
        Base.metadata.create_all(engine)
    saved = bench.TRAINEES
    bench.TRAINEES = trainees
    try:
        cohort_id = bench.fill(app)
    finally:
        bench.TRAINEES = saved
    client = app.test_client()
    with app.app_context(), app.extensions[DB_KEY]() as db:
        trainer = db.scalar(select(User).where(User.username == "bench-trainer"))
        assert trainer is not None
        user_id = trainer.get_id()
    with client.session_transaction() as session:
        session["_user_id"] = user_id
        session["_fresh"] = True
    url = f"/cohorts/{cohort_id}/scores.csv"
    client.get(url).close()  # the first request fills the app's caches: not the export's cost
    tracemalloc.start()
    try:
        response = client.get(url, buffered=False)
        lines = sum(chunk.count(b"\n") for chunk in response.iter_encoded())
        response.close()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        engine.dispose()
    return lines - 1, peak


def test_a_five_times_larger_cohort_exports_in_about_the_same_memory(tmp_path: Path) -> None:
    small_rows, small = export_peak(tmp_path / "small", 200)
    large_rows, large = export_peak(tmp_path / "large", 1000)
    assert (small_rows, large_rows) == (1000, 5000)
    # loaded whole, 5,000 scores would take about five times the memory of 1,000
    assert large < 1.3 * small, (small, large)
