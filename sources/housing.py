"""Housing allocation system and housing organisations: a SQL database.

Queries order by key, so record numbers in the quarantine are stable. Read through a
SQLAlchemy URL ($KVARTER_HOUSING_DB_URL): the demo's SQLite file, or
PostgreSQL in production (postgresql+psycopg://user@host/db, with a driver installed).
"""

from sources.contracts import Column, Contract

LETTING_CHANNELS = ("kommunal_anvisning", "boligorganisation", "fleksibel_udlejning")

TENANCIES = Contract(
    system="housing",
    entity="tenancies",
    fmt="sql",
    source="select lejemaal_id, adresse_id, indflytningsdato, fraflytningsdato, "
    "udlejningskanal from lejemaal where indflytningsdato < :period_end "
    "and (fraflytningsdato is null or fraflytningsdato >= :period_start) order by lejemaal_id",
    description="Tenancies active in the month, with letting channel and move-out date.",
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
    source="select adresse_id, ledig_siden from ledige_boliger where maaned = :period_start",
    description="Dwellings vacant on the first of the month.",
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
    source="select sag_id, adresse_id, oprettet, kategori from klagesager "
    "where oprettet >= :period_start and oprettet < :period_end order by sag_id",
    description="Housing-social complaint cases opened in the month.",
    key=("case_id",),
    columns=(
        Column("sag_id", "case_id", "text"),
        Column("adresse_id", "address_id", "text"),
        Column("oprettet", "opened_date", "date"),
        Column("kategori", "category", "enum", allowed=("støj", "chikane", "husorden", "andet")),
    ),
)

EVICTIONS = Contract(
    system="housing",
    entity="evictions",
    fmt="sql",
    source="select sag_id, adresse_id, udsaettelsesdato from udsaettelser "
    "where udsaettelsesdato >= :period_start and udsaettelsesdato < :period_end "
    "order by sag_id",
    description="Evictions carried out in the month.",
    key=("case_id",),
    columns=(
        Column("sag_id", "case_id", "text"),
        Column("adresse_id", "address_id", "text"),
        Column("udsaettelsesdato", "eviction_date", "date"),
    ),
)

CONTRACTS = (TENANCIES, VACANCIES, COMPLAINTS, EVICTIONS)
