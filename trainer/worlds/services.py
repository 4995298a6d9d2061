"""Creating worlds, drawing their grids (cached) and counting their figures."""

from __future__ import annotations

import enum
import hashlib
import itertools
import json
import secrets
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from trainer.accounts.models import User
from trainer.core.errors import Conflict, DomainError, InvalidInput, NotFound
from trainer.core.i18n import N_
from trainer.core.world import export, regions
from trainer.core.world.export import OverviewMap, overview_map
from trainer.core.world.grid import Grid, make_grid, village_of
from trainer.core.world.spec import WorldSpec
from trainer.core.world.stats import Tally, compare
from trainer.db import utcnow
from trainer.worlds.models import World

MAX_SEED = 2**63 - 1


def spec_of(world: World) -> WorldSpec:
    """The world's spec as the core reads it."""
    return WorldSpec.from_dict(world.spec)


@lru_cache(maxsize=16)
def _cached_grid(spec_json: str, seed: int, index: int) -> Grid:
    return make_grid(WorldSpec.from_dict(json.loads(spec_json)), seed, index)


def _spec_key(world: World) -> str:
    """The world's spec as the caches below key it (its JSON, keys sorted)."""
    return json.dumps(world.spec, sort_keys=True)


def grid(world: World, index: int) -> Grid:
    """Grid `index` of the world, drawn on demand (the most recent grids stay in memory)."""
    if not 0 <= index < world.grids:
        raise NotFound(N_("No such grid."))
    return _cached_grid(_spec_key(world), world.seed, index)


# The overview map (one page) --------------------------------------------------------
#
# Decision: the overview is paged by whole townships, OVERVIEW_TOWNSHIPS_PER_PAGE at a
# time. A township has at most 6 villages × 3 grids, so a page draws at most 72 grid
# skeletons (about 3 ms each, no households), and a village or township is never split
# across pages. The order (which grids make each township: arithmetic and the cached
# village names, about 0.1 s for MAX_GRIDS) is kept per world, and each drawn page's
# geometry (a few hundred outlines, not the grids) is kept for the last pages asked for;
# the grids themselves are not kept, so paging through a large world's map does not push
# out the grids (with their households) that `grid` keeps for the grid and area pages.

OVERVIEW_TOWNSHIPS_PER_PAGE = 4


@lru_cache(maxsize=8)
def _places(spec_json: str, seed: int) -> tuple[tuple[regions.Village, int], ...]:
    """Each grid's 普查区 and its number within it (`village_of`), kept per world: the
    overview's townships and a prefecture world's counties are both read from it."""
    spec = WorldSpec.from_dict(json.loads(spec_json))
    return tuple(village_of(spec, seed, index) for index in range(spec.grids))


@lru_cache(maxsize=8)
def _townships(spec_json: str, seed: int) -> tuple[tuple[int, ...], ...]:
    """The world's grid indices by township, in code order (each by village and position)."""
    places = sorted((village.code, position, index)
                    for index, (village, position) in enumerate(_places(spec_json, seed)))
    return tuple(tuple(index for _code, _position, index in group)
                 for _township, group in itertools.groupby(places, key=lambda p: p[0][:9]))


@dataclass(frozen=True)
class CountyGrids:
    """One county of a prefecture's world: its town and country grids, and which they are."""

    county: regions.County
    town: int
    country: int
    indices: tuple[int, ...]


@lru_cache(maxsize=8)
def _counties(spec_json: str, seed: int, region: str) -> tuple[CountyGrids, ...]:
    indices: dict[str, list[int]] = {code: [] for code, _weight in regions.counties_of(region)}
    town: Counter[str] = Counter()
    for index, (village, _position) in enumerate(_places(spec_json, seed)):
        indices[village.code[:6]].append(index)
        town[village.code[:6]] += village.urban
    return tuple(CountyGrids(regions.county(code), town[code], len(grids) - town[code],
                             tuple(grids)) for code, grids in indices.items())


def counties(world: World) -> tuple[CountyGrids, ...]:
    """A prefecture's world: each of its counties with its grids; a county's world: ()."""
    if not regions.is_prefecture_code(world.region):
        return ()
    return _counties(_spec_key(world), world.seed, world.region)


