"""What the department systems record about the residents in one month.

Each function returns the month's rows for one source entity as a DataFrame whose
columns are the contract's headers, with typed values (dates as numpy datetime64).
"""

import datetime as dt
from calendar import monthrange
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sources.synthetic.population import NON_WESTERN, Population, text_frame, to_dates

OUTSIDE_BENEFITS = np.array(["kontanthjælp", "dagpenge", "førtidspension", "uddannelseshjælp"])
OUTSIDE_WEIGHTS = [0.5, 0.2, 0.2, 0.1]
EXIT_RATE = 0.04  # monthly probability of leaving a spell outside work or education
# About 2 % of pupils (frailty is gamma(2, 0.5)) play truant, each school day with this
# chance on top of their other absence.
TRUANT_FRAILTY = 2.9
TRUANT_SKIPS = 0.2
SCHOOL_DAYS = {1: 20, 2: 15, 3: 21, 4: 17, 5: 18, 6: 18, 7: 0, 8: 15, 9: 21, 10: 17, 11: 21, 12: 15}
ABSENCE_SEASON = {
    1: 1.2,
    2: 1.3,
    3: 1.1,
    4: 1.0,
    5: 0.9,
    6: 0.9,
    7: 0.0,
    8: 0.8,
    9: 0.9,
    10: 1.0,
    11: 1.1,
    12: 1.15,
}
# The contract's values (sources.employment.YOUTH_STATUS) in the order of the states
# simulated here: NEET from index 2 on.
YOUTH_STATUS = np.array(["uddannelse", "beskæftiget", "ledig", "uden_for"])
NATIONAL_CONVICTION_SHARE = 0.0075
REGIONAL_MEAN_INCOME = 312_000.0


@dataclass
class Month:
    period: dt.date
    first: int  # day number of the 1st
    days: int
    residents: np.ndarray  # people living in a dwelling on the 1st
    area: np.ndarray  # their area index
    age: np.ndarray
    param: object  # param(name) -> per-area array, injections applied

    def day_in_month(self, rng: np.random.Generator, k: int) -> np.ndarray:
        return self.first + rng.integers(0, self.days, size=k)


def month_context(pop: Population, period: dt.date, first: int, param) -> Month:
    residents = pop.residents()
    return Month(
        period,
        first,
        monthrange(period.year, period.month)[1],
        residents,
        pop.dwelling_area[pop.dwelling_of(residents)],
        pop.ages(residents, first),
        param,
    )


def benefits(pop: Population, m: Month) -> pd.DataFrame:
    """Outside-work spells follow a Markov chain whose equilibrium is the area's rate."""
    rng, people = pop.rng, pop.people
    adult = (m.age >= 18) & (m.age <= 64)
    who = m.residents[adult]
    rate = m.param("outside_rate")[m.area[adult]].clip(0.01, 0.95)
    on = people.benefit[who] > 0
    leaving = on & (rng.random(len(who)) < EXIT_RATE)
    entering = ~on & (rng.random(len(who)) < EXIT_RATE * rate / (1 - rate))
    start = m.day_in_month(rng, entering.sum())
    people.cols["benefit"][who[entering]] = (
        rng.choice(4, size=entering.sum(), p=OUTSIDE_WEIGHTS) + 1
    )
    people.cols["benefit_start"][who[entering]] = start
    people.cols["extent"][who[entering]] = np.where(rng.random(entering.sum()) < 0.9, 1.0, 0.5)
    active = who[people.benefit[who] > 0]
    end = np.full(len(who), -1)
    end[leaving] = m.day_in_month(rng, leaving.sum())
    end_active = end[people.benefit[who] > 0]
    rows = text_frame(
        {
            "cpr": people.cpr[active],
            "ydelse": OUTSIDE_BENEFITS[people.benefit[active] - 1],
            "startdato": to_dates(people.benefit_start[active]),
            "slutdato": np.where(
                end_active >= 0, to_dates(np.maximum(end_active, 0)), np.datetime64("NaT")
            ),
            "ugentligt_omfang": people.extent[active].astype(float),
        }
    )
    people.cols["benefit"][who[leaving]] = 0
    # Benefits that do not count as outside work or education.
    flex = m.residents[people.flexjob[m.residents] & (m.age <= 64)]
    sick = who[(people.benefit[who] == 0) & (rng.random(len(who)) < 0.02)]
    sick_start = m.day_in_month(rng, len(sick))
    students = m.residents[(m.age >= 18) & (m.age <= 24) & (people.youth[m.residents] == 0)]
    school_year = dt.date(m.period.year - (m.period.month < 8), 8, 1)
    other = text_frame(
        {
            "cpr": np.concatenate([people.cpr[flex], people.cpr[sick], people.cpr[students]]),
            "ydelse": ["fleksjob"] * len(flex)
            + ["sygedagpenge"] * len(sick)
            + ["su"] * len(students),
            "startdato": np.concatenate(
                [
                    to_dates(people.in_since[flex]),
                    to_dates(sick_start),
                    np.full(len(students), np.datetime64(school_year)),
                ]
            ),
            "slutdato": np.concatenate(
                [
                    np.full(len(flex), np.datetime64("NaT")),
                    to_dates(np.minimum(sick_start + 14, m.first + m.days - 1)),
                    np.full(len(students), np.datetime64("NaT")),
                ]
            ),
            "ugentligt_omfang": [1.0] * len(flex) + [1.0] * len(sick) + [1.0] * len(students),
        }
    )
    return pd.concat([rows, other], ignore_index=True)


