"""The replays a process has made lately, kept in memory by what they replayed.

A visit's state is the replay of its step log (`Session` of the interview engine), and every
request of a visit needs it: a dialogue step replays the whole log before applying one more
step. The state is a pure function of (scenario version, seed, playtest, steps), so it is
remembered under exactly that key, the steps by a digest of their JSON. A key can therefore
never name a stale state: a step added by another process, or a step rolled back, makes a
different log and a different key. Step logs only grow, so a log one to `BACK` steps longer
than a remembered one (the other worker took the last step) is served by applying just those
steps to a copy. What is handed out is always a `fork()` of what is kept: callers apply steps
to their copy, never to the remembered one.

One store per process (each gunicorn worker has its own), bounded (least recently used goes
first), shared by its threads under a lock.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import orjson

from trainer.core.interview.engine import Session as Visit
from trainer.core.interview.engine import Step
from trainer.ops.metrics import REPLAY_CACHE

SIZE = 128  # visits kept per process; a long visit's state is a few hundred kB at most
BACK = 8  # how many steps behind a remembered replay may be and still be extended

Key = tuple[Any, ...]


class Replays:
    """A bounded, thread-safe map from replay keys to visit states (never handed out)."""

    def __init__(self, size: int = SIZE) -> None:
        self.size = size
        self._kept: OrderedDict[Key, Visit] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Key) -> Visit | None:
        """A copy of the state kept under `key`, or None."""
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None:
                self._kept.move_to_end(key)
        return kept.fork() if kept is not None else None  # the kept one is never changed

    def put(self, key: Key, visit: Visit) -> None:
        """Keep a copy of `visit` under `key` (the caller may go on changing its own)."""
        twin = visit.fork()
        with self._lock:
            self._kept[key] = twin
            self._kept.move_to_end(key)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)

    def clear(self) -> None:
        """Forget everything (tests)."""
        with self._lock:
            self._kept.clear()

    def __len__(self) -> int:
        return len(self._kept)


REPLAYS = Replays()


def _digests(steps: list[dict[str, Any]], back: int) -> list[bytes]:
    """Digests of the log and of its prefixes up to `back` steps shorter, longest first."""
    running = hashlib.blake2b(digest_size=16)
    first = max(0, len(steps) - back)
    out = []
    for index, step in enumerate(steps):
        if index >= first:
            out.append(running.copy().digest())
        running.update(orjson.dumps(step, option=orjson.OPT_SORT_KEYS))
    out.append(running.digest())
    return out[::-1]


def identity(version_id: int, checksum: str, seed: int, playtest: bool) -> Key:
    """What names a visit's replays: its published version (a version's text never changes;
    the checksum guards a reused row id), its seed, and whether it is a playtest."""
    return (version_id, checksum, seed, playtest)


def cached(identity: Key, steps: list[dict[str, Any]]) -> Visit | None:
    """The state after `steps` if this process replayed this log, or one up to `BACK` steps
    shorter (then extended by the steps it lacks, and remembered), before; else None."""
    digests = _digests(steps, BACK)
    behind, visit = 0, None
    for digest in digests:
        visit = REPLAYS.get((*identity, digest))
        if visit is not None:
            break
        behind += 1
    if visit is None:
        return None
    REPLAY_CACHE.labels(result="hit" if behind == 0 else "extended").inc()
    if behind:
        for raw in steps[len(steps) - behind:]:
            visit.apply(Step.from_dict(raw))
        REPLAYS.put((*identity, digests[0]), visit)
    return visit


def replay(identity: Key, steps: list[dict[str, Any]], fresh: Callable[[], Visit]) -> Visit:
    """The state after `steps` of the visit `identity` names (see `identity`); `fresh` makes
    its state before any step. Served from `REPLAYS` when this log, or one up to `BACK` steps
    shorter, was replayed here before; remembered either way."""
    visit = cached(identity, steps)
    if visit is None:
        REPLAY_CACHE.labels(result="miss").inc()
        visit = fresh()
        for raw in steps:
            visit.apply(Step.from_dict(raw))
        REPLAYS.put((*identity, _digests(steps, 0)[0]), visit)
    return visit


def remember(identity: Key, steps: list[dict[str, Any]], visit: Visit) -> None:
    """Keep `visit` as the state after `steps` (a step just applied and stored), so that the
    next request of the visit finds it."""
    REPLAYS.put((*identity, _digests(steps, 0)[0]), visit)