def county_grids(world: World, code: str) -> CountyGrids:
    """One county of a prefecture's world; NotFound for any other code."""
    for row in counties(world):
        if row.county.code == code:
            return row
    raise NotFound(N_("This world has no county %(code)s."), code=code[:12])


@lru_cache(maxsize=32)
def _overview_page(spec_json: str, seed: int, page: int) -> OverviewMap:
    spec = WorldSpec.from_dict(json.loads(spec_json))
    first = (page - 1) * OVERVIEW_TOWNSHIPS_PER_PAGE
    chosen = _townships(spec_json, seed)[first:first + OVERVIEW_TOWNSHIPS_PER_PAGE]
    return overview_map(make_grid(spec, seed, index) for township in chosen
                        for index in township)


def overview_pages(world: World) -> int:
    """How many pages the world's overview map has."""
    townships = len(_townships(_spec_key(world), world.seed))
    return max(1, -(-townships // OVERVIEW_TOWNSHIPS_PER_PAGE))


def overview_page(world: World, page: int) -> OverviewMap:
    """Page `page` (from 1) of the world's overview map; NotFound past the last page."""
    if not 1 <= page <= overview_pages(world):
        raise NotFound(N_("The map has no such page; its pages run from 1 to %(pages)s."),
                       pages=overview_pages(world))
    return _overview_page(_spec_key(world), world.seed, page)


@dataclass
class Counting:
    """A count under way: the grids counted so far (the first `done`) and their sums. A job
    counts a world a slice at a time and keeps this between its slices (`pause_count`)."""

    done: int = 0
    tally: Tally = field(default_factory=Tally)
    areas: int = 0
    digests: dict[int, str] = field(default_factory=dict)  # of the `_sample` grids

    def to_json(self) -> dict[str, Any]:
        tally = asdict(self.tally)
        tally["education"] = {str(code): n for code, n in self.tally.education.items()}
        return {"done": self.done, "tally": tally, "areas": self.areas,
                "digests": {str(index): digest for index, digest in self.digests.items()}}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Counting:
        if not data:
            return cls()
        tally = Tally(**{**data["tally"], "education": {
            int(code): n for code, n in data["tally"]["education"].items()}})
        return cls(data["done"], tally, data["areas"],
                   {int(index): digest for index, digest in data["digests"].items()})

    def totals(self, spec: WorldSpec, seed: int) -> tuple[Tally, int, str]:
        """The finished count: figures, areas and fingerprint, as `count` gives them."""
        return self.tally, self.areas, _joined(self.digests[index]
                                               for index in _sample(spec, seed))


def count_some(spec: WorldSpec, seed: int, state: Counting,
               more: Callable[[], bool] = lambda: True,
               progress: Callable[[int], None] | None = None) -> bool:
    """Count the world's grids from `state.done` on, each drawn once, while `more()` says
    so (at least one grid); True when every grid is counted. `progress` is called with the
    number of grids done. The sums do not depend on where the slices end."""
    sample = _sample(spec, seed)
    while state.done < spec.grids:
        index = state.done
        part = make_grid(spec, seed, index)
        state.tally.add(part.households(), part.urban)
        state.areas += len(part.areas)
        if index in sample:
            state.digests[index] = export.fingerprint(part)
        state.done = index + 1
        if progress is not None:
            progress(state.done)
        if not more():
            break
    return state.done >= spec.grids


def count(spec: WorldSpec, seed: int,
          progress: Callable[[int], None] | None = None) -> tuple[Tally, int, str]:
    """Draw every grid once and count it: the figures, the number of areas, and the world's
    fingerprint (see `drifted`).

    This draws every household, so it takes a while for a large world; `progress` is called
    with the number of grids done.
    """
    state = Counting()
    count_some(spec, seed, state, progress=progress)
    return state.totals(spec, seed)


def summarise(counts: Tally, areas: int, fingerprint: str) -> dict[str, Any]:
    """What the world row keeps: totals, the figures beside their targets, and the world's
    fingerprint (see `drifted`)."""
    return {"persons": counts.persons, "households": counts.households, "areas": areas,
            "births": counts.births, "deaths": counts.deaths, "figures": compare(counts),
            "fingerprint": fingerprint}


def _sample(spec: WorldSpec, seed: int) -> tuple[int, ...]:
    """The grids a world's fingerprint is taken from: its first urban and its first rural
    grid (those it has), as the generator draws the two kinds by different rules."""
    first: dict[bool, int] = {}
    for index in range(spec.grids):
        first.setdefault(village_of(spec, seed, index)[0].urban, index)
        if len(first) == 2:
            break
    return tuple(sorted(first.values()))


def _joined(digests: Iterable[str]) -> str:
    return hashlib.sha256("".join(digests).encode()).hexdigest()


@lru_cache(maxsize=64)
def _fingerprint(spec_json: str, seed: int) -> str:
    spec = WorldSpec.from_dict(json.loads(spec_json))
    return _joined(export.fingerprint(make_grid(spec, seed, index))
                   for index in _sample(spec, seed))


class Drift(enum.Enum):
    """How a stored world stands with this version of the generator (see `drifted`)."""

    CHANGED = "changed"  # it draws the world otherwise than when the world was counted
    UNKNOWN = "unknown"  # counted before fingerprints were kept: cannot tell


def drifted(world: World) -> Drift | None:
    """Whether this code draws the world otherwise than when it was counted: the generator
    (or a library it draws with: numpy, Faker, Python's random) has changed since. A world
    is stored as spec and seed, so its households, its figures and the truth a map task on it
    is graded against would no longer be those it was made with. The world page says so to
    trainers, who may count it again (`recount`) or make a new world. The fingerprint is
    taken from the world's first grid of each kind (drawn once per world and process)."""
    if world.counting or not world.summary:
        return None  # not counted yet: the page shows the count instead
    stored = world.summary.get("fingerprint")
    if stored is None:
        return Drift.UNKNOWN
    current = _fingerprint(_spec_key(world), world.seed)
    return Drift.CHANGED if stored != current else None


def recount(world: World, progress: Callable[[int], None] | None = None) -> None:
    """Count the world again with this code, now, and keep its new figures and fingerprint
    (the command line's way; the web's: `start_count`)."""
    world.summary = summarise(*count(spec_of(world), world.seed, progress))
    for name, value in _ENDED.items():  # a web count under way then writes nothing
        setattr(world, name, value)


def create_world(db: Session, *, actor: User | None, name: str, spec_data: dict[str, Any],
                 seed: int | None = None, progress: Callable[[int], None] | None = None,
                 background: bool = False) -> World:
    """Validate the spec and store the world as its spec and seed, counted now (see `count`;
    the command line's way) or, with `background`, to be counted by a job (`start_count`;
    the web form's way: a large world takes minutes)."""
    name = name.strip()
    if not name:
        raise InvalidInput(N_("The world needs a name."), field="name")
    spec = WorldSpec.from_dict(spec_data)
    if seed is None:
        seed = secrets.randbelow(2**31)
    if not 0 <= seed <= MAX_SEED:
        raise InvalidInput(N_("The seed must be a whole number from 0 to %(max)s."),
                           field="seed", max=MAX_SEED)
    world = World(name=name[:120], seed=seed, spec=spec.to_dict(), region=spec.region,
                  grids=spec.grids, created_by=actor, summary={})
    if background:
        check_grids(spec, seed)
        start_count(db, world)
    else:
        world.summary = summarise(*count(spec, seed, progress))
    db.add(world)
    db.flush()
    return world


# Counting in the background ---------------------------------------------------------
#
# Decision: the web's worlds are counted by a job (`trainer.tasks.count_world`), so a world
# of any size the spec allows (MAX_GRIDS) can be made and counted again from its page; a
# request would time out after a few hundred grids. Each count has a number (`count_run`);
# its job claims it when a worker takes it and writes only while the world's count is still
# that one, so a job of an earlier count (queued twice, or outlived by a new count) changes
# nothing. The job reports the grids counted at most once a second. The worker's periodic
# check (`resume_stale_count`) starts again, from the first grid (the figures are sums over
# every grid, and a grid is cheap to draw again), a count whose job stopped reporting for
# STALE_COUNT (its worker died) or was never taken for QUEUED_TOO_LONG (the queue lost it,
# or was down); a count whose worker died twice is given up with a message.
# Counts share the job queue with clips, the offline copies and the periodic tasks (which
# hand in timed exams whose time ran out), so a job counts for COUNT_SLICE seconds at most,
# keeps what it has counted (`pause_count`: the sums so far, `Counting`) and queues the
# next slice behind whatever was queued meanwhile: a clip waits for one slice, not for a
# world of thousands of grids, and a count started again after its worker died goes on
# from its last slice (the sums are over grids, so they do not depend on where slices end).
# The command line counts in its own process, with a progress bar.

STALE_COUNT = timedelta(minutes=2)
COUNT_SLICE = 5.0  # seconds a count job counts before it queues the rest
QUEUED_TOO_LONG = timedelta(minutes=15)
CHECKED_GRIDS = 200  # grids whose skeleton is drawn before a world is made in the background
COUNT_FAILED = N_("The count stopped on an unexpected error (the server's log has it); "
                  "count the world again.")
COUNT_DIED_TWICE = N_("The count stopped twice with the worker that ran it; count the world "
                      "again, or ask the administrator to look at the workers.")


def check_grids(spec: WorldSpec, seed: int) -> None:
    """Draw the skeletons of the world's first CHECKED_GRIDS grids (urban and rural ones:
    the kinds interleave), so that area bounds its grids cannot satisfy are refused on their
    field before anything is written (about half a second). A grid past those that still
    cannot be split stops the count with that error, shown on the world's page."""
    for index in range(min(spec.grids, CHECKED_GRIDS)):
        make_grid(spec, seed, index)


def _stale(now: datetime) -> Any:
    """The condition of a count that should have reported by `now` and has not."""
    return World.counted_grids.is_not(None) & or_(
        World.count_running & (World.count_touched_at < now - STALE_COUNT),
        ~World.count_running & (World.count_touched_at < now - QUEUED_TOO_LONG))


# The count columns of a world that is not being counted (see `_counting`).
_ENDED: dict[str, Any] = {"counted_grids": None, "count_touched_at": None,
                          "count_running": False, "count_error": None,
                          "count_partial": None}


def _counting(run: Any, now: datetime) -> dict[str, Any]:
    """The columns of a count `run` (a number, or an expression of the row's) just queued."""
    return {"counted_grids": 0, "count_touched_at": now, "count_running": False,
            "count_run": run, "count_error": None}


def start_count(db: Session, world: World, *, now: datetime | None = None) -> int:
    """Queue a new count of the world (its job is queued after the commit, with the number
    returned). Conflict while a count of it is queued or running and has not gone stale:
    the check and the change are one UPDATE, so two clicks start one count."""
    now = now or utcnow()
    if world.id is None:  # a new world: nothing else can be counting it
        for name, value in _counting(1, now).items():
            setattr(world, name, value)
        world.count_resumes = 0
        world.count_partial = None
        return 1
    done = db.execute(update(World).where(
        World.id == world.id, World.counted_grids.is_(None) | _stale(now)).values(
        **_counting(World.count_run + 1, now), count_resumes=0, count_partial=None))
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(N_("The world is being counted already."))
    db.refresh(world)
    return world.count_run


def count_unqueued(db: Session, world_id: int, run: int) -> None:
    """The count's job could not be queued (the queue is down): make it due at once for the
    worker's periodic check, which queues it as soon as the queue answers again."""
    db.execute(update(World).where(World.id == world_id, World.count_run == run).values(
        count_touched_at=utcnow() - QUEUED_TOO_LONG - timedelta(seconds=1)))


def _this_count(world_id: int, run: int) -> Any:
    return update(World).where(World.id == world_id, World.count_run == run,
                               World.counted_grids.is_not(None))


def claim_count(db: Session, world_id: int, run: int) -> Counting | None:
    """A worker takes the count `run` of the world (a slice of it): what was counted
    before (`pause_count`, or nothing); None when the world is not being counted, or by a
    later count (this job is left over and does nothing)."""
    done = db.execute(_this_count(world_id, run).values(count_running=True,
                                                        count_touched_at=utcnow()))
    if not done.rowcount:  # type: ignore[attr-defined]
        return None
    world = db.get_one(World, world_id, populate_existing=True)
    state = Counting.from_json(world.count_partial)
    world.counted_grids = state.done  # a count started again goes on from its last slice
    return state


def pause_count(db: Session, world_id: int, run: int, state: Counting) -> bool:
    """A slice of the count `run` ended before the world's last grid: keep what it counted
    and wait, queued, for the next slice's job. False when the count is no longer this one."""
    done = db.execute(_this_count(world_id, run).values(
        count_partial=state.to_json(), counted_grids=state.done, count_running=False,
        count_touched_at=utcnow()))
    return bool(done.rowcount)  # type: ignore[attr-defined]


def touch_count(db: Session, world_id: int, run: int, done: int) -> bool:
    """A running count's report: `done` grids counted. False when the count is no longer
    this one (a newer count replaced it): the job stops."""
    changed = db.execute(_this_count(world_id, run).values(counted_grids=done,
                                                           count_touched_at=utcnow()))
    return bool(changed.rowcount)  # type: ignore[attr-defined]


def finish_count(db: Session, world_id: int, run: int, *,
                 summary: dict[str, Any] | None = None,
                 error: BaseException | None = None) -> None:
    """The count `run` ended: keep its figures, or its error (the earlier figures stay): a
    domain error (a grid past the checked ones cannot be split as the spec asks) as its
    message and parameters, any other as COUNT_FAILED (its text is in the job's log).
    Nothing is written if the world's count is no longer this one."""
    values: dict[str, Any] = dict(_ENDED)
    if summary is not None:
        values["summary"] = summary
    if isinstance(error, DomainError):
        values["count_error"] = {"message": error.message, "params": error.params}
    elif error is not None:
        values["count_error"] = {"message": COUNT_FAILED, "params": {}}
    db.execute(_this_count(world_id, run).values(**values))


def stale_counts(db: Session, *, now: datetime | None = None) -> list[int]:
    """Worlds whose count stopped reporting (its worker died) or was never taken."""
    return list(db.scalars(select(World.id).where(_stale(now or utcnow()))))


def count_stalled(world: World, *, now: datetime | None = None) -> bool:
    """Whether the world's count should have reported by now and has not (no worker is
    running, or it died): its page offers to count it again."""
    if not world.counting or world.count_touched_at is None:
        return False
    late = STALE_COUNT if world.count_running else QUEUED_TOO_LONG
    return world.count_touched_at < (now or utcnow()) - late


def resume_stale_count(db: Session, world_id: int, *,
                       now: datetime | None = None) -> int | None:
    """Start a stale count again (see `stale_counts`) and return its new number, for a job
    to be queued; None when it is no longer stale (it reported or ended meanwhile) or when
    its worker had died once already: then it ends with COUNT_DIED_TWICE."""
    now = now or utcnow()
    world = db.get(World, world_id, with_for_update=True)  # the job's own session: fresh
    if world is None or not count_stalled(world, now=now):
        return None
    if world.count_running and world.count_resumes >= 1:
        finish_count(db, world_id, world.count_run,
                     error=DomainError(COUNT_DIED_TWICE))
        return None
    resumes = world.count_resumes + (1 if world.count_running else 0)
    kept = (world.count_partial or {}).get("done", 0)  # goes on from its last slice
    done = db.execute(update(World).where(World.id == world_id, _stale(now)).values(
        **{**_counting(World.count_run + 1, now), "counted_grids": kept},
        count_resumes=resumes))
    if not done.rowcount:  # type: ignore[attr-defined]
        return None
    db.refresh(world)
    return world.count_run


def get_world(db: Session, world_id: int) -> World:
    """The world with this id, or NotFound."""
    world = db.get(World, world_id)
    if world is None:
        raise NotFound(N_("No such world."))
    return world


def list_worlds(db: Session) -> Sequence[World]:
    """All worlds, newest first."""
    return db.scalars(select(World).order_by(World.created_at.desc(), World.id.desc())).all()