def youth_status(pop: Population, m: Month) -> pd.DataFrame:
    rng, people = pop.rng, pop.people
    young = (m.age >= 16) & (m.age <= 24)
    who = m.residents[young]
    rate = m.param("neet_rate")[m.area[young]].clip(0.01, 0.9)
    neet = people.youth[who] >= 2
    leave = neet & (rng.random(len(who)) < 0.08)
    enter = ~neet & (rng.random(len(who)) < 0.08 * rate / (1 - rate))
    state = people.youth[who].copy()
    state[leave] = np.where(m.age[young][leave] < 20, 0, rng.integers(0, 2, leave.sum()))
    state[enter] = rng.choice([2, 3], size=enter.sum(), p=[0.6, 0.4])
    people.cols["youth"][who] = state
    return text_frame({"cpr": people.cpr[who], "status": YOUTH_STATUS[state], "neet": state >= 2})


def school_absence(pop: Population, m: Month) -> pd.DataFrame:
    days = SCHOOL_DAYS[m.period.month]
    pupils = (m.age >= 6) & (m.age <= 15)
    who = m.residents[pupils]
    if days == 0:
        return pd.DataFrame(
            columns=[
                "cpr",
                "klassetrin",
                "skoledage",
                "sygefravaer",
                "lovligt_fravaer",
                "ulovligt_fravaer",
            ]
        )
    rng = pop.rng
    p = (
        m.param("absence_rate")[m.area[pupils]]
        * ABSENCE_SEASON[m.period.month]
        * pop.people.frailty[who]
    ).clip(0, 0.9)
    absent = rng.binomial(days, p)
    unlawful = rng.binomial(absent, 0.15)
    permitted = rng.binomial(absent - unlawful, 0.3)
    sick = absent - unlawful - permitted
    # Truants skip days without leave on top, drawn apart so that every other delivery
    # keeps its random numbers; some reach 15 % of a quarter (cy_unlawful_absence).
    truant = pop.people.frailty[who] > TRUANT_FRAILTY
    seed = pop.rng.bit_generator.seed_seq.entropy  # the municipality's: no number drawn
    apart = np.random.default_rng([seed, m.period.year, m.period.month])
    unlawful += np.where(truant, apart.binomial(days - absent, TRUANT_SKIPS), 0)
    return text_frame(
        {
            "cpr": pop.people.cpr[who],
            "klassetrin": np.minimum(m.age[pupils] - 6, 9),
            "skoledage": days,
            "sygefravaer": sick.astype(float),
            "lovligt_fravaer": permitted.astype(float),
            "ulovligt_fravaer": unlawful.astype(float),
        }
    )


def _hardship(m: Month, mask: np.ndarray) -> np.ndarray:
    return m.param("outside_rate")[m.area[mask]] / 0.25


def _cases(pop: Population, m: Month, mask, yearly_rate, prefix, id_col, date_col):
    who = m.residents[mask]
    hit = pop.rng.random(len(who)) < yearly_rate / 12
    ids = [f"{prefix}{m.period:%Y%m}-{i:06d}" for i in range(hit.sum())]
    return text_frame(
        {
            id_col: ids,
            "cpr": pop.people.cpr[who[hit]],
            date_col: to_dates(m.day_in_month(pop.rng, hit.sum())),
        }
    )


def notifications(pop: Population, m: Month) -> pd.DataFrame:
    child = m.age <= 17
    return _cases(pop, m, child, 0.04 * _hardship(m, child), "U", "underretning_id", "modtaget")


def ssp_concerns(pop: Population, m: Month) -> pd.DataFrame:
    youth = (m.age >= 10) & (m.age <= 17)
    return _cases(pop, m, youth, 0.015 * _hardship(m, youth), "S", "sag_id", "oprettet")


def daycare(pop: Population, m: Month) -> pd.DataFrame:
    people, rng = pop.people, pop.rng
    small = (m.age >= 1) & (m.age <= 5)
    who = m.residents[small]
    new = (people.daycare_start[who] < 0) & (
        rng.random(len(who)) < m.param("daycare_rate")[m.area[small]] / 6
    )
    people.cols["daycare_start"][who[new]] = m.day_in_month(rng, new.sum())
    enrolled = people.daycare_start[who] >= 0
    kind = np.where(
        m.age[small] < 3, np.where(rng.random(len(who)) < 0.5, "vuggestue", "dagpleje"), "børnehave"
    )
    return text_frame(
        {
            "cpr": people.cpr[who[enrolled]],
            "dagtilbudstype": kind[enrolled],
            "startdato": to_dates(people.daycare_start[who[enrolled]]),
        }
    )


