"""Trainer pages: create a world, its overview map, its grids, areas and households (truth)."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from trainer import tasks
from trainer.access import current_actor, roles
from trainer.accounts.models import Role
from trainer.core.census import long_form
from trainer.core.errors import Conflict, DomainError, InvalidInput
from trainer.core.grading.census_forms_extra import DEATH_ITEM_NAMES, death_row
from trainer.core.i18n import N_
from trainer.core.scenario import vocabulary
from trainer.core.world import regions, stats
from trainer.core.world.codes import label
from trainer.core.world.export import grid_geojson, grid_svg
from trainer.core.world.spec import MAX_GRIDS, WorldSpec
from trainer.errors import field_of, form_error
from trainer.extensions import db_session, is_english
from trainer.scenarios.views import both
from trainer.worlds import services
from trainer.worlds.forms import YUEYANG_CHOICES, RecountForm, WorldForm

bp = Blueprint("worlds", __name__, template_folder="templates")
TRUTH_READERS = (Role.TRAINER, Role.ADMIN)  # trainees and examiners never see a world's truth
GRIDS_PER_PAGE = 30


def code_label(item: str, code: Any) -> str:
    """A coded answer labelled in the interface language."""
    return label(item, code, english=is_english())


def count_error_text(error: dict[str, Any]) -> str:
    """A failed count's error (`World.count_error`) in the interface language."""
    return _(error["message"], **error["params"])


def door_text(unit: Any) -> str:
    """A housing unit's door in the interface language: a flat's stairwell and door
    (2单元502室), "shop" for a street-level shop, "" for a dwelling that is its building (a
    house, a dormitory)."""
    if unit.shop:
        return _("Street shop")
    if not unit.door:
        return ""
    return _("stairwell %(s)s, flat %(d)s", s=unit.stairwell, d=unit.door)


# A persona's and a collective household's coded values as the household page shows them
# (the concern themes' words are the interview's own, `vocabulary.THEMES`).
MODE_LABELS = {"self": _l("Self-reporting (自主填报)"), "visit": _l("A visit by the enumerator")}
SECRET_LABELS = {"concealed_infant": _l("An infant kept off the forms"),
                 "member_away": _l("A member away, not mentioned"),
                 "second_home": _l("A second home"),
                 "tenants": _l("Tenants, not mentioned")}
COLLECTIVE_LABELS = {"dormitory": _l("Dormitory"), "work_shed": _l("Work shed"),
                     "care_home": _l("Care home")}
# A building's kind (`Building.kind`) as a map's tooltip names it: collective quarters are
# named as the household page names their households' kind.
BUILDING_LABELS = {"multistorey": _l("Multistorey block"), "highrise": _l("High-rise block"),
                   "house": _l("Village house"), **COLLECTIVE_LABELS}


def map_label(code: str) -> str:
    """A building's kind in words of the interface language, for `grid_svg(label=)` (a kind
    that has none, as itself)."""
    return str(BUILDING_LABELS.get(code, code))


def map_units(count: int) -> str:
    """A number of housing units (住房单元: flats, houses, shops, a collective's quarters) in
    words of the interface language, for `grid_svg(units=)`: what a building's or an area's
    tooltip counts ("12 housing units", "12 个住房单元")."""
    return _("1 housing unit") if count == 1 else _("%(n)s housing units", n=count)


def persona_text(kind: str, value: Any) -> str:
    """A persona's concern themes (a list), mode or secret, or a collective household's
    kind, in words of the interface language (a value that has none, as itself)."""
    if kind == "themes":
        words = [both(vocabulary.THEMES[theme]) if theme in vocabulary.THEMES else theme
                 for theme in value]
        return (", " if is_english() else "、").join(words)
    labels = {"mode": MODE_LABELS, "secret": SECRET_LABELS,
              "collective": COLLECTIVE_LABELS}[kind]
    return str(labels.get(value, value))


def item_text(item: str) -> str:
    """A census form item's code with its name as the form prints it, in the interface
    language ("D2 与户主关系", "D2 relation to the head")."""
    return both(vocabulary.ITEM_LABELS[item])


# The words of the form's longer Chinese item names: a table header keeps a Chinese phrase
# whole (app.css), so a name under its code may break only between these, and does not
# widen its column beyond its longest word (离开户口登记地原因 over a column of "—").
ITEM_NAME_WORDS = {"D2": ("与户主", "关系"), "D3": ("公民身份", "号码"), "D5": ("出生", "年月"),
                   "D7": ("普查时点", "居住地"), "D8": ("户口", "登记地"),
                   "D9": ("离开", "户口登记地", "时间"), "D10": ("离开", "户口登记地", "原因"),
                   "D11": ("受教育", "程度"), "D12": ("是否", "识字")}


def item_name(item: str) -> Markup:
    """A census form item's name without its code ("与户主关系"), for a column's header under
    the code: where it is the Chinese name, with the breaks between its words (<wbr>)."""
    name = item_text(item).removeprefix(f"{item} ")
    words = ITEM_NAME_WORDS.get(item, ())
    if "".join(words) == name:
        return Markup("<wbr>").join(words)
    return Markup.escape(name)


