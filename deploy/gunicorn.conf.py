"""Gunicorn settings for production: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

Values come from the environment, with defaults sized from the machine's CPUs:

    GUNICORN_BIND      address to listen on            default 127.0.0.1:8000
    WEB_CONCURRENCY    worker processes                default 2 x CPUs + 1, at most 12
    GUNICORN_THREADS   threads per worker (gthread)    default 2
    GUNICORN_TIMEOUT   seconds a request may take      default 60
    GUNICORN_MAX_REQUESTS  requests before a worker is replaced  default 100000
    PROMETHEUS_MULTIPROC_DIR   when set, metrics are added up over all workers (the folder
                       is emptied at start, and a dead worker's live gauges are removed)

The application writes its own access line per request (with the request id), so gunicorn's
access log is off; gunicorn's error log goes to stderr.
"""

from __future__ import annotations

import glob
import os
from typing import Any

_cpus = os.cpu_count() or 1

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY") or min(2 * _cpus + 1, 12))
# Two threads a worker: a request is mostly Python, so more threads only queue for the
# interpreter lock, while two still overlap one request's database round trips with
# another's work. Measured with benchmarks/web.py on 2 CPUs (2 workers, 50 connections):
# with 4 threads the step's p99 was 174-205 ms on SQLite and 772 ms on PostgreSQL; with 2,
# 105-149 ms and 152 ms, at the same or a higher rate.
threads = int(os.environ.get("GUNICORN_THREADS") or 2)
worker_class = "gthread"
# A worker silent this long is killed and replaced (a request stuck in a query or a
# deadlock); video processing runs in the job queue, never in a request.
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 60)
# On restart (SIGTERM, SIGHUP) a worker finishes its requests in flight for this long.
graceful_timeout = 30
keepalive = 5  # seconds; nginx keeps connections to the upstream open (see deploy/nginx.conf)
accesslog = None
errorlog = "-"
loglevel = "info"
# Each worker imports the application itself: no database pool, Redis connection or
# prometheus value is created before the fork and shared by accident.
preload_app = False
# Replace a worker now and then so that slow leaks cannot accumulate; jitter keeps the
# workers from restarting together. A worker's start costs about 1.5 s of CPU (imports and
# create_app) and its share of the load meanwhile: at 5,000 requests a busy worker (400
# dialogue steps a second) restarted every 12 s, a tenth of the machine's CPU and the
# benchmark's worst latencies (benchmarks/web.py). 100,000 is every few minutes at peak.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS") or 100_000)
max_requests_jitter = max_requests // 10
# Request line and header limits (gunicorn's defaults made explicit).
limit_request_line = 4094
limit_request_fields = 100


def on_starting(server: Any) -> None:
    """Empty the metrics folder: files of a previous run would be added to this one's."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        os.makedirs(folder, exist_ok=True)
        for path in glob.glob(os.path.join(folder, "*.db")):
            os.remove(path)


def child_exit(server: Any, worker: Any) -> None:
    """A worker is gone: its live gauges no longer count (prometheus multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
