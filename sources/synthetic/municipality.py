"""Simulate a municipality month by month and write every source system's deliveries.

Deterministic for a seed. Writes file deliveries under the landing folder in the layout
of sources/landing.py, the housing allocation system as a SQLite database
(`housing/boligsystem.sqlite`), the health system's records as JSON that
`sources.synthetic.health_api` serves, `ground_truth.json` with the injected
deteriorations, and `cpr_numbers.txt` (every CPR number issued, for privacy tests).
"""

import json
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd

from sources import children_youth, employment, health, national, population
from sources.housing import COMPLAINT_CATEGORIES, LETTING_CHANNELS
from sources.landing import delivery_path
from sources.synthetic import events, writers
from sources.synthetic.dates import day_text
from sources.synthetic.layout import HOUSING_DB, health_records_path
from sources.synthetic.population import ORIGINS, Population, day_number, text_frame, to_dates
from sources.synthetic.scenario import (
    INJECTABLE,
    SCALES,
    add_months,
    build_areas,
    build_injections,
    effect,
)

# The contracts' allowed values, in their order.
CHANNELS = np.array(LETTING_CHANNELS)
COMPLAINT_KINDS = np.array(COMPLAINT_CATEGORIES)
STAY_IN_MUNICIPALITY = 0.4
RELET_PER_MONTH = 0.75
GRID_METRES = 1_500


class Housing:
    """Tenancies, vacancies, complaints and evictions of the social-housing dwellings."""

    def __init__(self, pop: Population, rng: np.random.Generator):
        self.pop, self.rng = pop, rng
        in_area = np.array([pop.areas[a].area_id is not None for a in pop.dwelling_area])
        self.in_area = in_area
        self.municipal_share = rng.uniform(0.2, 0.45, len(pop.areas))
        self.tenancy = np.full(len(in_area), -1, dtype=np.int64)
        self.start = np.zeros(len(in_area), dtype=np.int32)
        self.channel = np.zeros(len(in_area), dtype=np.int8)
        self.seq = 0
        self.closed: list[np.ndarray] = []  # rows of (tenancy, dwelling, start, end, channel)
        self.vacancies: list[pd.DataFrame] = []
        self.complaints: list[pd.DataFrame] = []
        self.evictions: list[pd.DataFrame] = []

    def let(self, dwellings: np.ndarray, days: np.ndarray) -> None:
        mine = self.in_area[dwellings]
        dwellings, days = dwellings[mine], days[mine]
        share = self.municipal_share[self.pop.dwelling_area[dwellings]]
        u = self.rng.random(len(dwellings))
        self.channel[dwellings] = np.where(u < share, 0, np.where(u < share + 0.1, 2, 1))
        self.tenancy[dwellings] = np.arange(self.seq, self.seq + len(dwellings))
        self.seq += len(dwellings)
        self.start[dwellings] = days

    def end(self, dwellings: np.ndarray, days: np.ndarray) -> None:
        mine = self.in_area[dwellings] & (self.tenancy[dwellings] >= 0)
        d = dwellings[mine]
        self.closed.append(
            np.column_stack([self.tenancy[d], d, self.start[d], days[mine], self.channel[d]])
        )
        self.tenancy[d] = -1

    def tables(
        self, address_ids: np.ndarray, clock: np.random.Generator
    ) -> dict[str, pd.DataFrame]:
        """The system's current state; `clock` draws registration times (its own generator,
        so adding them changed no other delivery)."""
        open_ = np.flatnonzero(self.tenancy >= 0)
        closed = np.concatenate([np.empty((0, 5), np.int64), *self.closed]).astype(np.int64)
        ids = np.concatenate([closed[:, 0], self.tenancy[open_]])
        dwellings = np.concatenate([closed[:, 1], open_])
        starts = np.concatenate([closed[:, 2], self.start[open_]])
        ends = np.concatenate([closed[:, 3], np.full(len(open_), -1)])
        # Contracts are signed a week to two months before moving in; notice of a move-out
        # is registered one to three months ahead, not before the move-in.
        signed = starts - clock.integers(7, 61, len(starts))
        notice = np.maximum(ends - clock.integers(30, 91, len(ends)), starts)
        evictions = pd.concat(self.evictions, ignore_index=True)
        # The bailiff's eviction reaches the system the same day or within a week.
        evicted = _day_numbers(evictions["udsaettelsesdato"])
        return {
            "lejemaal": pd.DataFrame(
                {
                    "lejemaal_id": [f"L{i:09d}" for i in ids],
                    "adresse_id": address_ids[dwellings],
                    "indflytningsdato": to_dates(starts),
                    "fraflytningsdato": np.where(
                        ends >= 0, to_dates(np.maximum(ends, 0)), np.datetime64("NaT")
                    ),
                    "udlejningskanal": CHANNELS[
                        np.concatenate([closed[:, 4], self.channel[open_]])
                    ],
                    "registreret": _office_hours(signed, clock),
                    "fraflytning_registreret": np.where(
                        ends >= 0, _office_hours(notice, clock), None
                    ),
                }
            ),
            "ledige_boliger": pd.concat(self.vacancies, ignore_index=True),
            "klagesager": pd.concat(self.complaints, ignore_index=True),
            "udsaettelser": evictions.assign(
                registreret=_office_hours(evicted + clock.integers(0, 7, len(evicted)), clock)
            ),
        }