def long_form_text(item: str, value: Any) -> tuple[str, str]:
    """A long-form housing item's (H8-H18) name and its answer in words of the interface
    language ("住房来源", "3 购买新建商品房"); an amount (H18) or an unknown code as itself."""
    name = both(long_form.NAMES[item]) if item in long_form.NAMES else item
    codes = long_form.LABELS.get(item, {})
    if value is None:
        return name, "—"
    if isinstance(value, int) and value in codes:
        return name, f"{value} {both(codes[value])}"
    return name, str(value)


@bp.app_context_processor
def _helpers() -> dict[str, Any]:
    return {"code_label": code_label, "count_error_text": count_error_text,
            "door_text": door_text, "persona_text": persona_text, "item_text": item_text,
            "item_name": item_name, "long_form_text": long_form_text}


@bp.get("/worlds")
@roles(*TRUTH_READERS)
def index() -> Any:
    """All worlds."""
    return render_template("worlds/index.html", worlds=services.list_worlds(db_session()),
                           region_name=regions.region_name)


@bp.route("/worlds/new", methods=["GET", "POST"])
@roles(*TRUTH_READERS)
def create() -> Any:
    """Generate a world from a spec and a seed."""
    form = WorldForm()
    status = 200
    if form.validate_on_submit():
        db = db_session()
        try:
            world = services.create_world(db, actor=current_actor(), name=form.name.data or "",
                                          spec_data=form.spec_data(), seed=form.seed.data,
                                          background=True)
        except DomainError as error:
            status = form_error(form, error)
            for other in _other_problems(form, error):  # every field to fix at once
                form_error(form, other)
        else:
            db.commit()
            _queue_count(world.id, world.count_run)
            flash(_("The world has been made; its figures are being counted."), "success")
            return redirect(url_for("worlds.show", world_id=world.id))
    elif request.method == "POST":
        status = 400
        # the spec's own problems too (an unknown region beside a rate of 150 %): a field
        # the form's checks passed is marked now, not after the others are put right
        for problem in _spec_problems(form):
            if not _marked(form, problem.field):
                form_error(form, problem)
    return render_template("worlds/new.html", form=form, counties=YUEYANG_CHOICES,
                           max_grids=MAX_GRIDS), status


def _spec_problems(form: WorldForm) -> list[InvalidInput]:
    """What the spec the form holds cannot do, every field of it (none if the form's values
    do not make a spec at all)."""
    try:
        return list(WorldSpec.from_dict(form.spec_data(), check=False).problems())
    except (DomainError, TypeError, ValueError):
        return []


def _other_problems(form: WorldForm, error: DomainError) -> list[InvalidInput]:
    """The spec's problems besides `error` (the first), so that the form marks every field
    that cannot work at once rather than one a submission."""
    return [problem for problem in _spec_problems(form)
            if (problem.field, problem.message) != (error.field, error.message)]


def _marked(form: WorldForm, name: str | None) -> bool:
    """Whether the field `name` (dotted into the rates) already shows an error; a problem of
    no field of the form counts as marked when the form shows any error above it."""
    field = field_of(form, name)
    return bool(form.form_errors if field is None else field.errors)


@bp.get("/worlds/<int:world_id>")
@roles(*TRUTH_READERS)
def show(world_id: int) -> Any:
    """A world: its figures beside the 2020 targets, and its grids."""
    world = services.get_world(db_session(), world_id)
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    first = (page - 1) * GRIDS_PER_PAGE
    # ?county=CODE: a prefecture's world, the grids of one of its counties
    county = (services.county_grids(world, request.args["county"].strip())
              if request.args.get("county") else None)
    indices = county.indices if county is not None else range(world.grids)
    grids = [services.grid(world, index) for index in indices[first:first + GRIDS_PER_PAGE]]
    if not grids and page > 1:
        abort(404)
    return render_template("worlds/show.html", world=world, grids=grids, page=page,
                           has_next=first + GRIDS_PER_PAGE < len(indices),
                           region_name=regions.region_name(world.region),
                           counties=services.counties(world), county=county,
                           drift=services.drifted(world), Drift=services.Drift,
                           recount=RecountForm(), targets=stats.BY_KEY,
                           stalled=services.count_stalled(world))


@bp.post("/worlds/<int:world_id>/recount")
@roles(*TRUTH_READERS)
def recount(world_id: int) -> Any:
    """Count the world again with this version of the generator, by a job (a button, shown
    when the generator draws it otherwise than when it was counted, or cannot tell:
    `services.drifted`; when its count failed or stalled). While a count of it is under way,
    a second one is not started: the page says so."""
    db = db_session()
    world = services.get_world(db, world_id)
    if not RecountForm().validate_on_submit():
        abort(400)
    try:
        run = services.start_count(db, world)
    except Conflict:  # a second click, or another trainer's: the count under way goes on
        flash(_("The world is being counted already."), "info")
        return redirect(url_for("worlds.show", world_id=world.id))
    db.commit()
    _queue_count(world.id, run)
    flash(_("The world is being counted again: its figures will be those of the households "
            "the generator now draws."), "success")
    return redirect(url_for("worlds.show", world_id=world.id))


