"""A hand-made municipality for one month (March 2025), small enough to count by hand.

Area BO01 "Testgården": 30 dwellings; residents on 1 March 2025:
  - 25 adults aged 30 (A01..A25), of whom
      6 on kontanthjælp full time, 2 on dagpenge half time  -> 7.0 FTE outside
      1 on SU and 1 on sygedagpenge                          -> not outside
  - 2 children aged 10 at A01 and A02, 20 school days each, absent 3.5 and 0 days
  - 1 resident aged 80 at A26
Outside the housing areas: 5 adults at A31..A35 (1 on kontanthjælp) plus 1 adult at an
address the register does not know (A99) -> counted as outside, not dropped.
One row of the register has an invalid CPR number and must be quarantined.
"""

import datetime as dt
from pathlib import Path

from sources import children_youth, employment, health, housing, population
from sources.landing import delivery_path
from sources.synthetic.danish_writer import write_csv

PERIOD = dt.date(2025, 3, 1)
INVALID_CPR = "310299-1234"  # 31 February does not exist


def _cpr(birth: dt.date, serial: int) -> str:
    return f"{birth:%d%m%y}-{serial:04d}"


ADULT_BIRTH = dt.date(1994, 6, 15)  # aged 30 on 1 March 2025
CHILD_BIRTH = dt.date(2014, 5, 1)  # aged 10
OLD_BIRTH = dt.date(1944, 3, 20)  # aged 80

ADULTS = [_cpr(ADULT_BIRTH, 1000 + i) for i in range(25)]
CHILDREN = [_cpr(CHILD_BIRTH, 4001), _cpr(CHILD_BIRTH, 4002)]
OLD = _cpr(OLD_BIRTH, 2001)
OUTSIDE = [_cpr(ADULT_BIRTH, 3000 + i) for i in range(6)]
ALL_CPR = ADULTS + CHILDREN + [OLD] + OUTSIDE


def write(landing: Path) -> None:
    def put(contract, rows, encoding="utf-8"):
        header = [c.header for c in contract.columns]
        write_csv(delivery_path(landing, contract, PERIOD), header, rows, encoding)

    addresses = [
        (f"A{n:02d}", f"Testvej {n}", "afd. 1", "BO01", "Testgården") for n in range(1, 31)
    ]
    addresses += [(f"A{n:02d}", f"Ærøvej {n}", None, None, None) for n in range(31, 36)]
    put(population.ADDRESSES, addresses, "cp1252")

    residents = [(c, ADULT_BIRTH, "K", "dansk", f"A{i + 1:02d}") for i, c in enumerate(ADULTS)]
    residents += [(c, CHILD_BIRTH, "M", "dansk", f"A{i + 1:02d}") for i, c in enumerate(CHILDREN)]
    residents += [(OLD, OLD_BIRTH, "K", "vestlig", "A26")]
    residents += [(c, ADULT_BIRTH, "M", "dansk", f"A{31 + i}") for i, c in enumerate(OUTSIDE[:5])]
    residents += [(OUTSIDE[5], ADULT_BIRTH, "M", "ikke-vestlig", "A99")]
    residents += [(INVALID_CPR, ADULT_BIRTH, "K", "dansk", "A27")]
    put(population.RESIDENTS, residents, "cp1252")

    benefits = [(c, "kontanthjælp", 1.0) for c in ADULTS[:6]]
    benefits += [(c, "dagpenge", 0.5) for c in ADULTS[6:8]]
    benefits += [(ADULTS[8], "su", 1.0), (ADULTS[0], "sygedagpenge", 0.5)]
    benefits += [(OUTSIDE[0], "kontanthjælp", 1.0)]
    put(employment.BENEFITS, benefits, "utf-8-sig")

    put(
        children_youth.SCHOOL_ABSENCE,
        [
            (CHILDREN[0], 4, 20, 2.0, 1.0, 0.5),
            (CHILDREN[1], 4, 20, 0.0, 0.0, 0.0),
        ],
    )
    put(housing.MOVE_OUTS, [("L-A05-1", "A05", dt.date(2025, 3, 14))])
    put(health.HOME_VISITS, [(OLD, dt.date(2025, 3, 10), True)])