def grade9_exams(pop: Population, m: Month) -> pd.DataFrame:
    rng = pop.rng
    grade9 = m.age == 15
    who = m.residents[grade9]
    passing = rng.random(len(who)) < (0.92 - 0.12 * (_hardship(m, grade9) - 1)).clip(0.4, 0.98)
    good, low = np.array([2, 4, 7, 10, 12]), np.array([-3, 0])
    danish = rng.choice(good, len(who))
    maths = rng.choice(good, len(who))
    fail_maths = ~passing & (rng.random(len(who)) < 0.6)
    maths[fail_maths] = rng.choice(low, fail_maths.sum())
    danish[~passing & ~fail_maths] = rng.choice(low, (~passing & ~fail_maths).sum())
    return pd.DataFrame({"cpr": pop.people.cpr[who], "dansk": danish, "matematik": maths})


def home_visits(pop: Population, m: Month) -> pd.DataFrame:
    birth_month = pd.to_datetime(pop.people.birth[m.residents], unit="D").month.to_numpy()
    due = (m.age >= 75) & (birth_month == m.period.month)
    accept = pop.rng.random(due.sum()) < m.param("visit_acceptance")[m.area[due]].clip(0, 1)
    return pd.DataFrame(
        {
            "cpr": pop.people.cpr[m.residents[due]],
            "tilbudsdato": to_dates(m.day_in_month(pop.rng, due.sum())),
            "accepteret": accept,
        }
    )


def smoking_cessation(pop: Population, m: Month) -> pd.DataFrame:
    adult = m.age >= 18
    rows = _cases(
        pop, m, adult, 0.006 / _hardship(m, adult).clip(0.5, 2), "R", "forloeb_id", "startdato"
    )
    return rows[["forloeb_id", "cpr", "startdato"]]


class Rehabilitation:
    """Courses last 2-4 months; the API reports a course in its start and end months."""

    def __init__(self):
        self.open: list[tuple[str, str, int, int, bool]] = []
        self.seq = 0

    def month(self, pop: Population, m: Month) -> pd.DataFrame:
        rng = pop.rng
        older = m.age >= 50
        who = m.residents[older]
        start = rng.random(len(who)) < 0.012 / 12
        completion = (0.8 / _hardship(m, older)[start].clip(0.7, 1.6)).clip(0.3, 0.95)
        month_end = m.first + m.days
        for cpr, begin, done in zip(
            pop.people.cpr[who[start]],
            m.day_in_month(rng, start.sum()),
            rng.random(start.sum()) < completion,
        ):
            self.seq += 1
            self.open.append(
                (
                    f"G{self.seq:08d}",
                    cpr,
                    int(begin),
                    int(begin + rng.integers(60, 120)),
                    bool(done),
                )
            )
        rows, still_open = [], []
        for course in self.open:
            course_id, cpr, begin, end, done = course
            starts_now = m.first <= begin < month_end
            ends_now = m.first <= end < month_end
            if starts_now or ends_now:
                rows.append(
                    (course_id, cpr, begin, end if ends_now else None, done if ends_now else None)
                )
            if end >= month_end:
                still_open.append(course)
        self.open = still_open
        frame = pd.DataFrame(
            rows, columns=["forloeb_id", "cpr", "startdato", "slutdato", "gennemfoert"]
        )
        frame["startdato"] = to_dates(frame["startdato"].to_numpy(dtype=np.int64))
        ends = frame["slutdato"].astype("float").to_numpy()
        frame["slutdato"] = np.where(
            np.isnan(ends), np.datetime64("NaT"), to_dates(np.nan_to_num(ends).astype(np.int64))
        )
        return frame


def national_statistics(pop: Population, m: Month) -> pd.DataFrame:
    """Area aggregates at 1 January, as national statistics would deliver them."""
    rng, rows = pop.rng, []
    origin = pop.people.origin[m.residents]
    for index, area in enumerate(pop.areas):
        if area.area_id is None:
            continue
        here = m.area == index
        age = m.age[here]
        adults, mid = int((age >= 18).sum()), int(((age >= 30) & (age <= 59)).sum())
        rows.append(
            {
                "boligomraade_id": area.area_id,
                "beboere_1_januar": int(here.sum()),
                "ikke_vestlige": int(np.isin(origin[here], NON_WESTERN).sum()),
                "beboere_18_plus": adults,
                "doemte_18_plus": int(rng.binomial(adults, min(area.conviction_rate, 1))),
                "landsandel_doemte": NATIONAL_CONVICTION_SHARE,
                "beboere_30_59": mid,
                "kun_grundskole_30_59": int(rng.binomial(mid, area.basic_education)),
                "gns_bruttoindkomst": round(
                    REGIONAL_MEAN_INCOME * area.income_ratio * rng.uniform(0.97, 1.03), 0
                ),
                "regional_gns_bruttoindkomst": REGIONAL_MEAN_INCOME,
            }
        )
    return pd.DataFrame(rows)