def _day_numbers(dates: pd.Series) -> np.ndarray:
    """Dates as days since 1970-01-01, the simulation's day numbers."""
    return (dates.to_numpy(dtype="datetime64[D]") - np.datetime64("1970-01-01", "D")).astype(
        np.int64
    )


def _office_hours(days: np.ndarray, clock: np.random.Generator) -> np.ndarray:
    """Registration timestamps between 08:00 and 16:00 on the given days, as SQLite text."""
    seconds = days.astype(np.int64) * 86_400 + clock.integers(8 * 3_600, 16 * 3_600, len(days))
    day, second = np.divmod(seconds, 86_400)
    return day_text(day, "%Y-%m-%d ") + _CLOCK_TIMES[second]


_CLOCK_TIMES = np.array(
    [f"{s // 3_600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86_400)], dtype=object
)


def _addresses(pop: Population, rng: np.random.Generator) -> tuple[pd.DataFrame, list[dict]]:
    """Addresses on a grid of areas (EPSG:25832 around Aarhus) and the area polygons."""
    n_areas = len(pop.areas)
    side = int(np.ceil(np.sqrt(n_areas)))
    origin_x, origin_y = 560_000.0, 6_220_000.0
    polygons = []
    xs = np.empty(len(pop.dwelling_area))
    ys = np.empty(len(pop.dwelling_area))
    for a in range(n_areas):
        here = np.flatnonzero(pop.dwelling_area == a)
        x0 = origin_x + (a % side) * GRID_METRES
        y0 = origin_y + (a // side) * GRID_METRES
        size = GRID_METRES * (0.9 if pop.areas[a].area_id is None else 0.5)
        xs[here] = x0 + rng.uniform(0, size, len(here))
        ys[here] = y0 + rng.uniform(0, size, len(here))
        if pop.areas[a].area_id:
            ring = [[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]
            polygons.append(
                {"area_id": pop.areas[a].area_id, "name": pop.areas[a].name, "ring": ring}
            )
    # Dwellings are numbered within their area (they are stored area by area).
    within = np.arange(len(pop.dwelling_area)) - np.searchsorted(
        pop.dwelling_area, pop.dwelling_area
    )
    streets = np.array([(a.name or "Torve").split(" ")[0] + "vej" for a in pop.areas], dtype=object)
    ids = pd.Series(pop.dwelling_area + 1).astype(str).str.zfill(4).radd("A").to_numpy(
        dtype=object
    ) + pd.Series(within).astype(str).str.zfill(6).to_numpy(dtype=object)
    labels = [
        f"{streets[a]} {n // 12 + 1}, {n % 4 + 1}. {'tv' if n % 2 else 'th'}"
        for a, n in zip(pop.dwelling_area, within)
    ]
    area_ids = np.array([pop.areas[a].area_id for a in pop.dwelling_area], dtype=object)
    frame = pd.DataFrame(
        {
            "adresse_id": ids,
            "adresse": labels,
            "boligafdeling": [
                None if x is None else f"{x}-afd{int(i[-6:]) // 150 + 1}"
                for x, i in zip(area_ids, ids)
            ],
            "boligomraade_id": area_ids,
            "boliger": 1,
            "x": np.round(xs, 1),
            "y": np.round(ys, 1),
        }
    )
    return frame, polygons


def generate(landing: Path, scale: str = "demo", seed: int = 42) -> dict:
    """Write every delivery of the scale under `landing`; return a summary."""
    started = time.perf_counter()
    spec = SCALES[scale]
    rng = np.random.default_rng(seed)
    areas = build_areas(spec, rng)
    injections = build_injections(spec, areas, rng)
    pop = Population(rng, areas)
    housing = Housing(pop, rng)
    rehab = events.Rehabilitation()
    addresses, polygons = _addresses(pop, rng)
    address_ids = addresses["adresse_id"].to_numpy()
    address_file = writers.render_csv(addresses, population.ADDRESSES, "cp1252")

    first_day = day_number(spec.start)
    all_dwellings = np.arange(len(pop.dwelling_area))
    base = {
        name: np.array([getattr(a, name) for a in areas])
        for name in asdict(areas[0])
        if isinstance(getattr(areas[0], name), float)
    }
    pop.new_households(all_dwellings, first_day, lambda name: base[name])
    # People already lived there: spread their move-in dates over the past 15 years.
    people = pop.people
    people.cols["in_since"][: people.n] = first_day - rng.integers(0, 5_500, people.n)
    hh_start = np.full(pop.households.n, first_day)
    np.minimum.at(hh_start, people.household, people.in_since)
    housing.let(all_dwellings, hh_start[pop.occupant[all_dwellings]])

    counts: dict[str, int] = {}

    def deliver(contract, period, frame, encoding="utf-8"):
        path = delivery_path(landing, contract, period)
        if contract.fmt == "xlsx":
            writers.write_xlsx(path, frame, contract)
        else:
            writers.write_csv(path, frame, contract, encoding)
        counts[contract.table] = counts.get(contract.table, 0) + len(frame)

    for m in range(spec.months):
        period = add_months(spec.start, m)
        first = day_number(period)

        param = _parameters(areas, base, injections, period)
        _inject_step(pop, injections, period, first, base)
        month = events.month_context(pop, period, first, param)
        spells = _residence_spells_and_moves(pop, housing, month, param, address_ids)

        deliver(population.RESIDENTS, period, spells, "cp1252")
        path = delivery_path(landing, population.ADDRESSES, period)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(address_file)  # the register re-delivers every address each month
        counts["population__addresses"] = counts.get("population__addresses", 0) + len(addresses)
        writers.write_geojson(
            delivery_path(landing, population.AREAS, period), polygons, spec.start
        )
        deliver(employment.BENEFITS, period, events.benefits(pop, month), "utf-8-sig")
        deliver(employment.YOUTH_STATUS_MONTH, period, events.youth_status(pop, month), "utf-8-sig")
        deliver(children_youth.SCHOOL_ABSENCE, period, events.school_absence(pop, month))
        deliver(children_youth.NOTIFICATIONS, period, events.notifications(pop, month))
        deliver(children_youth.SSP_CONCERNS, period, events.ssp_concerns(pop, month))
        deliver(children_youth.DAYCARE, period, events.daycare(pop, month))
        if period.month == 6:
            deliver(children_youth.GRADE9_EXAMS, period, events.grade9_exams(pop, month))
        if period.month == 1:
            deliver(national.AREA_STATISTICS, period, events.national_statistics(pop, month))
        for contract, frame in (
            (health.HOME_VISITS, events.home_visits(pop, month)),
            (health.SMOKING_CESSATION, events.smoking_cessation(pop, month)),
            (health.REHABILITATION, rehab.month(pop, month)),
        ):
            writers.write_json(
                health_records_path(landing, contract.source, f"{period:%Y-%m}"), frame
            )
            counts[contract.table] = counts.get(contract.table, 0) + len(frame)

    tables = housing.tables(address_ids, np.random.default_rng([seed, 1]))
    writers.write_housing_db(landing / HOUSING_DB, tables)
    for name, frame in tables.items():
        counts[f"housing.{name}"] = len(frame)

    last = add_months(spec.start, spec.months - 1)
    truth = {
        "scale": scale,
        "seed": seed,
        "first_period": spec.start.isoformat(),
        "last_period": last.isoformat(),
        "injections": [
            {
                "area_id": i.area_id,
                "indicator_id": i.indicator_id,
                "start_period": i.start.isoformat(),
                "shape": i.shape,
                "relative_risk": i.relative_risk,
                "ramp_months": i.ramp_months,
            }
            for i in injections
        ],
    }
    (landing / "ground_truth.json").write_text(json.dumps(truth, indent=2, ensure_ascii=False))
    (landing / "cpr_numbers.txt").write_text("\n".join(sorted(pop.used_cpr)) + "\n")
    return {
        **truth,
        "rows": counts,
        "residents_last_month": int(len(month.residents)),
        "areas": len(areas) - 1,
        "seconds": round(time.perf_counter() - started, 1),
    }


def _parameters(areas, base, injections, period):
    """param(name) -> per-area values of an area parameter this month, injections applied."""
    indicator_of = {parameter: indicator for indicator, parameter in INJECTABLE.items()}
    cache: dict[str, np.ndarray] = {}

    def param(name: str) -> np.ndarray:
        if name not in cache:
            indicator = indicator_of.get(name)
            factors = [effect(injections, a.area_id, indicator, period) for a in areas]
            cache[name] = base[name] * np.array(factors) if indicator else base[name]
        return cache[name]

    return param


def _inject_step(pop, injections, period, first, base) -> None:
    """A step in 'outside work or education' happens at once: people lose their jobs."""
    for inj in injections:
        if inj.start != period or inj.shape != "step" or inj.indicator_id != "emp_outside_work_edu":
            continue
        index = next(i for i, a in enumerate(pop.areas) if a.area_id == inj.area_id)
        before = base["outside_rate"][index]
        flip = (min(before * inj.relative_risk, 0.95) - before) / (1 - before)
        residents = pop.residents()
        here = pop.dwelling_area[pop.dwelling_of(residents)] == index
        age = pop.ages(residents, first)
        who = residents[here & (age >= 18) & (age <= 64) & (pop.people.benefit[residents] == 0)]
        hit = who[pop.rng.random(len(who)) < flip]
        pop.people.cols["benefit"][hit] = 1
        pop.people.cols["benefit_start"][hit] = first + pop.rng.integers(0, 5, len(hit))
        pop.people.cols["extent"][hit] = 1.0


def _residence_spells_and_moves(pop, housing, month, param, address_ids) -> pd.DataFrame:
    """The month's residence spells; households move out, stay or leave, dwellings are re-let."""
    rng, people, households = pop.rng, pop.people, pop.households
    residents = month.residents
    spell_person = [residents]
    spell_dwelling = [pop.dwelling_of(residents)]
    spell_in = [people.in_since[residents]]
    spell_out = [np.full(len(residents), -1)]

    occupied = np.flatnonzero(households.dwelling >= 0)
    dwelling = households.dwelling[occupied]
    rate = param("move_rate")[pop.dwelling_area[dwelling]]
    movers = occupied[rng.random(len(occupied)) < rate]
    move_day = month.day_in_month(rng, len(movers))
    vacated = households.dwelling[movers]
    housing.end(vacated, move_day)
    vacate_day = np.full(len(pop.dwelling_area), -1)
    vacate_day[vacated] = move_day
    # Evictions are a few of the move-outs from social housing, more where hardship is.
    hardship = param("outside_rate")[pop.dwelling_area[vacated]] / 0.25
    evicted = housing.in_area[vacated] & (rng.random(len(vacated)) < 0.02 * hardship)
    housing.evictions.append(
        pd.DataFrame(
            {
                "sag_id": [f"E{month.period:%Y%m}-{i:05d}" for i in range(evicted.sum())],
                "adresse_id": address_ids[vacated[evicted]],
                "udsaettelsesdato": to_dates(move_day[evicted]),
            }
        )
    )
    # Who moved ends the spell at the old address on the move day.
    household_day = np.full(households.n, -1, dtype=np.int64)
    household_day[movers] = move_day
    spell_out[0] = household_day[people.household[residents]]
    pop.occupant[vacated] = -1
    households.cols["dwelling"][movers] = -1
    # Dwellings free this month: just vacated, or empty since earlier.
    pool = np.flatnonzero(pop.occupant < 0)
    rng.shuffle(pool)
    stay = movers[(rng.random(len(movers)) < STAY_IN_MUNICIPALITY) & ~evicted]
    take = pool[: len(stay)]
    stay_day = np.maximum(household_day[stay], vacate_day[take])
    households.cols["dwelling"][stay] = take
    pop.occupant[take] = stay
    housing.let(take, stay_day)
    relet_pool = pool[len(stay) :]
    relet = relet_pool[rng.random(len(relet_pool)) < RELET_PER_MONTH]
    arrival_day = np.maximum(month.day_in_month(rng, len(relet)), vacate_day[relet])
    before = people.n
    for day in np.unique(arrival_day):
        pop.new_households(relet[arrival_day == day], int(day), param)
    housing.let(relet, arrival_day)
    newly_vacant = relet_pool[~np.isin(relet_pool, relet)]
    pop.vacant_since[newly_vacant] = np.where(
        pop.vacant_since[newly_vacant] >= 0,
        pop.vacant_since[newly_vacant],
        np.maximum(vacate_day[newly_vacant], month.first),
    )
    # New spells: movers who stayed in the municipality, and arrivals.
    stayed_people = np.flatnonzero(np.isin(people.household, stay))
    household_day[stay] = stay_day
    people.cols["in_since"][stayed_people] = household_day[people.household[stayed_people]]
    arrivals = np.arange(before, people.n)
    for group in (stayed_people, arrivals):
        spell_person.append(group)
        spell_dwelling.append(pop.dwelling_of(group))
        spell_in.append(people.in_since[group])
        spell_out.append(np.full(len(group), -1))
    # Vacancies on the first of next month, complaints during this one.
    area_dwellings = np.flatnonzero(housing.in_area)
    vacant = area_dwellings[pop.occupant[area_dwellings] < 0]
    next_first = month.first + month.days
    housing.vacancies.append(
        pd.DataFrame(
            {
                "maaned": np.full(len(vacant), np.datetime64("1970-01-01", "D") + next_first),
                "adresse_id": address_ids[vacant],
                "ledig_siden": to_dates(pop.vacant_since[vacant].clip(min=0)),
            }
        )
    )
    lived = area_dwellings[pop.occupant[area_dwellings] >= 0]
    cases = rng.poisson(param("complaint_rate")[pop.dwelling_area[lived]] / 12)
    where = np.repeat(lived, cases)
    housing.complaints.append(
        pd.DataFrame(
            {
                "sag_id": [f"K{month.period:%Y%m}-{i:06d}" for i in range(len(where))],
                "adresse_id": address_ids[where],
                "oprettet": to_dates(month.day_in_month(rng, len(where))),
                "kategori": rng.choice(COMPLAINT_KINDS, len(where)),
            }
        )
    )

    person = np.concatenate(spell_person)
    out = np.concatenate(spell_out)
    return text_frame(
        {
            "cpr": people.cpr[person],
            "foedselsdato": to_dates(people.birth[person]),
            "koen": np.where(people.sex[person] == 0, "M", "K"),
            "oprindelse": ORIGINS[people.origin[person]],
            "adresse_id": address_ids[np.concatenate(spell_dwelling)],
            "tilflytningsdato": to_dates(np.concatenate(spell_in)),
            "fraflytningsdato": np.where(
                out >= 0, to_dates(np.maximum(out, 0)), np.datetime64("NaT")
            ),
        }
    )
