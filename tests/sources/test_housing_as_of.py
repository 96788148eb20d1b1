"""Housing deliveries are as-of the end of their month, read from a hand-made database.

The database holds the system's current state; the delivery of a month must show what the
system knew at the month's end, whenever it is extracted.
"""

import datetime as dt
import sqlite3

import pandas as pd
import pytest

from sources import housing
from sources.readers import DeliveryError, read_sql
from sources.synthetic import writers
from tests.sources.validation import run

MARCH, APRIL, MAY = dt.date(2025, 3, 1), dt.date(2025, 4, 1), dt.date(2025, 5, 1)
TENANCY_COLUMNS = [
    "lejemaal_id",
    "adresse_id",
    "indflytningsdato",
    "fraflytningsdato",
    "udlejningskanal",
    "registreret",
    "fraflytning_registreret",
]
EVICTION_COLUMNS = ["sag_id", "adresse_id", "udsaettelsesdato", "registreret"]

# L1 moves out on 15 April, notice registered in February.
L1 = ("L1", "A1", "2020-01-01", "2025-04-15", "boligorganisation", "2019-12-01 10:00:00",
      "2025-02-10 10:00:00")  # fmt: skip
# L2 moved in on 20 March, but the contract was registered on 2 April.
L2 = ("L2", "A2", "2025-03-20", None, "kommunal_anvisning", "2025-04-02 09:00:00", None)
# L3 moved out on 31 March, registered on 3 April; as registered on 1 April, still open.
L3_OPEN = ("L3", "A3", "2019-05-01", None, "boligorganisation", "2019-04-01 12:00:00", None)
L3 = (*L3_OPEN[:3], "2025-03-31", L3_OPEN[4], L3_OPEN[5], "2025-04-03 14:00:00")
# L4 ends before it starts.
L4 = ("L4", "A4", "2025-03-10", "2025-03-05", "boligorganisation", "2025-03-01 10:00:00",
      "2025-03-12 10:00:00")  # fmt: skip

EVICTIONS = [
    ("E1", "A5", "2025-03-10", "2025-03-10 15:00:00"),  # registered the same day
    ("E2", "A6", "2025-03-28", "2025-04-02 09:00:00"),  # carried out in March, known in April
    ("E3", "A7", "2025-04-20", "2025-03-15 09:00:00"),  # registered ahead, carried out in April
]


def database(path, tenancies, evictions=()) -> str:
    writers.write_housing_db(
        path,
        {
            "lejemaal": pd.DataFrame(tenancies, columns=TENANCY_COLUMNS),
            "udsaettelser": pd.DataFrame(evictions, columns=EVICTION_COLUMNS),
        },
    )
    return f"sqlite:///{path}"


def delivery(url, contract, period):
    return run(read_sql(url, contract, period), contract)


def tenancies(url, period) -> list[tuple]:
    records = delivery(url, housing.TENANCIES, period).records
    return [
        tuple(row)
        for row in records[["tenancy_id", "move_in_date", "move_out_date"]].itertuples(index=False)
    ]


@pytest.fixture
def today(tmp_path):
    """The system's state now, in June: every change above is registered."""
    return database(tmp_path / "today.sqlite", [L1, L2, L3, L4], EVICTIONS)


def test_a_month_shows_later_move_outs_as_open_and_no_later_registrations(today):
    assert tenancies(today, MARCH) == [
        ("L1", dt.date(2020, 1, 1), None),
        ("L3", dt.date(2019, 5, 1), None),
    ]


def test_the_next_month_shows_the_move_outs_and_the_late_registrations(today):
    assert tenancies(today, APRIL) == [
        ("L1", dt.date(2020, 1, 1), dt.date(2025, 4, 15)),
        ("L2", dt.date(2025, 3, 20), None),
        ("L3", dt.date(2019, 5, 1), dt.date(2025, 3, 31)),
    ]
    assert tenancies(today, MAY) == [("L2", dt.date(2025, 3, 20), None)]


def test_restating_a_month_later_gives_the_rows_extracted_at_the_time(tmp_path, today):
    on_1_april = database(tmp_path / "1_april.sqlite", [L1, L3_OPEN, L4], EVICTIONS[:1])
    for contract in (housing.TENANCIES, housing.EVICTIONS):
        at_the_time = delivery(on_1_april, contract, MARCH)
        restated = delivery(today, contract, MARCH)
        assert restated.records.equals(at_the_time.records)
        assert restated.quarantine.equals(at_the_time.quarantine)


def test_an_inverted_tenancy_from_the_database_is_quarantined(today):
    result = delivery(today, housing.TENANCIES, MARCH)
    assert result.quarantine.values.tolist() == [
        [
            3,
            "indflytningsdato,fraflytningsdato",
            "2025-03-10,2025-03-05",
            "interval ends before it starts: fraflytningsdato 2025-03-05 is before "
            "indflytningsdato 2025-03-10",
        ]
    ]
    assert result.rows_read == 3


def test_each_eviction_is_delivered_once_when_carried_out_and_known(today):
    delivered = {
        f"{period:%Y-%m}": delivery(today, housing.EVICTIONS, period).records["case_id"].tolist()
        for period in (dt.date(2025, 2, 1), MARCH, APRIL, MAY)
    }
    assert delivered == {"2025-02": [], "2025-03": ["E1"], "2025-04": ["E2", "E3"], "2025-05": []}


