"""Worlds in the application: the trainer's pages, the CLI, and who may see the truth."""

from __future__ import annotations

import csv
import json
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from trainer.accounts.models import Role
from trainer.core.i18n import N_
from trainer.core.world import regions
from trainer.core.world.export import (
    OVERVIEW_LEGEND_HEIGHT,
    OVERVIEW_MARGIN,
    overview_map,
    persons_csv,
)
from trainer.core.world.grid import make_grid, village_of
from trainer.core.world.spec import WorldSpec
from trainer.worlds import services
from trainer.worlds.models import World

SMALL = {"grids": 2, "households_min": 300, "households_max": 320}


def world_count(db):
    return db.scalar(select(func.count(World.id)))


def form_data(csrf, **overrides):
    data = {"name": "Test world", "region": "430602", "grids": "2", "seed": "99",
            "households_min": "300", "households_max": "320", "area_min_units": "60",
            "area_target_units": "80", "area_max_units": "120", "partition": "areas",
            "urban_share": "60", "csrf_token": csrf()}
    data.update(overrides)
    return data


def test_trainer_generates_a_world_through_the_form(client, csrf, login_as, db):
    login_as(Role.TRAINER)
    response = client.post("/worlds/new", data=form_data(csrf))
    assert response.status_code == 302
    world = db.scalars(select(World)).one()
    assert world.seed == 99 and world.grids == 2 and world.spec["region"] == "430602"
    assert world.spec["rates"]["vacant_units"] == 0.10  # the default, given as 10 %
    assert world.summary["persons"] > 1000
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Figures beside the 2020 census" in page and "岳阳楼区" in page
    zh = client.get(response.headers["Location"], headers={"Accept-Language": "zh-CN"})
    zh_page = zh.get_data(as_text=True)
    # The figures' names and sources in the reader's language (the row keeps them as written)
    assert "家庭户户均人数" in zh_page and "湖南省 2020 年" in zh_page
    assert "persons per family household" not in zh_page and "Hunan 2020" not in zh_page


def test_a_world_of_all_yueyang_shows_its_counties(client, csrf, login_as, db):
    """The form offers all of Yueyang by default; its world's page names the city and lists
    the nine counties with their grids, and each grid its county."""
    login_as(Role.TRAINER)
    form = client.get("/worlds/new").get_data(as_text=True)
    assert 'name="region"' in form and 'value="430600"' in form
    response = client.post("/worlds/new", data=form_data(csrf, region="430600", grids="9"))
    assert response.status_code == 302
    world = db.scalars(select(World)).one()
    assert world.region == "430600"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "湖南省岳阳市 (430600)" in page and 'data-test="counties"' in page
    world_list = client.get("/worlds").get_data(as_text=True)  # the list names it too
    assert "湖南省岳阳市 <small><code>430600</code></small>" in world_list
    spec = services.spec_of(world)
    counties = {village_of(spec, world.seed, index)[0].code[:6] for index in range(9)}
    assert len(counties) > 3  # nine grids go to several counties
    rows = services.counties(world)
    assert [row.county.code for row in rows] == list(regions.YUEYANG_COUNTIES)
    assert sum(row.town + row.country for row in rows) == 9
    assert {row.county.code for row in rows if row.town + row.country} == counties
    for row in rows:
        if row.town + row.country:
            assert f"<code>{row.county.code}</code>" in page
    zh = client.get(response.headers["Location"], headers={"Accept-Language": "zh-CN"})
    assert "县市区" in zh.get_data(as_text=True) and "城镇网格" in zh.get_data(as_text=True)
    # one county's grids: every one of them in that county, the pages keep to it
    busiest = max(rows, key=lambda row: len(row.indices))
    only = client.get(f"/worlds/{world.id}?county={busiest.county.code}").get_data(
        as_text=True)
    assert 'data-test="county-filter"' in only and f"Grids of {busiest.county.name}" in only
    listed = re.findall(r"<code>(\d{12})</code>", only)
    assert len(listed) == len(busiest.indices) >= 1
    assert all(code.startswith(busiest.county.code) for code in listed)
    missing = client.get(f"/worlds/{world.id}?county=430699")
    assert missing.status_code == 404
    assert "This world has no county 430699." in missing.get_data(as_text=True)
    # a county's world has no counties table
    client.post("/worlds/new", data=form_data(csrf, name="One county"))
    one = db.scalars(select(World).where(World.name == "One county")).one()
    assert 'data-test="counties"' not in client.get(f"/worlds/{one.id}").get_data(as_text=True)
    assert client.get(f"/worlds/{one.id}?county=430602").status_code == 404


def test_a_countys_grids_page_on(client, login_as, db):
    """The grid list of one county pages through that county's grids alone."""
    login_as(Role.TRAINER)
    world = services.create_world(db, actor=None, name="City", seed=5,
                                  spec_data={"region": "430600", "grids": 200})
    db.commit()
    row = services.county_grids(world, "430602")
    assert len(row.indices) > 30  # more than a page
    seen = []
    for page in (1, 2):
        text = client.get(f"/worlds/{world.id}?county=430602&page={page}").get_data(
            as_text=True)
        # the first column counts grids from 1, as the map tasks' grid field does
        seen += [int(number) - 1 for number in re.findall(r"<tr><td>(\d+)</td>", text)]
        if page == 1:
            assert "county=430602" in text and "page=2" in text
    assert seen == list(row.indices[:len(seen)]) and len(seen) == min(60, len(row.indices))


def test_rates_from_the_form_are_per_cent(client, csrf, login_as, db):
    login_as(Role.TRAINER)
    client.post("/worlds/new", data=form_data(csrf, **{"rates-vacant_units": "25"}))
    assert db.scalars(select(World)).one().spec["rates"]["vacant_units"] == 0.25


def test_a_rate_may_be_set_to_zero_but_not_left_empty(client, csrf, login_as, db):
    login_as(Role.TRAINER)
    empty = client.post("/worlds/new", data=form_data(csrf, **{"rates-vacant_units": ""}))
    assert empty.status_code == 400 and world_count(db) == 0
    client.post("/worlds/new", data=form_data(csrf, **{"rates-vacant_units": "0",
                                                       "rates-births": "0"}))
    rates = db.scalars(select(World)).one().spec["rates"]
    assert (rates["vacant_units"], rates["births"]) == (0.0, 0.0)


def test_a_births_rate_beyond_what_the_ages_allow_is_refused_on_its_field(client, csrf,
                                                                          login_as, db):
    login_as(Role.TRAINER)
    response = client.post("/worlds/new", data=form_data(csrf, **{"rates-births": "8.53"}))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    # on its field, with the rates opened to show it
    assert 'id="rates-births-error"' in page and "<details open>" in page
    assert "Enter this share as a number from 0 to 3 per cent." in page
    assert world_count(db) == 0