@bp.get("/worlds/<int:world_id>/count")
@roles(*TRUTH_READERS)
def count_status(world_id: int) -> Any:
    """The count's progress, polled while it runs; reloads the page when it has ended."""
    world = services.get_world(db_session(), world_id)
    response = Response(render_template("worlds/_count.html", world=world, recount=RecountForm(),
                                        stalled=services.count_stalled(world)))
    if not world.counting:
        response.headers["HX-Refresh"] = "true"
    return response


def _queue_count(world_id: int, run: int) -> None:
    """Queue the world's count after the commit; if the queue cannot be reached, the
    worker's periodic check queues it once it can."""
    if not tasks.enqueue(tasks.count_world, world_id, run):
        db = db_session()
        services.count_unqueued(db, world_id, run)
        db.commit()


@bp.get("/worlds/<int:world_id>/map")
@roles(*TRUTH_READERS)
def overview(world_id: int) -> Any:
    """The world's overview map: every grid a tile cut into its enumeration areas, a page of
    whole townships at a time (see `services.overview_page` for why and how it is bounded)."""
    world = services.get_world(db_session(), world_id)
    raw = request.args.get("page", "1")
    if not (raw.isascii() and raw.isdigit()):
        raise InvalidInput(N_("The page must be a whole number from 1 to %(pages)s."),
                           pages=services.overview_pages(world))
    page = int(raw) if len(raw) <= 9 else 0  # far past the last page either way
    return render_template("worlds/overview.html", world=world, page=page,
                           pages=services.overview_pages(world),
                           map=services.overview_page(world, page))


@bp.get("/worlds/<int:world_id>/grids/<int:grid_index>")
@roles(*TRUTH_READERS)
def grid(world_id: int, grid_index: int) -> Any:
    """One grid's map with its enumeration areas."""
    world = services.get_world(db_session(), world_id)
    part = services.grid(world, grid_index)
    return render_template("worlds/grid.html", world=world, grid=part,
                           svg=grid_svg(part, label=map_label, units=map_units))


@bp.get("/worlds/<int:world_id>/grids/<int:grid_index>.geojson")
@roles(*TRUTH_READERS)
def grid_geojson_download(world_id: int, grid_index: int) -> Any:
    """The grid's layers as GeoJSON (local metres)."""
    world = services.get_world(db_session(), world_id)
    part = services.grid(world, grid_index)
    response = Response(json.dumps(grid_geojson(part), ensure_ascii=False),
                        mimetype="application/geo+json")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="world{world.id}-grid{grid_index}.geojson"')
    return response


@bp.get("/worlds/<int:world_id>/grids/<int:grid_index>/areas/<code>")
@roles(*TRUTH_READERS)
def area(world_id: int, grid_index: int, code: str) -> Any:
    """An enumeration area: its map, every housing unit and household with the truth."""
    world = services.get_world(db_session(), world_id)
    part = services.grid(world, grid_index)
    chosen = next((a for a in part.areas if a.code == code), None)
    if chosen is None:
        abort(404)
    numbers = chosen.household_numbers
    rows = []
    for building_index in chosen.buildings:
        building = part.buildings[building_index]
        for unit in building.units:
            households = sorted(unit.households, key=lambda index: numbers[index])
            rows.append((building, unit, [(numbers[index], part.household(index))
                                          for index in households]))
    homeless = [(numbers[index], part.household(index)) for index in numbers
                if part.plans[index].unit is None]
    return render_template("worlds/area.html", world=world, grid=part, area=chosen, rows=rows,
                           homeless=homeless,
                           svg=grid_svg(part, highlight=chosen, focus=chosen,
                                        label=map_label, units=map_units))


@bp.get("/worlds/<int:world_id>/grids/<int:grid_index>/households/<int:household_index>")
@roles(*TRUTH_READERS)
def household(world_id: int, grid_index: int, household_index: int) -> Any:
    """One household's full truth: persons, deaths, persona and secrets."""
    world = services.get_world(db_session(), world_id)
    part = services.grid(world, grid_index)
    if not 0 <= household_index < len(part.plans):
        abort(404)
    chosen = part.household(household_index)
    area_ = next(a for a in part.areas if household_index in a.household_numbers)
    plan = part.plans[household_index]
    unit = part.units[plan.unit] if plan.unit is not None else None
    number = area_.household_numbers[household_index]
    return render_template("worlds/household.html", world=world, grid=part, area=area_,
                           household=chosen, number=number,
                           unit=unit, building=part.buildings[unit.building] if unit else None,
                           # its deaths as the death form's rows should give them
                           deaths=[death_row(death, number) for death in chosen.deaths],
                           death_item_names=DEATH_ITEM_NAMES)