def test_the_database_is_opened_read_only(tmp_path):
    missing = tmp_path / "missing.sqlite"
    with pytest.raises(DeliveryError, match=r"missing\.sqlite \(tenancies\): query failed"):
        read_sql(f"sqlite:///{missing}", housing.TENANCIES, MARCH)
    assert not missing.exists()  # a writable connection would have created an empty file


def test_a_dwelling_listed_twice_in_a_month_keeps_the_earlier_vacancy(tmp_path):
    """Ties on the key are ordered by the other columns: the same row is first every time."""
    path = tmp_path / "vacancies.sqlite"
    columns = ["maaned", "adresse_id", "ledig_siden"]
    rows = [("2025-03-01", "A1", "2025-02-10"), ("2025-03-01", "A1", "2025-01-05")]
    writers.write_housing_db(path, {"ledige_boliger": pd.DataFrame(rows, columns=columns)})
    result = delivery(f"sqlite:///{path}", housing.VACANCIES, MARCH)
    assert result.records[["address_id", "vacant_since", "source_line"]].values.tolist() == [
        ["A1", dt.date(2025, 1, 5), 1]
    ]
    assert result.quarantine.values.tolist() == [
        [2, "address_id", "", "duplicate key, first seen on line 1"]
    ]


def plain_database(path, tables: dict[str, tuple[list[str], list[tuple]]]) -> str:
    """Tables without the synthetic schema's NOT NULL and checks, as a real system may hold."""
    with sqlite3.connect(path) as con:
        for name, (columns, rows) in tables.items():
            con.execute(f"create table {name} ({', '.join(columns)})")
            con.executemany(f"insert into {name} values ({', '.join('?' * len(columns))})", rows)
    con.close()
    return f"sqlite:///{path}"


COMPLAINT_COLUMNS = ["sag_id", "adresse_id", "oprettet", "kategori"]


def test_a_complaint_with_an_unreadable_or_missing_date_fails_the_delivery(tmp_path):
    """Compared as text, '15-03-2025' and NULL fall in no month: the cases would vanish."""
    rows = [
        ("K1", "A1", "2025-03-10", "støj"),
        ("K2", "A2", "15-03-2025", "støj"),
        ("K3", "A3", None, "andet"),
    ]
    url = plain_database(tmp_path / "k.sqlite", {"klagesager": (COMPLAINT_COLUMNS, rows)})
    with pytest.raises(DeliveryError) as error:
        read_sql(url, housing.COMPLAINTS, MARCH)
    assert str(error.value).startswith(f"{url} (complaints): ")
    assert (
        "klagesager.oprettet: 2 row(s) NULL or not an ISO date (sag_id K2 '15-03-2025', K3 NULL)"
        in str(error.value)
    )


def test_a_tenancy_missing_a_date_its_months_depend_on_fails_the_delivery(tmp_path):
    """An open tenancy has no move-out columns; a move-out date without its registration,
    or a tenancy without a move-in date, would drop out of months unseen."""
    open_tenancy = L2
    no_move_in = ("L5", "A5", None, None, "boligorganisation", "2025-01-02 10:00:00", None)
    unregistered_move_out = (*L1[:6], None)
    url = plain_database(
        tmp_path / "l.sqlite",
        {"lejemaal": (TENANCY_COLUMNS, [open_tenancy, no_move_in, unregistered_move_out])},
    )
    with pytest.raises(DeliveryError) as error:
        read_sql(url, housing.TENANCIES, MARCH)
    why = "; the query compares it as ISO text, so these rows would be in no month's delivery"
    assert str(error.value) == (
        f"{url} (tenancies): lejemaal.indflytningsdato: 1 row(s) NULL or not an ISO date "
        f"(lejemaal_id L5 NULL){why}; lejemaal.fraflytning_registreret: 1 row(s) not an ISO "
        f"date, or NULL beside a fraflytningsdato (lejemaal_id L1 NULL){why}"
    )


def test_a_vacancy_month_not_on_the_first_fails_the_delivery(tmp_path):
    """maaned is matched to the month's first day: '2024-03' would give March no rows."""
    rows = [("2025-03-01", "A1", "2025-02-10"), ("2025-03", "A2", "2025-02-11")]
    url = plain_database(
        tmp_path / "v.sqlite", {"ledige_boliger": (["maaned", "adresse_id", "ledig_siden"], rows)}
    )
    with pytest.raises(
        DeliveryError,
        match=r"ledige_boliger\.maaned: 1 row\(s\) NULL or not an ISO first day of a month "
        r"\(YYYY-MM-01\) \(adresse_id A2 '2025-03'\)",
    ):
        read_sql(url, housing.VACANCIES, MARCH)


def test_an_eviction_registered_in_another_form_fails_the_delivery(tmp_path):
    rows = [*EVICTIONS, ("E4", "A8", "2025-03-11", "11.03.2025 10:00")]
    url = plain_database(tmp_path / "e.sqlite", {"udsaettelser": (EVICTION_COLUMNS, rows)})
    with pytest.raises(
        DeliveryError,
        match=r"udsaettelser\.registreret: 1 row\(s\) NULL or not an ISO date "
        r"\(sag_id E4 '11\.03\.2025 10:00'\)",
    ):
        read_sql(url, housing.EVICTIONS, MARCH)
