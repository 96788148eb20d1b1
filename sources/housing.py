"""Housing allocation system and housing organisations: a SQL database.

Read through a SQLAlchemy URL ($KVARTER_HOUSING_DB_URL): the demo's SQLite file, or
PostgreSQL in production (postgresql+psycopg://user@host/db, with a driver installed).

The database holds its current state, so every query is as-of the end of its month
(m.period_end): it returns what the system knew then, and restating an old month later
gives the same rows. Each query joins `months` (period_start, period_end: the month
extracted). The tables a query names are read once per extract, whole, and the query
runs on them in an in-memory DuckDB once per month (sources/readers.py): the as-of
snapshots repeat each tenancy in every month it is active, some 60 times the table's rows
over a five-year extract, which the database would otherwise have to return one by one.
Dates are compared as ISO text, as SQLite holds them. Queries order by key (and, where the
key may repeat, by every column), so record numbers in the quarantine are stable. Tenancies
and evictions carry registration timestamps (`registreret`, `fraflytning_registreret`)
besides their dates: a move-out is shown once its date has come and it was registered, else
the tenancy is still open; a change registered late comes in the month it was registered
(each eviction once). Vacancies are kept as a monthly snapshot (`maaned`) and complaint
cases are dated by their registration (`oprettet`), so their month is fixed already.
"""

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy.engine import make_url

from sources.contracts import Column, Contract, Interval, QueryDate
from sources.readers import Cells, DeliveryError, read_sql_months

LETTING_CHANNELS = ("kommunal_anvisning", "boligorganisation", "fleksibel_udlejning")
COMPLAINT_CATEGORIES = ("støj", "chikane", "husorden", "andet")

TENANCIES = Contract(
    system="housing",
    entity="tenancies",
    fmt="sql",
    source="select m.period_start, lejemaal_id, adresse_id, indflytningsdato, "
    "case when fraflytningsdato < m.period_end and fraflytning_registreret < m.period_end "
    "then fraflytningsdato end as fraflytningsdato, udlejningskanal "
    "from months as m join lejemaal on registreret < m.period_end "
    "and indflytningsdato < m.period_end "
    "and (fraflytningsdato is null or fraflytningsdato >= m.period_start "
    "or fraflytning_registreret >= m.period_start) order by m.period_start, lejemaal_id",
    description="Tenancies active in the month as the system knew them at its end, with "
    "letting channel and move-out date (empty when after the month or not yet registered), "
    "and tenancies whose earlier move-out was first registered in the month.",
    intervals=(Interval("move_in_date", "move_out_date"),),
    # An open tenancy has neither move-out column; a move-out date needs its registration.
    query_dates=(
        QueryDate("lejemaal", "registreret"),
        QueryDate("lejemaal", "indflytningsdato"),
        QueryDate("lejemaal", "fraflytningsdato", nullable=True),
        QueryDate(
            "lejemaal", "fraflytning_registreret", nullable=True, required_with="fraflytningsdato"
        ),
    ),
    key=("tenancy_id",),
    columns=(
        Column("lejemaal_id", "tenancy_id", "text"),
        Column("adresse_id", "address_id", "text"),
        Column("indflytningsdato", "move_in_date", "date"),
        Column("fraflytningsdato", "move_out_date", "date", nullable=True),
        Column("udlejningskanal", "letting_channel", "enum", allowed=LETTING_CHANNELS),
    ),
)

VACANCIES = Contract(
    system="housing",
    entity="vacancies",
    fmt="sql",
    source="select m.period_start, adresse_id, ledig_siden "
    "from months as m join ledige_boliger on maaned = m.period_start "
    "order by m.period_start, adresse_id, ledig_siden",
    description="Dwellings vacant on the first of the month.",
    query_dates=(QueryDate("ledige_boliger", "maaned", month_start=True),),
    key=("address_id",),
    columns=(
        Column("adresse_id", "address_id", "text"),
        Column("ledig_siden", "vacant_since", "date"),
    ),
)

COMPLAINTS = Contract(
    system="housing",
    entity="complaints",
    fmt="sql",
    source="select m.period_start, sag_id, adresse_id, oprettet, kategori "
    "from months as m join klagesager on oprettet >= m.period_start "
    "and oprettet < m.period_end order by m.period_start, sag_id",
    description="Housing-social complaint cases opened in the month.",
    query_dates=(QueryDate("klagesager", "oprettet"),),
    key=("case_id",),
    columns=(
        Column("sag_id", "case_id", "text"),
        Column("adresse_id", "address_id", "text"),
        Column("oprettet", "opened_date", "date"),
        Column("kategori", "category", "enum", allowed=COMPLAINT_CATEGORIES),
    ),
)

EVICTIONS = Contract(
    system="housing",
    entity="evictions",
    fmt="sql",
    source="select m.period_start, sag_id, adresse_id, udsaettelsesdato "
    "from months as m join udsaettelser on udsaettelsesdato < m.period_end "
    "and registreret < m.period_end "
    "and (udsaettelsesdato >= m.period_start or registreret >= m.period_start) "
    "order by m.period_start, sag_id",
    description="Evictions carried out in the month and registered by its end, and earlier "
    "evictions first registered in it (each eviction is delivered once).",
    query_dates=(
        QueryDate("udsaettelser", "udsaettelsesdato"),
        QueryDate("udsaettelser", "registreret"),
    ),
    key=("case_id",),
    columns=(
        Column("sag_id", "case_id", "text"),
        Column("adresse_id", "address_id", "text"),
        Column("udsaettelsesdato", "eviction_date", "date"),
    ),
)

CONTRACTS = (TENANCIES, VACANCIES, COMPLAINTS, EVICTIONS)


def source_identity(url: str, contract: Contract) -> str:
    """What the warehouse records as the delivery's origin: the database's name and the
    entity, without driver, user, host or port, so it is the same from any server or path."""
    database = make_url(url).database or ""
    return f"{Path(database).name} ({contract.entity})"


def read_database(
    url: str, contract: Contract, periods: list[dt.date]
) -> Iterator[tuple[dt.date, Cells]]:
    """Each month of one entity, in order, from one query. A SQLite file that is not there
    is a missing delivery: without this check the read-only open fails as an opaque
    "unable to open"."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").is_file():
        raise DeliveryError(f"missing database {url}")
    origin = source_identity(url, contract)
    for period, cells in read_sql_months(url, contract, periods):
        yield period, dataclasses.replace(cells, origin=origin)
