"""Scales, housing areas and injected deteriorations of the synthetic municipality."""

import datetime as dt
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Scale:
    name: str
    areas: int
    residents: int  # approximate, all of the municipality
    months: int
    start: dt.date


SCALES = {
    "demo": Scale("demo", 6, 5_000, 24, dt.date(2024, 1, 1)),
    "small": Scale("small", 20, 50_000, 60, dt.date(2021, 1, 1)),
    "city": Scale("city", 200, 650_000, 60, dt.date(2021, 1, 1)),
    "national": Scale("national", 1_000, 6_000_000, 24, dt.date(2024, 1, 1)),
}


@dataclass(frozen=True)
class Area:
    """A housing area (or, with area_id None, the dwellings outside every area)."""

    area_id: str | None
    name: str | None
    dwellings: int
    outside_rate: float  # share of 18-64 outside work or education, in equilibrium
    non_western: float
    absence_rate: float  # school absence days per school day
    visit_acceptance: float  # preventive home visits 75+
    neet_rate: float  # 16-24
    daycare_rate: float  # 1-5
    complaint_rate: float  # complaint cases per dwelling and year
    basic_education: float  # 30-59 with only basic schooling
    conviction_rate: float  # 18+ convicted per year
    income_ratio: float  # mean gross income relative to the region
    move_rate: float  # households moving out per month


@dataclass(frozen=True)
class Injection:
    area_id: str
    indicator_id: str
    start: dt.date
    shape: str  # step or ramp
    relative_risk: float
    ramp_months: int = 0


# Which area parameter an injected deterioration of an indicator changes.
INJECTABLE = {
    "emp_outside_work_edu": "outside_rate",
    "cy_school_absence": "absence_rate",
    "hou_complaints": "complaint_rate",
    "hea_home_visit_uptake": "visit_acceptance",
    "emp_neet_youth": "neet_rate",
}

DEMO_AREAS = (
    ("BO01", "Bakkegården", 300, 0.22, 0.35),
    ("BO02", "Søndermarken", 250, 0.28, 0.45),
    ("BO03", "Æblehaven", 380, 0.18, 0.25),
    ("BO04", "Rønnebærparken", 280, 0.26, 0.55),
    ("BO05", "Østervang", 200, 0.25, 0.40),
    ("BO06", "Kildeparken", 320, 0.20, 0.30),
)
PREFIXES = (
    "Bakke",
    "Sønder",
    "Æble",
    "Rønnebær",
    "Øster",
    "Kilde",
    "Vester",
    "Nørre",
    "Skov",
    "Mølle",
    "Lærke",
    "Hyld",
    "Ege",
    "Birke",
    "Strand",
    "Høj",
    "Eng",
    "Sø",
    "Granly",
    "Tofte",
)
SUFFIXES = ("gården", "parken", "haven", "vang", "bakken", "lunden", "toften", "høj")


def add_months(day: dt.date, n: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def _area(rng, area_id, name, dwellings, outside, non_western) -> Area:
    hardship = outside / 0.25  # areas with more people outside work fare worse elsewhere too
    return Area(
        area_id,
        name,
        dwellings,
        outside,
        non_western,
        absence_rate=0.05 * (0.8 + 0.2 * hardship) * rng.uniform(0.9, 1.1),
        visit_acceptance=min(0.9, 0.75 / (0.85 + 0.15 * hardship)),
        neet_rate=0.07 * hardship * rng.uniform(0.8, 1.2),
        daycare_rate=min(0.97, 0.95 - 0.08 * (hardship - 1)),
        complaint_rate=0.03 * hardship * rng.uniform(0.7, 1.3),
        basic_education=min(0.8, 0.25 + 0.25 * hardship * rng.uniform(0.8, 1.2)),
        conviction_rate=0.012 * hardship * rng.uniform(0.6, 1.4),
        income_ratio=max(0.35, 0.95 - 0.3 * hardship * rng.uniform(0.8, 1.2)),
        move_rate=0.011 * rng.uniform(0.8, 1.25),
    )


def build_areas(scale: Scale, rng: np.random.Generator) -> list[Area]:
    """Housing areas of the scale plus the 'outside' member (area_id None)."""
    if scale.name == "demo":
        areas = [_area(rng, i, n, d, o, nw) for i, n, d, o, nw in DEMO_AREAS]
        outside_dwellings = 900
    else:
        # Social-housing areas hold about 45 % of the residents; 2.1 persons per dwelling.
        per_area = scale.residents * 0.45 / scale.areas / 2.1
        areas = []
        for i in range(scale.areas):
            name = f"{PREFIXES[i % len(PREFIXES)]}{SUFFIXES[(i // len(PREFIXES)) % len(SUFFIXES)]}"
            if i >= len(PREFIXES) * len(SUFFIXES):
                name += f" {i // (len(PREFIXES) * len(SUFFIXES)) + 1}"
            outside = float(np.clip(rng.gamma(6, 0.04), 0.08, 0.5))
            non_western = float(np.clip(rng.beta(2, 3) * 1.1, 0.05, 0.8))
            dwellings = int(per_area * rng.uniform(0.5, 1.5))
            areas.append(_area(rng, f"BO{i + 1:04d}", name, dwellings, outside, non_western))
        outside_dwellings = int(scale.residents * 0.55 / 2.1)
    areas.append(_area(rng, None, None, outside_dwellings, 0.10, 0.08))
    return areas


def build_injections(scale: Scale, areas: list[Area], rng: np.random.Generator) -> list[Injection]:
    if scale.name == "demo":
        return [Injection("BO04", "emp_outside_work_edu", dt.date(2025, 9, 1), "step", 1.5)]
    housing_areas = [a for a in areas if a.area_id]
    count = max(2, len(housing_areas) // 10)
    chosen = rng.choice(len(housing_areas), size=count, replace=False)
    indicators = list(INJECTABLE)
    injections = []
    for n, index in enumerate(chosen):
        indicator = indicators[n % len(indicators)]
        start = add_months(scale.start, int(rng.integers(scale.months * 2 // 3, scale.months - 3)))
        shape = "step" if n % 2 == 0 else "ramp"
        rr = 0.7 if indicator == "hea_home_visit_uptake" else 1.5
        injections.append(
            Injection(
                housing_areas[index].area_id,
                indicator,
                start,
                shape,
                rr,
                ramp_months=6 if shape == "ramp" else 0,
            )
        )
    return injections


def effect(
    injections: list[Injection], area_id: str | None, indicator: str, period: dt.date
) -> float:
    """Multiplier an injection applies to an area's parameter in a month (1 = none)."""
    factor = 1.0
    for inj in injections:
        if inj.area_id != area_id or inj.indicator_id != indicator or period < inj.start:
            continue
        months_in = (period.year - inj.start.year) * 12 + period.month - inj.start.month
        if inj.shape == "ramp" and months_in < inj.ramp_months:
            factor *= 1 + (inj.relative_risk - 1) * (months_in + 1) / inj.ramp_months
        else:
            factor *= inj.relative_risk
    return factor
