"""The people of the synthetic municipality: households in dwellings, moving month by month.

State lives in numpy arrays (one entry per person, household or dwelling) so the city
and national scales simulate in minutes.
"""

import datetime as dt

import numpy as np
import pandas as pd

from sources.synthetic.dates import day_text
from sources.synthetic.scenario import Area

EPOCH = dt.date(1970, 1, 1)
ORIGINS = np.array(
    [
        "dansk",
        "vestlig_indvandrer",
        "vestlig_efterkommer",
        "ikke_vestlig_indvandrer",
        "ikke_vestlig_efterkommer",
    ]
)
NON_WESTERN = (3, 4)
Y2K = dt.date(2000, 1, 1)  # the CPR number's 7th digit depends on the birth century


def day_number(day: dt.date) -> int:
    return (day - EPOCH).days


def to_dates(days: np.ndarray) -> np.ndarray:
    return np.datetime64("1970-01-01", "D") + days.astype("timedelta64[D]")


def text_frame(columns: dict) -> pd.DataFrame:
    """A DataFrame whose text columns stay Python str objects: pandas' conversion to its
    Arrow-backed str dtype (and the writer's conversion back) cost more than writing them."""
    return pd.DataFrame(
        {
            name: pd.Series(np.asarray(v, dtype=object), dtype=object)
            if np.asarray(v).dtype.kind in "OU"
            else v
            for name, v in columns.items()
        }
    )


class Growable:
    """Column arrays that grow as people or households are added."""

    def __init__(self, columns: dict[str, np.dtype], fill: dict[str, object]):
        self.n = 0
        self._fill = fill
        self.cols = {
            name: np.full(1024, fill.get(name, 0), dtype=dtype) for name, dtype in columns.items()
        }

    def __getattr__(self, name: str) -> np.ndarray:
        cols = self.__dict__.get("cols", {})
        if name in cols:
            return cols[name][: self.n]
        raise AttributeError(name)

    def add(self, k: int, **values) -> np.ndarray:
        if self.n + k > len(next(iter(self.cols.values()))):
            size = max(2 * (self.n + k), 1024)
            for name, arr in self.cols.items():
                grown = np.full(size, self._fill.get(name, 0), dtype=arr.dtype)
                grown[: self.n] = arr[: self.n]
                self.cols[name] = grown
        index = np.arange(self.n, self.n + k)
        for name, value in values.items():
            self.cols[name][index] = value
        self.n += k
        return index


