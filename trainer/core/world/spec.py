"""What a world is made from: its region, size, enumeration-area bounds and hard-case rates.

A world is fully described by (spec, seed). `WorldSpec.from_dict` validates a plain dict (a
form, a scenario file, the CLI) and names the field of every error, so nothing is written
from a bad spec.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from trainer.core.errors import InvalidInput
from trainer.core.i18n import N_
from trainer.core.world.regions import is_region_code

GRIDS_PER_VILLAGE = 3  # a 社区/村 is looked after as about three grids
VILLAGES_PER_TOWNSHIP = 6
# Township codes have three digits and 街道 and 镇 interleave (see grid.village_of): 8,000
# grids keep them below 1000. Yueyang (5.05 million residents) needs about 4,300.
MAX_GRIDS = 8_000
MAX_VACANCY = 0.9
# Births per resident: 30 per 1,000 is over three times Hunan's 2020 rate, and about what the
# children's ages can give (a higher rate would be met only in part, silently).
MAX_BIRTHS = 0.03


@dataclass(frozen=True)
class Rates:
    """Rates of the hard cases. Person rates apply to people living in family households."""

    # Where residents' hukou is (mutually exclusive; the rest have hukou in this village).
    hukou_other_village: float = 0.04  # same township, another 村/居 (D8=2; not 人户分离)
    hukou_other_township: float = 0.14  # same county (D8=3): 市辖区内人户分离 when away ≥ ½ year
    hukou_other_county_in_city: float = 0.07  # another county of this prefecture (D8=4)
    hukou_other_county_in_province: float = 0.10  # another prefecture of the province (D8=4)
    hukou_other_province: float = 0.07  # floating population from another province (D8=4)
    hukou_pending: float = 0.003  # 户口待定 (D8=5)
    no_id_number: float = 0.004  # persons without an ID number (18 zeros)
    members_away: float = 0.12  # family households with a hukou member away on 10-31 (H2b)
    abroad: float = 0.004  # family households with a member abroad for work or study
    hmt_foreign: float = 0.002  # households of Hong Kong/Macao/Taiwan residents or foreigners
    collective_persons: float = 0.076  # share of persons in collective households
    vacant_units: float = 0.10  # residential units nobody lives in
    multiple_dwellings: float = 0.02  # households holding a second unit in the grid (空房)
    whole_household_death: float = 0.002  # units whose household all died (999)
    deaths: float = 0.0072  # persons who died in the year before the standard time
    # Persons born in the year before the standard time (H3), per resident: Hunan's crude
    # birth rate of 2020, 8.53 per 1,000 (see stats.TARGETS).
    births: float = 0.00853
    # Share of the year's births (H3) who died before 11-01: on the death form and counted
    # in both H3 and H4.
    newborn_died: float = 0.003
    unnamed_newborn: float = 0.25  # births in the last three months not yet named (未取名)
    shop_units: float = 0.04  # street-level units that are shops
    shop_dwellers: float = 0.25  # share of shops where someone lives (工作地住所)
    no_housing: float = 0.001  # households with no housing (无住房)
    second_household: float = 0.01  # occupied units where a second household is found
    long_form: float = 0.10  # households sampled for the long form

    RESIDENCE_FIELDS = ("hukou_other_village", "hukou_other_township",
                        "hukou_other_county_in_city", "hukou_other_county_in_province",
                        "hukou_other_province", "hukou_pending")
    # Kinds of family household drawn from one roll per household (the rest are ordinary
    # families), so their rates together cannot pass 100 %.
    EXCLUSIVE_HOUSEHOLD_FIELDS = ("hmt_foreign", "no_housing")


@dataclass(frozen=True)
class WorldSpec:
    """Everything but the seed that determines a world."""

    # A county-level code, or a prefecture's (430600: all nine counties of Yueyang). The
    # default stays 岳阳楼区 so that specs written without a region keep their worlds; the
    # world form and `flask world generate` offer all of Yueyang.
    region: str = "430602"
    grids: int = 12
    households_min: int = 300  # per grid, as the city manages it
    households_max: int = 500
    area_min_units: int = 60  # housing units per enumeration area
    area_max_units: int = 120
    area_target_units: int = 80
    partition: str = "areas"  # "areas": 普查小区 of ~80 units; "group": grid kept whole
    urban_share: float = 0.621  # Yueyang's urbanisation (2022 bulletin; see stats.TARGETS)
    rates: Rates = field(default_factory=Rates)

    def to_dict(self) -> dict[str, Any]:
        """A plain dict (JSON-ready) that `from_dict` reads back to an equal spec."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, check: bool = True) -> WorldSpec:
        """Validate and build a spec; unknown keys and bad values raise InvalidInput (values
        of the right types that cannot work only with `check`: see `problems`)."""
        data = dict(data)
        rates_data = dict(data.pop("rates", None) or {})
        known = {f.name for f in fields(cls)} - {"rates"}
        rate_names = {f.name for f in fields(Rates)}
        for key in data:
            if key not in known:
                raise InvalidInput(N_("Unknown setting %(name)s."), field=key, name=key)
        for key in rates_data:
            if key not in rate_names:
                raise InvalidInput(N_("Unknown setting %(name)s."), field=f"rates.{key}",
                                   name=key)
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name in data:
                values[f.name] = _coerce(f.name, data[f.name], type(getattr(cls(), f.name)))
        rates: dict[str, float] = {}
        for f in fields(Rates):
            if f.name in rates_data:
                rates[f.name] = _coerce(f"rates.{f.name}", rates_data[f.name], float)
        spec = cls(**values, rates=Rates(**rates))
        if check:
            spec.validate()
        return spec

    def validate(self) -> None:
        """Raise InvalidInput naming the first field that cannot work (see `problems`)."""
        found = self.problems()
        if found:
            raise found[0]

    def problems(self) -> list[InvalidInput]:
        """Every field that cannot work, each with its error, in the order of the form (a
        form shows them all at once, not one a submission); the areas' fit only when the
        bounds it depends on hold."""
        found: list[InvalidInput] = []
        if not is_region_code(self.region):
            found.append(InvalidInput(
                N_("%(code)s is not a county-level or prefecture region code."),
                field="region", code=self.region))
        if not 1 <= self.grids <= MAX_GRIDS:
            found.append(InvalidInput(N_("The number of grids must be between 1 and %(max)s."),
                                      field="grids", max=MAX_GRIDS))
        if not 1 <= self.households_min <= self.households_max <= 5000:
            found.append(InvalidInput(
                N_("Households per grid: the minimum must be at least 1 and not above the "
                   "maximum (at most 5000)."), field="households_min"))
        if not 1 <= self.area_min_units <= self.area_target_units <= self.area_max_units:
            found.append(InvalidInput(N_("Enumeration area size: minimum ≤ target ≤ maximum, "
                                         "all at least 1."), field="area_target_units"))
        if self.partition not in ("areas", "group"):
            found.append(InvalidInput(N_("The partition is either areas or group."),
                                      field="partition"))
        if not 0.0 <= self.urban_share <= 1.0:
            found.append(InvalidInput(N_("%(name)s must be between 0 and 1."),
                                      field="urban_share", name="urban_share"))
        for f in fields(Rates):
            value = getattr(self.rates, f.name)
            if not 0.0 <= value <= 1.0:
                found.append(InvalidInput(N_("%(name)s must be between 0 and 1."),
                                          field=f"rates.{f.name}", name=f.name))
        if self.rates.vacant_units > MAX_VACANCY and self.rates.vacant_units <= 1.0:
            found.append(InvalidInput(N_("%(name)s must be between 0 and %(max)s."),
                                      field="rates.vacant_units", name="vacant_units",
                                      max=MAX_VACANCY))
        if self.rates.births > MAX_BIRTHS and self.rates.births <= 1.0:
            found.append(InvalidInput(N_("%(name)s must be between 0 and %(max)s."),
                                      field="rates.births", name="births", max=MAX_BIRTHS))
        total = sum(getattr(self.rates, name) for name in Rates.RESIDENCE_FIELDS)
        if total > 1.0:
            found.append(InvalidInput(
                N_("The hukou-place rates add up to %(total)s %%, above 100 %%."),
                field="rates.hukou_other_township", total=round(total * 100, 1)))
        total = sum(getattr(self.rates, name) for name in Rates.EXCLUSIVE_HOUSEHOLD_FIELDS)
        if total > 1.0:
            found.append(InvalidInput(
                N_("The rates of households of Hong Kong, Macao, Taiwan residents or "
                   "foreigners and of households with no housing add up to %(total)s %%, "
                   "above 100 %%."), field="rates.hmt_foreign", total=round(total * 100, 1)))
        if found:
            return found  # the areas' fit needs sound bounds and rates
        if self.partition == "areas" and not self.areas_fit():
            found.append(InvalidInput(
                N_("A grid of %(units)s housing units cannot be split into areas of "
                   "%(low)s-%(high)s units."),
                field="area_min_units", units=self.unfit_unit_count(),
                low=self.area_min_units, high=self.area_max_units))
        return found

    def unit_range(self) -> tuple[int, int]:
        """The fewest and most residential units a grid can have (households plus vacancy)."""
        vacancy = min(self.rates.vacant_units, MAX_VACANCY)
        low = self.households_min
        high = int(self.households_max / (1 - vacancy)) + 2 + self.households_max // 20
        return low, high

    def unfit_unit_count(self) -> int | None:
        """A unit count in the grid range that no number of areas can hold, if any."""
        low, high = self.unit_range()
        for units in range(low, high + 1):
            areas = -(-units // self.area_max_units)
            if areas * self.area_min_units > units:
                return units
        return None

    def areas_fit(self) -> bool:
        """Every grid this spec can make splits into areas within the size bounds."""
        return self.unfit_unit_count() is None


def _coerce(name: str, value: Any, kind: type) -> Any:
    try:
        if kind is bool:
            return bool(value)
        if kind is int:
            if isinstance(value, int):
                return value
            text = str(value).strip()
            if len(text) > 20:
                raise ValueError
            number = float(text)
            if number != int(number):
                raise ValueError
            return int(number)
        if kind is float:
            result = float(value)
            if result != result:  # NaN
                raise ValueError
            return result
        return str(value).strip()
    except (TypeError, ValueError, OverflowError):
        raise InvalidInput(N_("%(name)s has an invalid value."), field=name, name=name) from None
