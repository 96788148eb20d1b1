"""Population register (CPR extract): residents and addresses, monthly snapshot."""

from sources.contracts import Column, Contract

ORIGINS = ("dansk", "vestlig", "ikke-vestlig")

RESIDENTS = Contract(
    system="population",
    entity="residents",
    file_name="borgere.csv",
    description="Residents of the municipality on the first day of the month.",
    key=("person_key",),
    columns=(
        Column("cpr", "person_key", "cpr", description="Keyed pseudonym of the CPR number."),
        Column("foedselsdato", "birth_date", "date"),
        Column("koen", "sex", "enum", allowed=("M", "K")),
        Column(
            "oprindelse",
            "origin",
            "enum",
            allowed=ORIGINS,
            description="Danish origin, or western / non-western immigrant or descendant.",
        ),
        Column("adresse_id", "address_id", "text"),
    ),
)

ADDRESSES = Contract(
    system="population",
    entity="addresses",
    file_name="adresser.csv",
    description="Dwelling addresses with their housing department and housing area.",
    key=("address_id",),
    columns=(
        Column("adresse_id", "address_id", "text"),
        Column("adresse", "address", "text"),
        Column(
            "boligafdeling",
            "housing_department",
            "text",
            nullable=True,
            description="Empty when the address is in no social-housing department.",
        ),
        Column(
            "boligomraade_id",
            "area_id",
            "text",
            nullable=True,
            description="Housing area id; empty when the address is outside housing areas.",
        ),
        Column("boligomraade", "area_name", "text", nullable=True),
    ),
)

CONTRACTS = (RESIDENTS, ADDRESSES)
