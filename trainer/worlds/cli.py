"""`flask world generate | recount | stats | export`."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from flask.cli import AppGroup

from trainer.core.errors import DomainError
from trainer.core.world.export import write_persons_csv, write_world_geojson
from trainer.core.world.grid import make_grid
from trainer.core.world.stats import compare

world_cli = AppGroup("world", help="Synthetic worlds.")


@contextmanager
def _progress(grids: int) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr, moved by the number of grids drawn so far."""
    with click.progressbar(length=grids, label="drawing grids", file=sys.stderr) as bar:
        last = [0]

        def progress(done: int) -> None:
            bar.update(done - last[0])
            last[0] = done

        yield progress


@contextmanager
def _said() -> Iterator[None]:
    """A domain error (a grid past the first ones that cannot be split as the world's spec
    asks) as one line naming the field, not a traceback."""
    try:
        yield
    except DomainError as error:
        raise click.ClickException(f"{error.field}: {error}" if error.field
                                   else str(error)) from error


@world_cli.command("generate")
@click.option("--region", default="430600", show_default=True,
              help="County-level or prefecture code: 430600 is all of Yueyang (its nine "
                   "counties 430602 ... 430682).")
@click.option("--grids", type=int, default=12, show_default=True)
@click.option("--seed", type=int, default=None, help="Random if omitted.")
@click.option("--name", default=None)
def generate(region: str, grids: int, seed: int | None, name: str | None) -> None:
    """Generate a world, count it, store it and print its id."""
    from trainer.extensions import db_session
    from trainer.worlds import services

    db = db_session()
    with _progress(grids) as progress:
        try:
            world = services.create_world(
                db, actor=None, name=name or f"{region} × {grids}",
                spec_data={"region": region, "grids": grids}, seed=seed, progress=progress)
        except DomainError as error:
            raise click.ClickException(f"{error.field}: {error}") from error
    db.commit()
    summary = world.summary
    click.echo(f"world {world.id}: {world.name}, seed {world.seed}, {summary['persons']} persons "
               f"in {summary['households']} households, {summary['areas']} areas")


@world_cli.command("recount")
@click.argument("world_id", type=int)
def recount(world_id: int) -> None:
    """Count a world again with this version of the generator (after an upgrade that draws
    it otherwise: its page says so) and keep its new figures and fingerprint."""
    from trainer.extensions import db_session
    from trainer.worlds import services

    world = _world(world_id)
    was_drifted = services.drifted(world) is services.Drift.CHANGED
    with _progress(world.grids) as progress, _said():
        services.recount(world, progress)
    db_session().commit()
    summary = world.summary
    click.echo(f"world {world.id}: {summary['persons']} persons in {summary['households']} "
               f"households, {summary['areas']} areas"
               + (" (the generator had drawn it otherwise since it was counted)"
                  if was_drifted else ""))


@world_cli.command("stats")
@click.argument("world_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def stats(world_id: int, as_json: bool) -> None:
    """Each generated figure beside its 2020 target and the deviation."""
    from trainer.worlds import services

    world = _world(world_id)
    with _said():
        counts, _areas, _fingerprint = services.count(services.spec_of(world), world.seed)
    rows = compare(counts)
    if as_json:
        click.echo(json.dumps({"world": world.id, "persons": counts.persons, "figures": rows},
                              ensure_ascii=False, indent=2))
        return
    click.echo(f"{'figure':<26}{'generated':>11}{'target':>9}{'deviation':>11}  ok")
    for row in rows:
        click.echo(f"{row['key']:<26}{row['generated']:>11}{row['target']:>9}"
                   f"{row['deviation']:>11}  {'yes' if row['ok'] else 'NO'}")


@world_cli.command("export")
@click.argument("world_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["geojson", "csv"]), required=True)
@click.option("--out", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              required=True)
def export(world_id: int, fmt: str, out: Path) -> None:
    """Write the world as GeoJSON (every grid's layers) or CSV (every person's truth)."""
    from trainer.worlds import services

    world = _world(world_id)
    spec = services.spec_of(world)
    grids = (make_grid(spec, world.seed, index) for index in range(world.grids))
    # Written a grid at a time to a file beside `out`, which replaces `out` only when whole:
    # a failed export leaves no half file (nor a half-overwritten earlier export).
    partial = out.with_name(out.name + ".part")
    try:
        with partial.open("w", encoding="utf-8", newline="") as handle, _said():
            if fmt == "csv":
                write_persons_csv(grids, handle)
            else:
                write_world_geojson(grids, world.name, handle)
        partial.replace(out)
    except OSError as error:  # no such folder, no room left: said, not a traceback
        raise click.ClickException(f"could not write {out}: {error.strerror}") from error
    finally:
        partial.unlink(missing_ok=True)
    click.echo(f"wrote {out}")


def _world(world_id: int):  # type: ignore[no-untyped-def]
    from trainer.core.errors import NotFound
    from trainer.extensions import db_session
    from trainer.worlds import services

    try:
        return services.get_world(db_session(), world_id)
    except NotFound as error:
        raise click.ClickException(f"no world {world_id}") from error