class Population:
    def __init__(self, rng: np.random.Generator, areas: list[Area]):
        self.rng = rng
        self.areas = areas
        self.people = Growable(
            {
                "birth": np.int32,
                "sex": np.int8,
                "origin": np.int8,
                "household": np.int32,
                "in_since": np.int32,
                "benefit": np.int8,
                "benefit_start": np.int32,
                "extent": np.float32,
                "youth": np.int8,
                "daycare_start": np.int32,
                "frailty": np.float32,
                "flexjob": np.bool_,
                "cpr": object,
            },
            fill={"daycare_start": -1, "cpr": ""},
        )
        self.households = Growable({"dwelling": np.int32}, fill={"dwelling": -1})
        self.used_cpr: set[str] = set()
        # Dwellings: one address each; area index into self.areas.
        sizes = [a.dwellings for a in areas]
        self.dwelling_area = np.repeat(np.arange(len(areas)), sizes).astype(np.int16)
        self.occupant = np.full(len(self.dwelling_area), -1, dtype=np.int32)
        self.vacant_since = np.full(len(self.dwelling_area), -1, dtype=np.int32)

    # -- people -------------------------------------------------------------------
    def _cprs(self, birth_days: np.ndarray) -> np.ndarray:
        """Unique, valid CPR numbers for the birth dates (7th digit by century)."""
        prefix = day_text(birth_days, "%d%m%y")
        first = np.where(birth_days < day_number(Y2K), self.rng.integers(0, 4, len(prefix)), 4)
        out = np.empty(len(prefix), dtype=object)
        todo = np.arange(len(prefix))
        while len(todo):
            serial = first[todo] * 1000 + self.rng.integers(0, 1000, len(todo))
            candidates = prefix[todo] + "-" + pd.Series(serial).astype(str).str.zfill(4).to_numpy()
            clash = np.array([c in self.used_cpr for c in candidates], dtype=bool)
            clash |= pd.Series(candidates).duplicated().to_numpy()
            out[todo[~clash]] = candidates[~clash]
            self.used_cpr.update(candidates[~clash])
            todo = todo[clash]
        return out

    def new_households(self, dwellings: np.ndarray, on: int, area_param) -> None:
        """Let each dwelling to a newly arriving household; persons move in on day `on`."""
        k = len(dwellings)
        if k == 0:
            return
        rng = self.rng
        hh = self.households.add(k, dwelling=dwellings)
        self.occupant[dwellings] = hh
        self.vacant_since[dwellings] = -1
        kind = rng.choice(4, size=k, p=[0.12, 0.38, 0.22, 0.28])  # elderly, single, couple, family
        adults = np.where(kind == 1, 1, np.where(kind == 2, 2, rng.integers(1, 3, size=k)))
        children = np.where(kind == 3, rng.integers(1, 4, size=k), 0)
        lo = np.select([kind == 0, kind == 3], [67, 24], default=18)
        hi = np.select([kind == 0, kind == 1, kind == 2], [96, 67, 71], default=51)
        area = self.dwelling_area[dwellings]
        non_western = area_param("non_western")[area]
        u = rng.random(k)
        origin = np.select(
            [
                u < non_western * 0.6,
                u < non_western,
                u < non_western + 0.06,
                u < non_western + 0.08,
            ],
            [3, 4, 1, 2],
            default=0,
        )
        members = adults + children
        owner = np.repeat(np.arange(k), members)
        # A household's adults come first, then its children.
        is_child = np.arange(len(owner)) - (np.cumsum(members) - members)[owner] >= adults[owner]
        ages = np.where(
            is_child,
            rng.integers(0, 18, size=len(owner)),
            rng.integers(lo[owner], hi[owner]),
        )
        birth = on - (ages * 365.25).astype(np.int32) - rng.integers(0, 365, size=len(owner))
        index = self.people.add(
            len(owner),
            birth=birth,
            sex=rng.integers(0, 2, size=len(owner)),
            origin=origin[owner],
            household=hh[owner],
            in_since=on,
            frailty=rng.gamma(2.0, 0.5, size=len(owner)),
            flexjob=(ages >= 30) & (ages <= 64) & (rng.random(len(owner)) < 0.02),
        )
        self.people.cols["cpr"][index] = self._cprs(birth)
        outside = (
            (ages >= 18)
            & (ages <= 64)
            & (rng.random(len(owner)) < area_param("outside_rate")[area[owner]])
        )
        self.people.cols["benefit"][index[outside]] = 1
        self.people.cols["benefit_start"][index[outside]] = on - rng.integers(0, 700, outside.sum())
        self.people.cols["extent"][index[outside]] = np.where(
            rng.random(outside.sum()) < 0.9, 1, 0.5
        )
        young = (ages >= 16) & (ages <= 24)
        neet = rng.random(len(owner)) < area_param("neet_rate")[area[owner]]
        self.people.cols["youth"][index[young]] = np.where(
            neet[young],
            rng.choice([2, 3], size=young.sum(), p=[0.6, 0.4]),
            np.where(ages[young] < 20, 0, rng.choice([0, 1], size=young.sum())),
        )

    def residents(self) -> np.ndarray:
        """Indices of people living in a dwelling now."""
        return np.flatnonzero(self.households.dwelling[self.people.household] >= 0)

    def ages(self, people: np.ndarray, on: int) -> np.ndarray:
        return ((on - self.people.birth[people]) / 365.25).astype(np.int32)

    def dwelling_of(self, people: np.ndarray) -> np.ndarray:
        return self.households.dwelling[self.people.household[people]]
