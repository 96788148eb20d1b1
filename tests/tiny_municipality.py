"""A hand-made municipality for one month (March 2025), small enough to count by hand.

Area BO01 "Testgården", 30 dwellings. On 1 March 2025 it has:
  - 25 adults aged 30: 24 at A01..A24, and one at A25 who moves out on 10 March (still
    a resident on the 1st). A 26th adult moves in at A26 on 15 March: not yet counted.
    Benefits of the 25: 6 on kontanthjælp full time all month      -> 6.0 FTE
                        2 on dagpenge at half weekly extent         -> 1.0 FTE
                        1 on kontanthjælp from 17 March (15 of 31 days) -> 15/31 FTE
                        1 on SU and 1 on sygedagpenge               -> not outside
  - 2 children aged 10 at A01 and A02: 20 school days each, absent 3.5 and 0 days
  - 1 resident aged 80 at A27
Outside the housing areas: 5 adults at A31..A35 (1 on kontanthjælp) plus 1 adult at an
address the register does not know (A99): counted as outside, not dropped.
One register row has an invalid CPR number and must be quarantined.
"""

import datetime as dt
from pathlib import Path

import pandas as pd

from sources import children_youth, employment, health, population
from sources.landing import delivery_path
from sources.synthetic import writers
from sources.synthetic.layout import HOUSING_DB, health_records_path

PERIOD = dt.date(2025, 3, 1)
INVALID_CPR = "310299-1234"  # 31 February does not exist
ADULT_BIRTH = dt.date(1994, 6, 15)  # aged 30 on 1 March 2025
CHILD_BIRTH = dt.date(2014, 5, 1)  # aged 10
OLD_BIRTH = dt.date(1944, 3, 20)  # aged 80
LONG_AGO = dt.date(2020, 1, 1)


def _cpr(birth: dt.date, serial: int) -> str:
    return f"{birth:%d%m%y}-{serial:04d}"


ADULTS = [_cpr(ADULT_BIRTH, 1000 + i) for i in range(25)]
NEWCOMER = _cpr(ADULT_BIRTH, 1100)
CHILDREN = [_cpr(CHILD_BIRTH, 4001), _cpr(CHILD_BIRTH, 4002)]
OLD = _cpr(OLD_BIRTH, 2001)
OUTSIDE = [_cpr(ADULT_BIRTH, 3000 + i) for i in range(6)]
ALL_CPR = [*ADULTS, NEWCOMER, *CHILDREN, OLD, *OUTSIDE]
RESIDENTS_BO01 = 25 + 2 + 1
REGISTER_ROWS = 25 + 1 + 2 + 1 + 6 + 1  # the 36 rows of borgere.csv


def _frame(contract, rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=contract.headers)


