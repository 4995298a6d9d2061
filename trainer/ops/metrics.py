"""Prometheus metrics: request latency observed per request, live figures read at scrape time.

Gunicorn runs several worker processes, and a scrape reaches only one of them. With
`PROMETHEUS_MULTIPROC_DIR` set (to an empty folder, before the workers start; the gunicorn
config in deploy/ wipes it at start and removes a dead worker's live gauges), every process
writes its samples to files there and a scrape adds them up (prometheus_client's multiprocess
mode). Without it, the process's own registry is exposed: right for a single process.

The live figures (job queue depth, attempts in progress) are not stored per process: they are
read from the queue and the database by whichever process answers the scrape.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric

log = logging.getLogger(__name__)

# Seconds; finer where the targets are (a dialogue step: p99 at most 150 ms).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                   30.0)
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

# The application's own registry (not prometheus_client's global one), so that only these
# metrics are exposed in single-process mode.
REGISTRY = CollectorRegistry()
REQUEST_SECONDS = Histogram(
    "trainer_request_duration_seconds",
    "Time to answer a request, by Flask endpoint, method and status class",
    ["endpoint", "method", "status"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
# Lookups of the per-process replay store (trainer/scenarios/replays.py): a hit, a remembered
# replay extended by the steps another worker took, or a miss (a whole replay).
REPLAY_CACHE = Counter(
    "trainer_replay_cache_lookups",
    "Visit replays looked up in the process's store, by result (hit, extended, miss)",
    ["result"],
    registry=REGISTRY,
)


def multiprocess_dir() -> str | None:
    """The folder of prometheus_client's multiprocess mode, when it is switched on."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def observe_request(endpoint: str | None, method: str, status: int, seconds: float) -> None:
    """Record one answered request. Labels are bounded: the endpoint name (not the path, so
    ids do not multiply series), a known method, the status class."""
    REQUEST_SECONDS.labels(
        endpoint=endpoint or "unmatched",
        method=method if method in KNOWN_METHODS else "other",
        status=f"{status // 100}xx",
    ).observe(seconds)


class LiveCollector:
    """Gauges computed when scraped; a figure that cannot be read is left out (and logged),
    so that `absent(...)` alerts on it while the rest of the scrape still works."""

    def __init__(self, queue_depth: Callable[[], int],
                 attempts_in_progress: Callable[[], int]) -> None:
        self.queue_depth = queue_depth
        self.attempts_in_progress = attempts_in_progress

    def collect(self) -> Iterator[Metric]:
        for name, doc, read in (
            ("trainer_job_queue_depth", "Jobs waiting in the queue (huey), read at scrape time",
             self.queue_depth),
            ("trainer_attempts_in_progress",
             "Field-work attempts in progress (started, not submitted), read at scrape time",
             self.attempts_in_progress),
        ):
            try:
                value = read()
            except Exception:
                log.warning("metric %s could not be read", name, exc_info=True)
                continue
            gauge = GaugeMetricFamily(name, doc)
            gauge.add_metric([], value)
            yield gauge


class _Together:
    """Several collectors exposed as one (what generate_latest needs: a `collect`)."""

    def __init__(self, collectors: Iterable[Any]) -> None:
        self.collectors = list(collectors)

    def collect(self) -> Iterator[Metric]:
        for collector in self.collectors:
            yield from collector.collect()


def exposition(live: LiveCollector) -> bytes:
    """The scrape's body in the Prometheus text format."""
    if multiprocess_dir():
        from prometheus_client import multiprocess

        merged = CollectorRegistry()
        multiprocess.MultiProcessCollector(merged)  # type: ignore[no-untyped-call]
        recorded: Any = merged
    else:
        recorded = REGISTRY
    return generate_latest(_Together([recorded, live]))