def test_unknown_region_is_refused_on_its_field_and_nothing_is_written(client, csrf, login_as,
                                                                       db):
    login_as(Role.TRAINER)
    response = client.post("/worlds/new", data=form_data(csrf, region="999999"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "999999 is not a county-level or prefecture region code." in page
    assert 'id="region-error"' in page
    assert world_count(db) == 0


@pytest.mark.parametrize("region", ["4306¹²", "43¹²00", "43０602", "٤٣٠٦٠٢"])
def test_a_region_of_digits_other_than_0_9_is_refused_on_its_field(client, csrf, login_as, db,
                                                                   region):
    """Superscript, full-width or Arabic-Indic digits pass str.isdigit: refused all the
    same (they once made a 500, or a world whose pages all failed)."""
    login_as(Role.TRAINER)
    response = client.post("/worlds/new", data=form_data(csrf, region=region))
    assert response.status_code == 400
    assert 'id="region-error"' in response.get_data(as_text=True)
    assert world_count(db) == 0


def test_impossible_rates_are_refused(client, csrf, login_as, db):
    login_as(Role.TRAINER)
    too_high = client.post("/worlds/new", data=form_data(csrf, **{"rates-vacant_units": "140"}))
    assert too_high.status_code == 400
    summed = client.post("/worlds/new", data=form_data(
        csrf, **{"rates-hukou_other_township": "60", "rates-hukou_other_province": "50"}))
    assert summed.status_code == 400
    assert "above 100 %" in summed.get_data(as_text=True)
    negative = client.post("/worlds/new", data=form_data(csrf, **{"rates-deaths": "-1"}))
    assert negative.status_code == 400
    assert world_count(db) == 0


def test_every_field_that_cannot_work_is_marked_at_once(client, csrf, login_as, db):
    """Households min above max, the hukou-place rates and the HMT/no-housing rates over
    100 %: all three on their fields in one answer, the rates' section open (a rate's error
    was only above the form, its section closed, one problem a submission)."""
    login_as(Role.TRAINER)
    response = client.post("/worlds/new", data=form_data(csrf, **{
        "households_min": "400", "households_max": "300",
        "rates-hukou_other_township": "60", "rates-hukou_other_province": "50",
        "rates-hmt_foreign": "60", "rates-no_housing": "50"}))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    for field in ("households_min", "rates-hukou_other_township", "rates-hmt_foreign"):
        assert f'id="{field}-error"' in page, field
    assert re.search(r"<details[^>]* open", page)
    assert "above 100 %" in page and "not above the maximum" in page
    assert world_count(db) == 0
    zh = client.post("/worlds/new", headers={"Accept-Language": "zh-CN"}, data=form_data(
        csrf, **{"rates-hmt_foreign": "60", "rates-no_housing": "50"}))
    assert 'id="rates-hmt_foreign-error"' in zh.get_data(as_text=True)


def test_an_unknown_region_is_marked_beside_a_rate_out_of_range(client, csrf, login_as, db):
    """A rate of 150 % fails the form's own check, and the region 999999 only the spec's: both
    are marked in one answer (the region was said only once the rate was put right)."""
    login_as(Role.TRAINER)
    response = client.post("/worlds/new", data=form_data(
        csrf, region="999999", **{"rates-vacant_units": "150"}))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="rates-vacant_units-error"' in page and 'id="region-error"' in page
    assert "999999 is not a county-level or prefecture region code." in page
    assert page.count('role="alert">999999 is not a county-level') == 1  # once on its field
    assert world_count(db) == 0


# What a trainer may send wrong (field: value), and the field's own message (en, zh): every
# way of getting a field wrong is answered by what the field holds, never by WTForms' words.
FIELD_MESSAGES = [
    ({"name": ""}, "name", "Give the world a name.", "请为模拟世界填写名称。"),
    ({"name": "长" * 121}, "name", "The name is at most 120 characters long.",
     "名称最多 120 个字符。"),
    ({"region": "43060"}, "region", "The region code has 6 digits, e.g. 430602.",
     "区划代码为 6 位数字，例如 430602。"),
    ({"region": ""}, "region", "The region code has 6 digits, e.g. 430602.",
     "区划代码为 6 位数字，例如 430602。"),
    ({"grids": "0"}, "grids", "Enter the number of grids, a whole number from 1 to 8000.",
     "请输入网格数：1 到 8000 之间的整数。"),
    ({"grids": "abc"}, "grids", "Enter the number of grids, a whole number from 1 to 8000.",
     "请输入网格数：1 到 8000 之间的整数。"),
    ({"grids": ""}, "grids", "Enter the number of grids, a whole number from 1 to 8000.",
     "请输入网格数：1 到 8000 之间的整数。"),
    ({"seed": "abc"}, "seed", "The seed must be a whole number from 0 to 9223372036854775807.",
     "随机种子必须是 0 到 9223372036854775807 之间的整数。"),
    ({"households_min": "5001"}, "households_min",
     "Enter the fewest households a grid may have, a whole number from 1 to 5000.",
     "请输入每个网格最少的户数：1 到 5000 之间的整数。"),
    ({"households_max": "x"}, "households_max",
     "Enter the most households a grid may have, a whole number from 1 to 5000.",
     "请输入每个网格最多的户数：1 到 5000 之间的整数。"),
    ({"area_min_units": "0"}, "area_min_units",
     "Enter the fewest housing units an area may have, a whole number from 1 to 5000.",
     "请输入每个普查小区最少的住房单元数：1 到 5000 之间的整数。"),
    ({"area_target_units": " "}, "area_target_units",
     "Enter the target number of housing units per area, a whole number from 1 to 5000.",
     "请输入每个普查小区的目标住房单元数：1 到 5000 之间的整数。"),
    ({"area_max_units": "1.5"}, "area_max_units",
     "Enter the most housing units an area may have, a whole number from 1 to 5000.",
     "请输入每个普查小区最多的住房单元数：1 到 5000 之间的整数。"),
    ({"partition": "halves"}, "partition", "Choose one of the two ways to divide a grid.",
     "请在两种网格划分方式中选择一种。"),
    ({"urban_share": "101"}, "urban_share",
     "Enter the urban share as a number from 0 to 100 per cent.",
     "请输入城镇人口比例：0 到 100 之间的数（百分比）。"),
    ({"urban_share": "NaN"}, "urban_share",
     "Enter the urban share as a number from 0 to 100 per cent.",
     "请输入城镇人口比例：0 到 100 之间的数（百分比）。"),
    ({"rates-deaths": "lots"}, "rates-deaths",
     "Enter this share as a number from 0 to 100 per cent.",
     "请输入该比例：0 到 100 之间的数（百分比）。"),
    ({"rates-vacant_units": "91"}, "rates-vacant_units",
     "Enter this share as a number from 0 to 90 per cent.",
     "请输入该比例：0 到 90 之间的数（百分比）。"),
    ({"rates-births": ""}, "rates-births", "Enter this share as a number from 0 to 3 per cent.",
     "请输入该比例：0 到 3 之间的数（百分比）。"),
]
# WTForms' own messages, in English and as its catalogue says them in Chinese
GENERIC = ("This field is required", "Field must be", "Field cannot be", "Not a valid",
           "Number must be between", "Invalid input", "该字段是必填字段", "字段长度",
           "不是有效的", "数值大小必须介于")


@pytest.mark.parametrize(("sent", "field", "english", "chinese"), FIELD_MESSAGES)
def test_every_wrong_field_says_what_it_holds_in_the_pages_language(client, csrf, login_as,
                                                                    db, sent, field, english,
                                                                    chinese):
    """The field's message on the field and in the list above the form, in Chinese and in
    English: not WTForms' generic one ("Field must be exactly 6 characters long.")."""
    login_as(Role.TRAINER)
    for headers, message in (({"Accept-Language": "zh-CN"}, chinese),
                             ({"Accept-Language": "en"}, english)):
        response = client.post("/worlds/new", headers=headers, data=form_data(csrf, **sent))
        assert response.status_code == 400, (sent, headers)
        page = response.get_data(as_text=True)
        shown = re.search(rf'<small id="{field}-error" class="field-error" role="alert">'
                          r"([^<]*)</small>", page)
        assert shown is not None and shown[1] == message, (sent, headers, shown)
        start = page.index('data-test="error-summary"')
        summary = page[start:page.index("</ul>", start)]
        assert f'<a href="#{field}">' in summary and f"<span>{message}</span>" in summary
        assert not [text for text in GENERIC if text in page], (sent, headers)
        assert f'value="{sent[field]}"' in page or sent[field] == "" or field == "partition"
    assert world_count(db) == 0


def test_no_validator_of_the_world_form_falls_back_on_a_wtforms_message(app):
    """Every validator that can refuse a value carries the field's own message, and every
    number or choice field its own for what it cannot read: a field added later without
    one fails here."""
    from wtforms import DecimalField, IntegerField, SelectField
    from wtforms.validators import Optional

    from trainer.worlds.forms import WorldForm

    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        form = WorldForm(formdata=None)
        fields = [sub for field in form if field.name != "csrf_token"
                  for sub in (field if field.type == "FormField" else [field])]
        assert len(fields) > 30
        for field in fields:
            for validator in field.validators:
                if isinstance(validator, Optional):
                    continue  # it refuses nothing: an empty seed is a random one
                message = getattr(validator, "message", None)
                assert message, (field.name, validator)
                assert not [text for text in GENERIC if text in str(message)], field.name
            if isinstance(field, IntegerField | DecimalField):
                assert field.invalid_value_message, field.name
            if isinstance(field, SelectField):
                assert field.invalid_choice_message, field.name


def test_area_sizes_the_grid_cannot_satisfy_are_refused(client, csrf, login_as, db):
    login_as(Role.TRAINER)
    response = client.post("/worlds/new", data=form_data(
        csrf, area_min_units="100", area_target_units="105", area_max_units="110"))
    assert response.status_code == 400
    assert "cannot be split into areas" in response.get_data(as_text=True)
    assert world_count(db) == 0


def test_trainer_browses_grid_area_and_household_truth(client, login_as, db):
    login_as(Role.TRAINER)
    world = services.create_world(db, actor=None, name="Browse", spec_data=SMALL, seed=5)
    grid = services.grid(world, 0)
    area = grid.areas[0]
    page = client.get(f"/worlds/{world.id}/grids/0").get_data(as_text=True)
    assert "<svg" in page and area.name in page
    page = client.get(f"/worlds/{world.id}/grids/0/areas/{area.code}").get_data(as_text=True)
    number, household = next((n, h) for n, h in grid.area_households(area) if h.persons)
    assert household.persons[0].name in page
    page = client.get(f"/worlds/{world.id}/grids/0/households/{household.index}").get_data(
        as_text=True)
    assert household.persons[0].id_number in page
    assert f"{number:03d}" in page
    # the persona's traits on the 0-100 scale (0.628 was printed as it is stored)
    persona = household.persona
    assert persona is not None
    assert (f'data-test="cooperativeness">{round(persona.cooperativeness * 100)} / 100<'
            in page)
    zh = client.get(f"/worlds/{world.id}/grids/0/households/{household.index}",
                    headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    head = household.persons[0]
    assert f"{head.birth.year}-{head.birth.month:02d}（{head.age}）" in zh  # brackets of zh
    geojson = client.get(f"/worlds/{world.id}/grids/0.geojson")
    assert geojson.mimetype == "application/geo+json"
    assert {f["properties"]["layer"] for f in geojson.json["features"]} >= {"area", "building"}


def test_the_household_page_shows_its_deaths_as_the_death_form_rows(client, login_as, db):
    """A household's deaths of the year in the death form's columns, age at death, ethnicity
    and education included: what a trainee's rows are graded against."""
    login_as(Role.TRAINER)
    world = services.create_world(db, actor=None, name="Deaths", spec_data=SMALL, seed=5)
    grid = services.grid(world, 0)
    index, household = next((i, h) for i in range(len(grid.plans))
                            if (h := grid.household(i)).deaths)
    death = household.deaths[0]
    page = client.get(f"/worlds/{world.id}/grids/0/households/{index}").get_data(as_text=True)
    table = page[page.index('data-test="deaths"'):]
    table = table[:table.index("</table>")]
    age = death.died.year - death.birth.year - (death.birth.month > death.died.month)
    assert "Age at death" in table and f"<td>{age}</td>" in table
    assert f"<td>{death.ethnicity}</td>" in table
    assert f"<td>{death.birth.year}-{death.birth.month:02d}</td>" in table


def test_the_household_page_names_the_persona_in_words_of_the_page_language(client,
                                                                            login_as, db):
    """Concern themes, the preferred mode, secrets and a collective household's kind in
    words, never as the generator's keys (no_time, visit, concealed_infant, dormitory)."""
    from trainer.core.scenario import vocabulary

    login_as(Role.TRAINER)
    world = services.create_world(db, actor=None, name="Personas", spec_data=SMALL, seed=5)
    grid = services.grid(world, 0)
    households = grid.households()
    secretive = next(h for h in households if h.persona and h.persona.secrets)
    collective = next(h for h in households if h.collective_kind)
    for household in (secretive, collective):
        url = f"/worlds/{world.id}/grids/0/households/{household.index}"
        zh = client.get(url, headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
        en = client.get(url, headers={"Accept-Language": "en"}).get_data(as_text=True)
        persona = household.persona
        keys = [*persona.themes, *(secret.kind for secret in persona.secrets)]
        if household.collective_kind:
            keys.append(household.collective_kind)
        for page in (zh, en):
            shown = re.sub(r'data-secret="\w+"', "", page)
            assert not [key for key in keys if key in shown], keys
        assert "、".join(vocabulary.THEMES[t][0] for t in persona.themes) in zh
        assert ", ".join(vocabulary.THEMES[t][1] for t in persona.themes) in en
        assert ("自主填报" if persona.preferred_mode == "self" else "普查员上门登记") in zh
    assert "集体宿舍" in zh or "工棚" in zh or "养老机构" in zh


def test_flats_show_their_stairwell_and_door_on_the_pages_and_in_the_exports(client, login_as,
                                                                           db):
    login_as(Role.TRAINER)
    world = services.create_world(db, actor=None, name="Flats", seed=5,
                                  spec_data={**SMALL, "urban_share": 1.0})
    grid = services.grid(world, 0)
    area, number, household, unit = next(
        (area, number, household, grid.units[grid.plans[household.index].unit])
        for area in grid.areas for number, household in grid.area_households(area)
        if household.persons and grid.plans[household.index].unit is not None
        and grid.units[grid.plans[household.index].unit].door)
    building = grid.buildings[unit.building]
    door = f"{unit.stairwell}单元{unit.door}室"
    chinese = {"Accept-Language": "zh-CN"}
    page = client.get(f"/worlds/{world.id}/grids/0/areas/{area.code}",
                      headers=chinese).get_data(as_text=True)
    assert "门牌" in page and door in page
    url = f"/worlds/{world.id}/grids/0/households/{household.index}"
    page = client.get(url, headers=chinese).get_data(as_text=True)
    assert f"建筑物 {building.number}，住房单元 {unit.number:03d}" in page and door in page
    page = client.get(url, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f"stairwell {unit.stairwell}, flat {unit.door}" in page
    geojson = client.get(f"/worlds/{world.id}/grids/0.geojson").json
    blocks = [f["properties"] for f in geojson["features"]
              if f["properties"]["layer"] == "building"
              and f["properties"]["kind"] in ("multistorey", "highrise")]
    assert blocks and all(block["stairwells"] >= 1 for block in blocks)
    rows = list(csv.DictReader(persons_csv([grid]).splitlines()))
    head = next(row for row in rows if row["area"] == area.code
                and row["household"] == f"{number:03d}")
    assert (head["stairwell"], head["door"]) == (str(unit.stairwell), str(unit.door))


def test_missing_parts_are_404(client, login_as, db):
    login_as(Role.ADMIN)
    world = services.create_world(db, actor=None, name="Parts", spec_data=SMALL, seed=5)
    assert client.get(f"/worlds/{world.id}/grids/7").status_code == 404
    assert client.get(f"/worlds/{world.id}/grids/0/areas/999").status_code == 404
    assert client.get(f"/worlds/{world.id}/grids/0/households/99999").status_code == 404
    assert client.get("/worlds/424242").status_code == 404


def test_trainees_and_examiners_never_see_the_truth(app, client, login_as, db):
    world = services.create_world(db, actor=None, name="Secret", spec_data=SMALL, seed=5)
    household = services.grid(world, 0).household(3)
    for role in (Role.TRAINEE, Role.EXAMINER):
        login_as(role)
        pages = [f"/worlds/{world.id}", f"/worlds/{world.id}/map",
                 f"/worlds/{world.id}/grids/0", f"/worlds/{world.id}/grids/0/areas/001",
                 f"/worlds/{world.id}/grids/0/households/3",
                 f"/worlds/{world.id}/grids/0.geojson", "/worlds"]
        for path in pages:
            response = client.get(path)
            assert response.status_code == 403, path
            assert household.persons[0].id_number.encode() not in response.data
        home = client.get("/", follow_redirects=True).get_data(as_text=True)
        assert 'data-nav="worlds"' not in home


def test_cli_generates_counts_and_exports(runner, db, tmp_path):
    result = runner.invoke(args=["world", "generate", "--grids", "2", "--seed", "3",
                                 "--name", "CLI world"])
    assert result.exit_code == 0, result.output
    world = db.scalars(select(World).where(World.name == "CLI world")).one()
    assert f"world {world.id}:" in result.output
    stats = runner.invoke(args=["world", "stats", str(world.id), "--json"])
    assert stats.exit_code == 0, stats.output
    report = json.loads(stats.output)
    keys = {row["key"] for row in report["figures"]}
    assert {"sex_ratio", "family_household_size", "age_0_14"} <= keys
    assert all({"generated", "target", "deviation"} <= row.keys() for row in report["figures"])
    assert report["persons"] == world.summary["persons"]
    out = tmp_path / "world.csv"
    assert runner.invoke(args=["world", "export", str(world.id), "--format", "csv",
                               "--out", str(out)]).exit_code == 0
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) >= world.summary["persons"]
    out = tmp_path / "world.geojson"
    assert runner.invoke(args=["world", "export", str(world.id), "--format", "geojson",
                               "--out", str(out)]).exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8"))["type"] == "FeatureCollection"


def test_the_export_holds_every_grid_and_keeps_one_in_memory_at_a_time(runner, db,
                                                                       tmp_path):
    import io
    import tracemalloc

    from trainer.core.world.export import grid_geojson, write_persons_csv, write_world_geojson

    world = services.create_world(db, actor=None, name="Exported", spec_data=SMALL, seed=6)
    db.commit()
    out = tmp_path / "world.geojson"
    result = runner.invoke(args=["world", "export", str(world.id), "--format", "geojson",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    collection = json.loads(out.read_text(encoding="utf-8"))
    assert collection["type"] == "FeatureCollection" and collection["name"] == "Exported"
    spec = services.spec_of(world)
    expected = []
    for index in range(world.grids):
        for feature in grid_geojson(make_grid(spec, world.seed, index))["features"]:
            feature["properties"]["grid"] = index
            expected.append(feature)
    assert collection["features"] == json.loads(json.dumps(expected, ensure_ascii=False))

    # Both formats are written a grid at a time: twelve grids take about the memory of three
    # (the whole CSV text kept in memory took 2.8 times as much).
    def peak(write, grids):
        tracemalloc.start()
        try:
            with (tmp_path / "sink").open("w", encoding="utf-8") as sink:
                write((make_grid(spec, 5, index) for index in range(grids)), sink)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    def geojson(grids, sink):
        write_world_geojson(grids, "Exported", sink)

    for write in (write_persons_csv, geojson):
        write((make_grid(spec, 5, index) for index in range(12)), io.StringIO())
        assert peak(write, 12) < 1.5 * peak(write, 3), write


def test_a_failed_export_leaves_no_half_file(runner, db, tmp_path, monkeypatch):
    from trainer.worlds import cli

    world = services.create_world(db, actor=None, name="Half", spec_data=SMALL, seed=6)
    db.commit()
    out = tmp_path / "world.csv"
    out.write_text("an earlier export\n", encoding="utf-8")
    drawn = []

    def failing(spec, seed, index):
        if drawn:
            raise MemoryError("no room for the second grid")
        drawn.append(index)
        return make_grid(spec, seed, index)

    monkeypatch.setattr(cli, "make_grid", failing)
    result = runner.invoke(args=["world", "export", str(world.id), "--format", "csv",
                                 "--out", str(out)])
    assert result.exit_code != 0 and drawn == [0]
    assert out.read_text(encoding="utf-8") == "an earlier export\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["world.csv"]
    monkeypatch.undo()
    missing = runner.invoke(args=["world", "export", str(world.id), "--format", "csv",
                                  "--out", str(tmp_path / "no" / "such" / "folder.csv")])
    assert missing.exit_code == 1 and "could not write" in missing.output
    assert "Traceback" not in missing.output


def test_the_cli_makes_all_of_yueyang_by_default(runner, db):
    result = runner.invoke(args=["world", "generate", "--grids", "3", "--seed", "1"])
    assert result.exit_code == 0, result.output
    world = db.scalars(select(World)).one()
    assert world.region == regions.YUEYANG and world.spec["region"] == regions.YUEYANG


def test_cli_refuses_a_bad_region_and_writes_nothing(runner, db):
    result = runner.invoke(args=["world", "generate", "--region", "12345", "--grids", "1"])
    assert result.exit_code != 0
    assert "region" in result.output
    assert world_count(db) == 0


def test_numbers_that_are_no_numbers_are_refused_not_crashed(client, csrf, login_as, db):
    login_as(Role.TRAINER)
    for overrides in ({"urban_share": "sNaN"}, {"rates-deaths": "NaN"},
                      {"rates-vacant_units": "Infinity"}, {"households_max": "1" + "0" * 400},
                      {"seed": "9" * 40}, {"grids": "-3"}):
        response = client.post("/worlds/new", data=form_data(csrf, **overrides))
        assert response.status_code == 400, overrides
    assert world_count(db) == 0


def test_all_vacant_and_unsplittable_grids_are_refused(client, csrf, login_as, db):
    login_as(Role.TRAINER)
    vacant = client.post("/worlds/new", data=form_data(csrf, **{"rates-vacant_units": "100"}))
    assert vacant.status_code == 400
    page = vacant.get_data(as_text=True)  # on the field, in per cent like the form
    assert 'id="rates-vacant_units-error"' in page
    assert "Enter this share as a number from 0 to 90 per cent." in page
    unsplittable = client.post("/worlds/new", data=form_data(
        csrf, urban_share="100", households_min="300", households_max="300",
        area_min_units="100", area_target_units="110", area_max_units="120"))
    assert unsplittable.status_code == 400
    assert "cannot be split into areas" in unsplittable.get_data(as_text=True)
    assert world_count(db) == 0


def test_audit_log_survives_absurd_page_numbers(client, login_as):
    login_as(Role.ADMIN)
    assert client.get("/admin/audit?page=99999999999999999999").status_code == 200


# The overview map -----------------------------------------------------------------------

OVERVIEW_SPEC = {"grids": 9, "households_min": 300, "households_max": 320}


def bare_world(db, name="Map world", seed=5, **spec):
    """A world row without counting its people (the overview map reads only spec and seed)."""
    full = WorldSpec.from_dict({**OVERVIEW_SPEC, **spec}).to_dict()
    world = World(name=name, seed=seed, spec=full, region=full["region"], grids=full["grids"],
                  summary={})
    db.add(world)
    db.flush()
    return world


def overview_svg(page):
    """The map's SVG element, parsed as XML (so it is also well formed)."""
    import xml.etree.ElementTree as ET

    start, end = page.index("<svg"), page.index("</svg>") + len("</svg>")
    return ET.fromstring(page[start:end])  # noqa: S314 (our own page)


SVG = "{http://www.w3.org/2000/svg}"


def test_overview_map_shows_every_grid_with_its_areas_and_links(client, login_as, db):
    login_as(Role.TRAINER)
    world = bare_world(db)
    page = client.get(f"/worlds/{world.id}").get_data(as_text=True)
    assert f'href="/worlds/{world.id}/map"' in page  # the world page leads to the map
    response = client.get(f"/worlds/{world.id}/map")
    assert response.status_code == 200
    svg = overview_svg(response.get_data(as_text=True))
    assert svg.get("aria-labelledby") == "overview-title overview-desc"
    assert svg.find(f"{SVG}title").text == "Overview map of Map world, page 1 of 1"
    tiles = {int(g.get("data-grid")): g for g in svg.iter(f"{SVG}g") if g.get("data-grid")}
    assert sorted(tiles) == list(range(9))
    for index, tile in tiles.items():
        grid = services.grid(world, index)
        links = [a.get("href") for a in tile.iter(f"{SVG}a")]
        assert f"/worlds/{world.id}/grids/{index}" in links
        assert tile.get("class") == ("tile urban" if grid.urban else "tile rural")
        areas = {a.get("data-area"): a for a in tile.iter(f"{SVG}a") if a.get("data-area")}
        assert list(areas) == [area.code for area in grid.areas]
        for area in grid.areas:
            link = areas[area.code]
            assert link.get("href") == f"/worlds/{world.id}/grids/{index}/areas/{area.code}"
            assert link.find(f"{SVG}polygon") is not None
            assert link.find(f"{SVG}text").text == area.code
            assert f"{area.unit_count} housing units" in link.get("aria-label")
    villages = [g for g in svg.iter(f"{SVG}g") if g.get("class") == "village"]
    names = {services.grid(world, index).village.name for index in tiles}
    assert {v.get("aria-label").split(" (")[0] for v in villages} == names


def test_overview_map_pages_whole_townships(client, login_as, db):
    login_as(Role.ADMIN)
    world = bare_world(db, grids=80, urban_share=1.0)  # 18 grids a 街道: 72, then 8
    seen = []
    for number, expected in ((1, 72), (2, 8)):
        page = client.get(f"/worlds/{world.id}/map?page={number}").get_data(as_text=True)
        assert f"Page {number} of 2" in page
        tiles = [int(g.get("data-grid")) for g in overview_svg(page).iter(f"{SVG}g")
                 if g.get("data-grid")]
        assert len(tiles) == expected
        seen += tiles
        townships = {services.grid(world, index).village.township_code for index in tiles}
        assert len(townships) == (4 if number == 1 else 1)
    assert sorted(seen) == list(range(80))
    first = client.get(f"/worlds/{world.id}/map").get_data(as_text=True)
    assert f'href="/worlds/{world.id}/map?page=2"' in first and "?page=0" not in first


def test_overview_map_refuses_bad_page_numbers_cleanly(client, login_as, db):
    login_as(Role.TRAINER)
    world = bare_world(db)
    for bad in ("abc", "-1", "1.5", "", "%EF%BC%91", "1e3"):
        response = client.get(f"/worlds/{world.id}/map?page={bad}")
        assert response.status_code == 400, bad
        assert "The page must be a whole number from 1 to 1." in response.get_data(as_text=True)
    for missing in ("0", "2", "99999999999999999999999999"):
        response = client.get(f"/worlds/{world.id}/map?page={missing}")
        assert response.status_code == 404, missing
        assert "its pages run from 1 to 1" in response.get_data(as_text=True)
    assert client.get("/worlds/424242/map").status_code == 404


def test_overview_map_in_both_languages_and_escaped(client, login_as, db):
    login_as(Role.TRAINER)
    world = bare_world(db, name="<script>x</script>")
    english = client.get(f"/worlds/{world.id}/map", headers={"Accept-Language": "en"})
    chinese = client.get(f"/worlds/{world.id}/map", headers={"Accept-Language": "zh-CN"})
    en_page, zh_page = english.get_data(as_text=True), chinese.get_data(as_text=True)
    for words in ("Overview map", "Urban grid", "Rural grid", "Enumeration area and its number",
                  "Urban tiles", "100 m"):
        assert words in en_page and words not in zh_page, words
    for words in ("总览图", "城镇网格", "乡村网格", "普查小区及其编号", "城镇图块", "100 米"):
        assert words in zh_page, words
    assert 'lang="zh-CN"' in zh_page
    assert overview_svg(zh_page).find(f"{SVG}title").text.endswith("总览图，第 1 页，共 1 页")
    for page in (en_page, zh_page):
        assert "<script>x" not in page and "&lt;script&gt;x" in page
    refused = client.get(f"/worlds/{world.id}/map?page=x", headers={"Accept-Language": "zh-CN"})
    assert "页码必须是 1 至 1 之间的整数。" in refused.get_data(as_text=True)


@settings(max_examples=60, deadline=None)
@given(grids=st.integers(1, 400), share=st.floats(0, 1), seed=st.integers(0, 2**40))
def test_overview_pages_hold_every_grid_once_in_whole_townships(grids, share, seed):
    spec = WorldSpec.from_dict({"grids": grids, "urban_share": share}).to_dict()
    world = World(name="p", seed=seed, spec=spec, region=spec["region"], grids=grids)
    townships = services._townships(json.dumps(spec, sort_keys=True), seed)
    flat = [index for township in townships for index in township]
    assert sorted(flat) == list(range(grids))
    for township in townships:
        places = [village_of(WorldSpec.from_dict(spec), seed, index) for index in township]
        assert len({village.township_code for village, _position in places}) == 1
        assert len(township) <= 18
        assert places == sorted(places, key=lambda p: (p[0].code, p[1]))
    codes = [village_of(WorldSpec.from_dict(spec), seed, t[0])[0].township_code
             for t in townships]
    assert codes == sorted(set(codes))  # each township once, in code order
    per_page = services.OVERVIEW_TOWNSHIPS_PER_PAGE
    assert services.overview_pages(world) == max(1, -(-len(townships) // per_page))


def boxes_overlap(a, b):
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grids=st.integers(1, 12), share=st.sampled_from([0.0, 0.3, 0.6, 1.0]),
       seed=st.integers(0, 2**40), group=st.booleans(),
       households=st.sampled_from([(300, 360), (300, 500), (2000, 2500), (5000, 5000)]))
def test_overview_layout_keeps_tiles_apart_and_labels_inside(grids, share, seed, group,
                                                             households):
    spec = WorldSpec.from_dict({"grids": grids, "urban_share": share,
                                "households_min": households[0],
                                "households_max": households[1],
                                "partition": "group" if group else "areas"})
    drawn = [make_grid(spec, seed, index) for index in range(grids)]
    drawn.sort(key=lambda g: (g.village.code, g.position))
    layout = overview_map(drawn)
    assert [tile.index for tile in layout.tiles] == [g.index for g in drawn]
    villages = [v for t in layout.townships for v in t.villages]
    frames = [(v.x, v.y, v.x + v.width, v.y + v.height) for v in villages]
    for number, frame in enumerate(frames):
        assert frame[0] >= 0 and frame[2] <= layout.width and frame[3] <= layout.height
        assert not any(boxes_overlap(frame, other) for other in frames[number + 1:])
    for village, frame in zip(villages, frames, strict=True):
        boxes = [(t.x, t.y, t.x + t.width, t.caption[1]) for t in village.tiles]
        for number, (tile, box) in enumerate(zip(village.tiles, boxes, strict=True)):
            assert frame[0] <= box[0] and box[2] <= frame[2] + 0.1
            assert frame[1] <= box[1] and box[3] <= frame[3]
            assert not any(boxes_overlap(box, other) for other in boxes[number + 1:])
            assert tile.width >= 40 and tile.height >= 40  # never a speck
            assert len(tile.areas) == len(drawn[[t.index for t in layout.tiles].index(
                tile.index)].areas)
            labels = []  # the numbers' boxes: 3 digits of 11 px (as drawn), cap height 8
            for area in tile.areas:
                x, y = area.label
                assert tile.x <= x <= tile.x + tile.width and tile.y <= y <= tile.y + tile.height
                labels.append((x - 10.2, y - 4, x + 10.2, y + 4))
            for number, label in enumerate(labels):
                assert not any(boxes_overlap(label, other) for other in labels[number + 1:])
    first_heading = min(t.y for t in layout.townships)
    assert first_heading > OVERVIEW_MARGIN + OVERVIEW_LEGEND_HEIGHT  # below the legend


def test_a_world_the_generator_draws_otherwise_says_so_and_can_be_counted_again(
        client, csrf, login_as, db, monkeypatch, runner):
    """A world is kept as spec + seed: when an upgrade of the generator (here: every family
    drawn with the first surname) draws it otherwise, its page tells the trainer and a
    button counts it again; unchanged, nothing is said."""
    from trainer.core.world import bulk

    world = services.create_world(db, actor=None, name="Drifting", spec_data=SMALL, seed=8)
    counted = world.summary["fingerprint"]
    assert len(counted) == 64
    login_as(Role.TRAINER)
    assert 'data-test="drift-' not in client.get(f"/worlds/{world.id}").get_data(as_text=True)

    monkeypatch.setattr(bulk, "_surnames", lambda g, count: np.zeros(count, dtype=np.int64))
    services._fingerprint.cache_clear()
    services._cached_grid.cache_clear()
    try:
        page = client.get(f"/worlds/{world.id}").get_data(as_text=True)
        assert 'data-test="drift-changed"' in page and "The generator has changed" in page
        zh = client.get(f"/worlds/{world.id}", headers={"Accept-Language": "zh-CN"})
        assert "生成程序在本世界生成之后已有改动" in zh.get_data(as_text=True)
        response = client.post(f"/worlds/{world.id}/recount", data={"csrf_token": csrf()})
        assert response.status_code == 302
        db.refresh(world)
        assert world.summary["fingerprint"] not in (None, counted)
        assert world.summary["persons"] > 1000 and world.summary["figures"]
        page = client.get(f"/worlds/{world.id}").get_data(as_text=True)
        assert 'data-test="drift-' not in page and "counted again" in page
        monkeypatch.undo()  # the generator as it was: the recounted world has drifted back
        services._fingerprint.cache_clear()
        services._cached_grid.cache_clear()
        result = runner.invoke(args=["world", "recount", str(world.id)])
        assert result.exit_code == 0, result.output
        assert "drawn it otherwise" in result.output
        db.refresh(world)
        assert world.summary["fingerprint"] == counted
    finally:
        services._fingerprint.cache_clear()
        services._cached_grid.cache_clear()


def test_a_world_counted_before_fingerprints_were_kept_offers_a_recount(client, csrf,
                                                                        login_as, db):
    world = services.create_world(db, actor=None, name="Old", spec_data=SMALL, seed=8)
    counted = world.summary["fingerprint"]
    world.summary = {key: value for key, value in world.summary.items()
                     if key != "fingerprint"}
    db.flush()
    login_as(Role.TRAINER)
    page = client.get(f"/worlds/{world.id}").get_data(as_text=True)
    assert 'data-test="drift-unknown"' in page and "earlier version" in page
    assert 'data-test="recount"' in page
    assert client.post(f"/worlds/{world.id}/recount",
                       data={"csrf_token": csrf()}).status_code == 302
    db.refresh(world)
    assert world.summary["fingerprint"] == counted  # the same generator: the same print


class HeldJobs:
    """The count jobs queued, not run (the queue runs jobs at once in tests)."""

    def __init__(self):
        self.queued = []

    def __call__(self, world_id, run):
        self.queued.append((world_id, run))


def stale(db, world, *, running, ago):
    """Make the world's count look as if it last reported `ago` ago."""
    from trainer.db import utcnow

    world.count_running = running
    world.count_touched_at = utcnow() - ago
    db.commit()


def test_the_form_makes_a_world_of_any_size_and_a_job_counts_it(client, csrf, login_as, db,
                                                                monkeypatch):
    """A world too large to count within a request: made at once, its page and the list
    show the count's progress (polled), and the job's end reloads the page."""
    from trainer import tasks
    from trainer.core.world.spec import MAX_GRIDS

    held = HeldJobs()
    monkeypatch.setattr(tasks, "count_world", held)
    login_as(Role.TRAINER)
    assert f"Up to {MAX_GRIDS}; a large world" in client.get("/worlds/new").get_data(
        as_text=True)
    response = client.post("/worlds/new", data=form_data(csrf, grids=str(MAX_GRIDS)))
    assert response.status_code == 302
    world = db.scalars(select(World)).one()
    assert held.queued == [(world.id, 1)]
    assert world.grids == MAX_GRIDS and world.counting and world.counted_grids == 0
    assert world.summary == {} and not world.count_running
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-test="world-count"' in page and f"0 of {MAX_GRIDS} grids counted" in page
    assert 'data-test="no-figures"' in page and 'data-test="count-stalled"' not in page
    assert "None" not in page and 'data-test="drift-' not in page  # not counted: no drift
    assert f'hx-get="/worlds/{world.id}/count"' in page
    listing = client.get("/worlds").get_data(as_text=True)
    assert f"counting: 0 of {MAX_GRIDS} grids" in listing
    zh = client.get(f"/worlds/{world.id}", headers={"Accept-Language": "zh-CN"})
    assert f"已统计 0 / {MAX_GRIDS} 个网格" in zh.get_data(as_text=True)

    assert services.claim_count(db, world.id, 1)  # a worker takes it and reports
    assert services.touch_count(db, world.id, 1, 1234)
    db.commit()
    fragment = client.get(f"/worlds/{world.id}/count")
    assert "HX-Refresh" not in fragment.headers
    assert f"1234 of {MAX_GRIDS} grids counted" in fragment.get_data(as_text=True)
    # Its grids can be opened while it is counted.
    assert client.get(f"/worlds/{world.id}/grids/{MAX_GRIDS - 1}").status_code == 200

    services.finish_count(db, world.id, 1, summary={"persons": 5, "figures": []})
    db.commit()
    done = client.get(f"/worlds/{world.id}/count")
    assert done.headers["HX-Refresh"] == "true" and "hx-get" not in done.get_data(as_text=True)
    assert "The count has ended." in done.get_data(as_text=True)


def test_the_job_counts_the_world_and_reports_as_it_goes(app, db, monkeypatch):
    from trainer import tasks

    world = services.create_world(db, actor=None, name="Counted", spec_data=SMALL, seed=8,
                                  background=True)
    db.commit()
    assert world.counting and world.summary == {} and world.count_run == 1
    reports = []
    touch = services.touch_count

    def recorded(db, world_id, run, done):
        reports.append(done)
        return touch(db, world_id, run, done)

    monkeypatch.setattr(tasks, "PROGRESS_EVERY", 0.0)
    monkeypatch.setattr(services, "touch_count", recorded)
    with app.app_context():
        tasks.count_world_job(world.id, 1)
    db.refresh(world)
    assert reports == list(range(1, SMALL["grids"] + 1))
    assert not world.counting and world.count_touched_at is None and world.count_error is None
    direct = services.create_world(db, actor=None, name="Direct", spec_data=SMALL, seed=8)
    assert world.summary == direct.summary  # the job's figures are the command line's
    with app.app_context():
        tasks.count_world_job(world.id, 1)  # a job for a world not being counted does nothing
    assert reports == list(range(1, SMALL["grids"] + 1))


def test_a_job_of_an_earlier_count_writes_nothing(app, db, monkeypatch):
    """Queued twice, or outlived by a newer count: the job of the older count stops at its
    first report (or never starts) and leaves the newer count's row alone."""
    from datetime import timedelta

    from sqlalchemy import update

    from trainer import tasks

    world = services.create_world(db, actor=None, name="Twice", spec_data=SMALL, seed=8,
                                  background=True)
    db.commit()
    monkeypatch.setattr(tasks, "PROGRESS_EVERY", 0.0)

    def replaced_meanwhile(spec, seed, state, more, progress):
        db.execute(update(World).where(World.id == world.id).values(
            count_run=World.count_run + 1, count_running=False))
        db.commit()
        progress(1)
        raise AssertionError("the replaced job should have stopped at its report")

    monkeypatch.setattr(services, "count_some", replaced_meanwhile)
    with app.app_context():
        tasks.count_world_job(world.id, 1)
    db.refresh(world)
    assert world.counting and world.count_run == 2 and world.counted_grids == 0
    assert world.count_error is None and world.summary == {}
    monkeypatch.undo()
    with app.app_context():
        tasks.count_world_job(world.id, 1)  # the left-over job: not even claimed
    db.refresh(world)
    assert world.counting and not world.count_running
    stale(db, world, running=True, ago=timedelta(minutes=5))
    with app.app_context():
        tasks.count_world_job(world.id, 2)  # the current count's job does the work
    db.refresh(world)
    assert not world.counting and world.summary["persons"] > 1000


SLICED = {"grids": 4, "households_min": 300, "households_max": 320}


def test_a_count_goes_a_slice_at_a_time_behind_the_jobs_queued_meanwhile(app, db, monkeypatch,
                                                                        tmp_path):
    """On a real queue (SQLite, as `make run` has it), a clip's job queued while a world is
    counted runs after the count's current slice, not after the whole count; each slice
    keeps its sums on the world, and the figures are those of a count in one go."""
    from trainer import tasks

    queue = tasks.make_huey({}, tmp_path / "instance")
    ran = []

    def slice_job(world_id, run):
        ran.append("count")
        tasks.count_world_job(world_id, run)

    monkeypatch.setattr(tasks, "count_world", queue.task()(slice_job))
    clip = queue.task()(lambda: ran.append("clip"))
    monkeypatch.setattr(services, "COUNT_SLICE", 0.0)  # a grid a slice
    world = services.create_world(db, actor=None, name="Sliced", spec_data=SLICED, seed=8,
                                  background=True)
    db.commit()
    tasks.count_world(world.id, 1)  # what the form queues after its commit
    clip()  # a trainer uploads a clip meanwhile
    seen = []
    with app.app_context():
        while (job := queue.dequeue()) is not None:
            queue.execute(job)
            db.refresh(world)
            seen.append((world.counted_grids, world.count_running,
                         (world.count_partial or {}).get("done")))
    assert ran == ["count", "clip", "count", "count", "count"]
    assert seen[:3] == [(1, False, 1), (1, False, 1), (2, False, 2)]
    assert seen[-1] == (None, False, None) and not world.counting
    direct = services.create_world(db, actor=None, name="Direct", spec_data=SLICED, seed=8)
    assert world.summary == direct.summary


def test_a_count_started_again_goes_on_from_its_last_slice(app, db, monkeypatch):
    from datetime import timedelta

    from trainer import tasks

    held = HeldJobs()
    monkeypatch.setattr(tasks, "count_world", held)
    monkeypatch.setattr(services, "COUNT_SLICE", 0.0)
    direct = services.create_world(db, actor=None, name="Direct", spec_data=SLICED, seed=8)
    world = services.create_world(db, actor=None, name="Resumed", spec_data=SLICED, seed=8,
                                  background=True)
    db.commit()
    with app.app_context():
        tasks.count_world_job(world.id, 1)  # the first slice queues the second
        tasks.count_world_job(*held.queued.pop())
    db.refresh(world)
    assert held.queued == [(world.id, 1)]  # the third, which its worker dies in
    held.queued.clear()
    assert world.count_partial["done"] == 2 and world.counted_grids == 2
    drawn = []
    monkeypatch.setattr(services, "make_grid", lambda spec, seed, index: drawn.append(
        index) or make_grid(spec, seed, index))
    stale(db, world, running=True, ago=services.STALE_COUNT + timedelta(seconds=5))
    with app.app_context():  # its worker died during the third slice
        assert tasks.resume_counts.call_local() == [world.id]
    db.refresh(world)
    assert held.queued == [(world.id, 2)] and world.counted_grids == 2
    monkeypatch.setattr(services, "COUNT_SLICE", 60.0)
    with app.app_context():
        tasks.count_world_job(*held.queued.pop())
    db.refresh(world)
    assert drawn == [2, 3] and held.queued == []  # the first two grids are not drawn again
    assert not world.counting and world.count_partial is None
    assert world.summary == direct.summary

    run = services.start_count(db, world)  # counted again from the start: nothing kept
    db.commit()
    with app.app_context():
        tasks.count_world_job(world.id, run)
    db.refresh(world)
    assert drawn == [2, 3, 0, 1, 2, 3] and world.summary == direct.summary


def test_a_count_kept_between_slices_reads_back_whole():
    spec = WorldSpec.from_dict(SLICED)
    state = services.Counting()
    services.count_some(spec, 8, state, lambda: False)
    services.count_some(spec, 8, state, lambda: False)
    kept = services.Counting.from_json(json.loads(json.dumps(state.to_json())))
    assert kept == state and kept.tally.education and kept.done == 2
    assert services.count_some(spec, 8, kept)
    assert kept.totals(spec, 8) == services.count(spec, 8)


def test_a_count_whose_worker_died_is_queued_again_once(app, client, login_as, db,
                                                        monkeypatch):
    from datetime import timedelta

    from trainer import tasks

    held = HeldJobs()
    monkeypatch.setattr(tasks, "count_world", held)
    dead = services.create_world(db, actor=None, name="Dead", spec_data=SMALL, seed=8,
                                 background=True)
    alive = services.create_world(db, actor=None, name="Alive", spec_data=SMALL, seed=9,
                                  background=True)
    waiting = services.create_world(db, actor=None, name="Waiting", spec_data=SMALL,
                                    seed=10, background=True)
    stale(db, dead, running=True, ago=services.STALE_COUNT + timedelta(seconds=5))
    stale(db, waiting, running=False, ago=services.STALE_COUNT + timedelta(seconds=5))
    login_as(Role.TRAINER)
    page = client.get(f"/worlds/{dead.id}").get_data(as_text=True)
    assert 'data-test="count-stalled"' in page and 'data-test="recount"' in page
    with app.app_context():
        assert tasks.resume_counts.call_local() == [dead.id]  # a queued one waits longer
    assert held.queued == [(dead.id, 2)]
    db.refresh(dead)
    assert dead.counting and dead.counted_grids == 0 and not dead.count_running
    assert dead.count_run == 2 and dead.count_resumes == 1
    with app.app_context():
        assert tasks.resume_counts.call_local() == []  # queued once a STALE_COUNT
    assert alive.counting and waiting.counting

    stale(db, waiting, running=False, ago=services.QUEUED_TOO_LONG + timedelta(seconds=5))
    stale(db, dead, running=True, ago=services.STALE_COUNT + timedelta(seconds=5))
    with app.app_context():
        assert tasks.resume_counts.call_local() == [waiting.id]  # lost in the queue: again
    db.refresh(dead)
    db.refresh(waiting)
    assert waiting.count_resumes == 0 and waiting.count_run == 2  # no worker died for it
    assert not dead.counting and dead.count_run == 2  # its worker died twice: given up
    assert dead.count_error == {"message": services.COUNT_DIED_TWICE, "params": {}}
    page = client.get(f"/worlds/{dead.id}", headers={"Accept-Language": "zh-CN"})
    assert "负责统计的任务进程两次中途停止" in page.get_data(as_text=True)
    assert "统计失败" in client.get("/worlds", headers={"Accept-Language": "zh-CN"}).get_data(
        as_text=True)


def test_a_count_that_could_not_be_queued_is_due_for_the_periodic_check(app, client, csrf,
                                                                         login_as, db,
                                                                         monkeypatch):
    from trainer import tasks

    def queue_down(world_id, run):
        raise ConnectionRefusedError("the queue is down")

    monkeypatch.setattr(tasks, "count_world", queue_down)
    login_as(Role.TRAINER)
    response = client.post("/worlds/new", data=form_data(csrf))
    assert response.status_code == 302  # the world is made all the same
    world = db.scalars(select(World)).one()
    assert world.counting and services.stale_counts(db) == [world.id]
    monkeypatch.undo()
    with app.app_context():
        assert tasks.resume_counts.call_local() == [world.id]  # runs it (immediate queue)
    db.refresh(world)
    assert not world.counting and world.summary["persons"] > 1000


def test_a_failed_count_keeps_the_earlier_figures_and_offers_another(client, csrf, login_as,
                                                                      db, monkeypatch):
    from trainer.core.errors import InvalidInput

    world = services.create_world(db, actor=None, name="Failing", spec_data=SMALL, seed=8)
    db.commit()
    figures = dict(world.summary)

    def broken(spec, seed, state, more, progress):
        raise MemoryError("no room")

    monkeypatch.setattr(services, "count_some", broken)
    login_as(Role.TRAINER)
    assert client.post(f"/worlds/{world.id}/recount",
                       data={"csrf_token": csrf()}).status_code == 302
    db.refresh(world)
    assert not world.counting and world.count_error == {"message": services.COUNT_FAILED,
                                                        "params": {}}
    assert world.summary == figures
    page = client.get(f"/worlds/{world.id}").get_data(as_text=True)
    assert 'data-test="count-failed"' in page and "unexpected error" in page
    assert "no room" not in page  # the error's text is in the log, not on the page
    assert 'data-test="recount"' in page and str(figures["persons"]) in page

    def unsplittable(spec, seed, state, more, progress):  # a grid past the first 200, say
        raise InvalidInput(N_("A grid of %(units)s housing units cannot be split into areas "
                              "of %(low)s-%(high)s units."), field="area_min_units",
                           units=366, low=100, high=120)

    monkeypatch.setattr(services, "count_some", unsplittable)
    assert client.post(f"/worlds/{world.id}/recount",
                       data={"csrf_token": csrf()}).status_code == 302
    zh = client.get(f"/worlds/{world.id}", headers={"Accept-Language": "zh-CN"})
    assert "366" in zh.get_data(as_text=True) and "cannot be split" not in zh.get_data(
        as_text=True)
    assert "cannot be split into areas of 100-120" in client.get(
        f"/worlds/{world.id}").get_data(as_text=True)
    monkeypatch.undo()
    assert client.post(f"/worlds/{world.id}/recount",
                       data={"csrf_token": csrf()}).status_code == 302
    db.refresh(world)
    assert world.count_error is None and world.summary == figures


def test_a_world_being_counted_is_not_counted_twice(client, csrf, login_as, db, monkeypatch):
    from trainer import tasks

    held = HeldJobs()
    monkeypatch.setattr(tasks, "count_world", held)
    world = services.create_world(db, actor=None, name="Busy", spec_data=SMALL, seed=8,
                                  background=True)
    db.commit()
    touched = world.count_touched_at
    login_as(Role.TRAINER)
    response = client.post(f"/worlds/{world.id}/recount", data={"csrf_token": csrf()},
                           follow_redirects=True)
    assert response.status_code == 200
    assert "being counted already" in response.get_data(as_text=True)
    db.refresh(world)
    assert world.counting and world.count_touched_at == touched and world.count_run == 1
    assert held.queued == [] and world.summary == {}


def test_the_fingerprint_covers_a_grid_of_each_kind():
    spec = WorldSpec(grids=6, households_min=300, households_max=320)
    sample = services._sample(spec, 4)
    kinds = {village_of(spec, 4, index)[0].urban for index in sample}
    assert len(sample) == 2 and kinds == {True, False}
    only_urban = WorldSpec(grids=3, urban_share=1.0, households_min=300, households_max=320)
    assert services._sample(only_urban, 4) == (0,)


def test_recounting_needs_the_csrf_token_and_a_world(client, csrf, login_as, db):
    world = services.create_world(db, actor=None, name="Guarded", spec_data=SMALL, seed=8)
    login_as(Role.TRAINER)
    assert client.post(f"/worlds/{world.id}/recount", data={}).status_code == 400
    assert client.post("/worlds/999999/recount",
                       data={"csrf_token": csrf()}).status_code == 404


@given(seed=st.integers(0, 2**31), other=st.integers(0, 2**31))
@settings(max_examples=8, deadline=None)
def test_fingerprints_tell_grids_apart(seed, other):
    from trainer.core.world.export import fingerprint

    spec = WorldSpec(households_min=300, households_max=320)
    first = fingerprint(make_grid(spec, seed, 0))
    assert first == fingerprint(make_grid(spec, seed, 0))
    assert (first == fingerprint(make_grid(spec, other, 0))) == (seed == other)