def write(landing: Path) -> None:
    def csv(contract, rows, encoding="utf-8"):
        path = delivery_path(landing, contract, PERIOD)
        path.parent.mkdir(parents=True, exist_ok=True)
        writers.write_csv(path, _frame(contract, rows), contract, encoding)

    addresses = [
        (f"A{n:02d}", f"Testvej {n}", "afd. 1", "BO01", 1, 560_000.5, 6_220_000.5)
        for n in range(1, 31)
    ]
    addresses += [
        (f"A{n:02d}", f"Ærøvej {n}", None, None, 1, 561_000.0, 6_221_000.0) for n in range(31, 36)
    ]
    csv(population.ADDRESSES, addresses, "cp1252")
    ring = [
        [560_000, 6_220_000],
        [560_500, 6_220_000],
        [560_500, 6_220_500],
        [560_000, 6_220_500],
        [560_000, 6_220_000],
    ]
    writers.write_geojson(
        delivery_path(landing, population.AREAS, PERIOD),
        [{"area_id": "BO01", "name": "Testgården", "ring": ring}],
        LONG_AGO,
    )

    def spell(cpr, birth, address, move_in=LONG_AGO, move_out=None, origin="dansk"):
        return (cpr, birth, "K", origin, address, move_in, move_out)

    residents = [spell(c, ADULT_BIRTH, f"A{i + 1:02d}") for i, c in enumerate(ADULTS[:24])]
    residents.append(spell(ADULTS[24], ADULT_BIRTH, "A25", move_out=dt.date(2025, 3, 10)))
    residents.append(spell(NEWCOMER, ADULT_BIRTH, "A26", move_in=dt.date(2025, 3, 15)))
    residents += [spell(c, CHILD_BIRTH, f"A{i + 1:02d}") for i, c in enumerate(CHILDREN)]
    residents.append(spell(OLD, OLD_BIRTH, "A27", origin="vestlig_indvandrer"))
    residents += [spell(c, ADULT_BIRTH, f"A{31 + i}") for i, c in enumerate(OUTSIDE[:5])]
    residents.append(spell(OUTSIDE[5], ADULT_BIRTH, "A99", origin="ikke_vestlig_indvandrer"))
    residents.append(spell(INVALID_CPR, ADULT_BIRTH, "A28"))
    csv(population.RESIDENTS, residents, "cp1252")

    benefits = [(c, "kontanthjælp", LONG_AGO, None, 1.0) for c in ADULTS[:6]]
    benefits += [(c, "dagpenge", LONG_AGO, None, 0.5) for c in ADULTS[6:8]]
    benefits.append((ADULTS[8], "kontanthjælp", dt.date(2025, 3, 17), None, 1.0))
    benefits.append((ADULTS[9], "su", LONG_AGO, None, 1.0))
    benefits.append((ADULTS[0], "sygedagpenge", dt.date(2025, 3, 3), dt.date(2025, 3, 14), 1.0))
    benefits.append((OUTSIDE[0], "kontanthjælp", LONG_AGO, None, 1.0))
    csv(employment.BENEFITS, benefits, "utf-8-sig")
    csv(employment.YOUTH_STATUS_MONTH, [])

    writers.write_xlsx(
        delivery_path(landing, children_youth.SCHOOL_ABSENCE, PERIOD),
        _frame(
            children_youth.SCHOOL_ABSENCE,
            [
                (CHILDREN[0], 4, 20, 2.0, 1.0, 0.5),
                (CHILDREN[1], 4, 20, 0.0, 0.0, 0.0),
            ],
        ),
        children_youth.SCHOOL_ABSENCE,
    )
    csv(children_youth.NOTIFICATIONS, [("U1", CHILDREN[0], dt.date(2025, 3, 5))])
    csv(children_youth.SSP_CONCERNS, [])
    csv(children_youth.DAYCARE, [])

    for contract, rows in (
        (health.HOME_VISITS, [(OLD, dt.date(2025, 3, 10), True)]),
        (health.SMOKING_CESSATION, []),
        (health.REHABILITATION, []),
    ):
        writers.write_json(
            health_records_path(landing, contract.source, "2025-03"), _frame(contract, rows)
        )

    writers.write_housing_db(
        landing / HOUSING_DB,
        {
            "lejemaal": pd.DataFrame(
                {
                    "lejemaal_id": ["L1", "L2"],
                    "adresse_id": ["A05", "A06"],
                    "indflytningsdato": [LONG_AGO, LONG_AGO],
                    "fraflytningsdato": [dt.date(2025, 3, 14), None],
                    "udlejningskanal": ["kommunal_anvisning", "boligorganisation"],
                    "registreret": ["2019-12-02 09:00:00", "2019-12-02 09:30:00"],
                    "fraflytning_registreret": ["2025-01-10 11:00:00", None],
                }
            ),
            "ledige_boliger": pd.DataFrame(
                {"maaned": [PERIOD], "adresse_id": ["A29"], "ledig_siden": [dt.date(2025, 2, 1)]}
            ),
            "klagesager": pd.DataFrame(columns=["sag_id", "adresse_id", "oprettet", "kategori"]),
            "udsaettelser": pd.DataFrame(
                columns=["sag_id", "adresse_id", "udsaettelsesdato", "registreret"]
            ),
        },
    )
