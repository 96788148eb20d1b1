"""Simulate a small municipality month by month and write its source deliveries.

Deterministic for a seed. Households live in dwellings; dwellings belong to housing
areas (or to no area); households move, leave and arrive; adults move in and out of
benefits; pupils are absent with seasonality; residents 75+ are offered a preventive
home visit in their birth month. One deterioration is injected and written to
`ground_truth.json` so detection can be checked against it.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sources import children_youth, employment, health, housing, population
from sources.contracts import Contract
from sources.landing import delivery_path
from sources.synthetic.danish_writer import write_csv

OUTSIDE_BENEFITS = ("kontanthjælp", "dagpenge", "førtidspension", "uddannelseshjælp")
OUTSIDE_WEIGHTS = (0.5, 0.2, 0.2, 0.1)
EXIT_RATE = 0.04  # monthly probability of leaving "outside work or education"
MOVE_RATE = 0.011  # monthly probability a household moves out of its dwelling
STAY_IN_MUNICIPALITY = 0.4
# School days per calendar month of a Danish school year (holidays removed).
SCHOOL_DAYS = {1: 20, 2: 15, 3: 21, 4: 17, 5: 18, 6: 18, 7: 0, 8: 15, 9: 21, 10: 17, 11: 21, 12: 15}
ABSENCE_SEASON = {
    1: 1.2,
    2: 1.3,
    3: 1.1,
    4: 1.0,
    5: 0.9,
    6: 0.9,
    8: 0.8,
    9: 0.9,
    10: 1.0,
    11: 1.1,
    12: 1.15,
}


@dataclass(frozen=True)
class Area:
    area_id: str | None  # None: addresses outside the housing areas
    name: str | None
    dwellings: int
    outside_rate: float  # stationary share of 18-64 outside work or education
    non_western: float
    absence_rate: float
    visit_acceptance: float


@dataclass(frozen=True)
class Injection:
    area_id: str
    indicator_id: str
    start: dt.date
    shape: str
    relative_risk: float


@dataclass(frozen=True)
class Scenario:
    start: dt.date
    months: int
    areas: tuple[Area, ...]
    injections: tuple[Injection, ...]


DEMO = Scenario(
    start=dt.date(2024, 1, 1),
    months=24,
    areas=(
        Area("BO01", "Bakkegården", 300, 0.22, 0.35, 0.055, 0.70),
        Area("BO02", "Søndermarken", 250, 0.28, 0.45, 0.065, 0.65),
        Area("BO03", "Æblehaven", 380, 0.18, 0.25, 0.050, 0.75),
        Area("BO04", "Rønnebærparken", 280, 0.26, 0.55, 0.070, 0.60),
        Area("BO05", "Østervang", 200, 0.25, 0.40, 0.060, 0.70),
        Area("BO06", "Kildeparken", 320, 0.20, 0.30, 0.055, 0.72),
        Area(None, None, 900, 0.10, 0.08, 0.045, 0.80),
    ),
    injections=(Injection("BO04", "emp_outside_work_edu", dt.date(2025, 9, 1), "step", 1.5),),
)


def add_months(day: dt.date, n: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


@dataclass
class Person:
    cpr: str
    birth: dt.date
    sex: str
    origin: str
    benefit: str | None = None  # an outside-work benefit, or None


@dataclass
class World:
    rng: np.random.Generator
    scenario: Scenario
    addresses: list[tuple[str, str, Area, str | None]] = field(default_factory=list)
    households: dict[str, list[Person]] = field(default_factory=dict)  # address_id -> members
    tenancy_seq: dict[str, int] = field(default_factory=dict)
    used_cpr: set[str] = field(default_factory=set)
    outside_rate: dict[str | None, float] = field(default_factory=dict)

    def age(self, person: Person, on: dt.date) -> int:
        b = person.birth
        return on.year - b.year - ((on.month, on.day) < (b.month, b.day))

    def new_cpr(self, birth: dt.date) -> str:
        # 7th digit: 0-3 for births 1900-1999, 4 for 2000-2036 (CPR century rules).
        first = int(self.rng.integers(0, 4)) if birth.year < 2000 else 4
        while True:
            serial = f"{first}{int(self.rng.integers(0, 1000)):03d}"
            cpr = f"{birth:%d%m%y}-{serial}"
            if cpr not in self.used_cpr:
                self.used_cpr.add(cpr)
                return cpr

    def new_person(self, age: int, area: Area, on: dt.date, origin: str | None = None) -> Person:
        birth = on - dt.timedelta(days=int(age * 365.25 + self.rng.integers(0, 365)))
        if origin is None:
            u = self.rng.random()
            origin = (
                "ikke-vestlig"
                if u < area.non_western
                else "vestlig"
                if u < area.non_western + 0.08
                else "dansk"
            )
        person = Person(self.new_cpr(birth), birth, str(self.rng.choice(["M", "K"])), origin)
        if 18 <= age <= 64 and self.rng.random() < self.outside_rate[area.area_id]:
            person.benefit = str(self.rng.choice(OUTSIDE_BENEFITS, p=OUTSIDE_WEIGHTS))
        return person

    def new_household(self, area: Area, on: dt.date) -> list[Person]:
        u = self.rng.random()
        origin = None
        if u < 0.12:  # elderly single or couple
            n_adults, children, ages = int(self.rng.integers(1, 3)), 0, (67, 95)
        elif u < 0.50:
            n_adults, children, ages = 1, 0, (18, 66)
        elif u < 0.72:
            n_adults, children, ages = 2, 0, (20, 70)
        else:
            n_adults, children, ages = (
                int(self.rng.integers(1, 3)),
                int(self.rng.integers(1, 4)),
                (24, 50),
            )
        members = []
        for _ in range(n_adults):
            members.append(self.new_person(int(self.rng.integers(*ages)), area, on, origin))
            origin = members[0].origin
        for _ in range(children):
            members.append(self.new_person(int(self.rng.integers(0, 18)), area, on, origin))
        return members


def _build_world(scenario: Scenario, seed: int) -> World:
    world = World(np.random.default_rng(seed), scenario)
    world.outside_rate = {a.area_id: a.outside_rate for a in scenario.areas}
    streets = ["Bakkevej", "Søndergade", "Æblevej", "Rønnebærvej", "Østervej", "Kildevej", "Torvet"]
    for i, area in enumerate(scenario.areas):
        department = f"afd. {i + 1:02d}" if area.area_id else None
        for n in range(area.dwellings):
            address_id = f"A{i + 1}{n + 1:05d}"
            street = streets[i % len(streets)]
            label = f"{street} {n // 12 + 1}, {n % 4 + 1}. {'tv' if n % 2 else 'th'}"
            world.addresses.append((address_id, label, area, department))
            world.households[address_id] = world.new_household(area, scenario.start)
            world.tenancy_seq[address_id] = 1
    return world


def _area_of(world: World) -> dict[str, Area]:
    return {address_id: area for address_id, _, area, _ in world.addresses}


def _inject(world: World, period: dt.date, area_of: dict[str, Area]) -> None:
    for inj in world.scenario.injections:
        if inj.start != period or inj.indicator_id != "emp_outside_work_edu":
            continue
        base = world.outside_rate[inj.area_id]
        target = min(base * inj.relative_risk, 0.95)
        # A step: enough people lose work at once to lift the share to the target level,
        # and the area's equilibrium moves there too.
        flip = (target - base) / (1 - base)
        for address_id, members in world.households.items():
            if area_of[address_id].area_id != inj.area_id:
                continue
            for p in members:
                if (
                    18 <= world.age(p, period) <= 64
                    and p.benefit is None
                    and world.rng.random() < flip
                ):
                    p.benefit = "kontanthjælp"
        world.outside_rate[inj.area_id] = target


def _employment_rows(world: World, period: dt.date, area_of: dict[str, Area]) -> list[tuple]:
    rows = []
    for address_id, members in world.households.items():
        rate = world.outside_rate[area_of[address_id].area_id]
        entry = EXIT_RATE * rate / (1 - rate)  # keeps the share at `rate` in equilibrium
        for p in members:
            age = world.age(p, period)
            if not 18 <= age <= 64:
                p.benefit = None
                continue
            if p.benefit and world.rng.random() < EXIT_RATE:
                p.benefit = None
            elif not p.benefit and world.rng.random() < entry:
                p.benefit = str(world.rng.choice(OUTSIDE_BENEFITS, p=OUTSIDE_WEIGHTS))
            if p.benefit:
                fte = 1.0 if world.rng.random() < 0.9 else 0.5
                rows.append((p.cpr, p.benefit, fte))
            elif age <= 29 and world.rng.random() < 0.2:
                rows.append((p.cpr, "su", 1.0))
            elif world.rng.random() < 0.03:
                rows.append((p.cpr, "sygedagpenge", 0.5))
    return rows


def _school_rows(world: World, period: dt.date, area_of: dict[str, Area]) -> list[tuple]:
    days = SCHOOL_DAYS[period.month]
    if days == 0:
        return []
    rows = []
    for address_id, members in world.households.items():
        p_absent = area_of[address_id].absence_rate * ABSENCE_SEASON[period.month]
        for p in members:
            age = world.age(p, period)
            if 6 <= age <= 15:
                absent = int(world.rng.binomial(days, p_absent))
                unlawful = int(world.rng.binomial(absent, 0.15))
                permitted = int(world.rng.binomial(absent - unlawful, 0.3))
                sick = absent - unlawful - permitted
                rows.append((p.cpr, age - 6, days, float(sick), float(permitted), float(unlawful)))
    return rows


def _home_visit_rows(world: World, period: dt.date, area_of: dict[str, Area]) -> list[tuple]:
    rows = []
    for address_id, members in world.households.items():
        acceptance = area_of[address_id].visit_acceptance
        for p in members:
            if world.age(p, period) >= 75 and p.birth.month == period.month:
                offered = period + dt.timedelta(days=int(world.rng.integers(0, 28)))
                rows.append((p.cpr, offered, bool(world.rng.random() < acceptance)))
    return rows


def _move(world: World, period: dt.date, area_of: dict[str, Area]) -> list[tuple]:
    """Households move out during the month; return the housing move-out rows."""
    movers = [a for a in world.households if world.rng.random() < MOVE_RATE]
    rows = []
    leaving = {a: world.households[a] for a in movers}
    for address_id in movers:
        day = period + dt.timedelta(days=int(world.rng.integers(0, 28)))
        rows.append((f"L{address_id}-{world.tenancy_seq[address_id]}", address_id, day))
        world.tenancy_seq[address_id] += 1
    # Some movers stay in the municipality and take another vacated dwelling;
    # the remaining dwellings are let to households arriving from elsewhere.
    vacant = list(movers)
    world.rng.shuffle(vacant)
    staying = [h for h in leaving.values() if world.rng.random() < STAY_IN_MUNICIPALITY]
    next_month = add_months(period, 1)
    for address_id in vacant:
        area = area_of[address_id]
        world.households[address_id] = (
            staying.pop() if staying else world.new_household(area, next_month)
        )
    return rows


def _write(
    landing: Path, contract: Contract, period: dt.date, rows: list[tuple], encoding: str
) -> None:
    header = [c.header for c in contract.columns]
    write_csv(delivery_path(landing, contract, period), header, rows, encoding)


def generate(landing: Path, seed: int = 42, scenario: Scenario = DEMO) -> dict:
    """Write every monthly delivery of the scenario under `landing`; return a summary."""
    world = _build_world(scenario, seed)
    area_of = _area_of(world)
    counts: dict[str, int] = {}
    for m in range(scenario.months):
        period = add_months(scenario.start, m)
        _inject(world, period, area_of)
        residents = [
            (p.cpr, p.birth, p.sex, p.origin, address_id)
            for address_id, members in world.households.items()
            for p in members
        ]
        addresses = [
            (address_id, label, department, area.area_id, area.name)
            for address_id, label, area, department in world.addresses
        ]
        deliveries = [
            # The population register exports cp1252, the job centre UTF-8 with BOM.
            (population.RESIDENTS, residents, "cp1252"),
            (population.ADDRESSES, addresses, "cp1252"),
            (employment.BENEFITS, _employment_rows(world, period, area_of), "utf-8-sig"),
            (children_youth.SCHOOL_ABSENCE, _school_rows(world, period, area_of), "utf-8"),
            (health.HOME_VISITS, _home_visit_rows(world, period, area_of), "utf-8"),
            (housing.MOVE_OUTS, _move(world, period, area_of), "utf-8"),
        ]
        for contract, rows, encoding in deliveries:
            _write(landing, contract, period, rows, encoding)
            counts[contract.table] = counts.get(contract.table, 0) + len(rows)
    truth = {
        "seed": seed,
        "first_period": scenario.start.isoformat(),
        "last_period": add_months(scenario.start, scenario.months - 1).isoformat(),
        "injections": [
            {
                "area_id": i.area_id,
                "indicator_id": i.indicator_id,
                "start_period": i.start.isoformat(),
                "shape": i.shape,
                "relative_risk": i.relative_risk,
            }
            for i in scenario.injections
        ],
    }
    (landing / "ground_truth.json").write_text(json.dumps(truth, indent=2, ensure_ascii=False))
    (landing / "cpr_numbers.txt").write_text("\n".join(sorted(world.used_cpr)) + "\n")
    return {"rows": counts, "residents_last_month": len(residents), **truth}
