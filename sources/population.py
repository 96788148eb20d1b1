"""Population register (CPR extract): residence spells, addresses and area boundaries."""

from sources.contracts import Column, Contract, Interval

ORIGINS = (
    "dansk",
    "vestlig_indvandrer",
    "vestlig_efterkommer",
    "ikke_vestlig_indvandrer",
    "ikke_vestlig_efterkommer",
)

RESIDENTS = Contract(
    system="population",
    entity="residents",
    fmt="csv",
    source="borgere.csv",
    description="Residence spells overlapping the month: who lived at which address, from when "
    "to when (an open spell has no move-out date).",
    intervals=(Interval("move_in_date", "move_out_date"),),
    key=("person_key", "address_id", "move_in_date"),
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
        Column("tilflytningsdato", "move_in_date", "date"),
        Column(
            "fraflytningsdato",
            "move_out_date",
            "date",
            nullable=True,
            description="Empty while the person still lives at the address.",
        ),
    ),
)

ADDRESSES = Contract(
    system="population",
    entity="addresses",
    fmt="csv",
    source="adresser.csv",
    description="Dwelling addresses with housing department, housing area and coordinates.",
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
        Column("boliger", "dwellings", "int", minimum=0, maximum=500),
        Column(
            "x",
            "x_utm32",
            "decimal",
            minimum=400_000,
            maximum=900_000,
            description="Easting, ETRS89 / UTM zone 32N (EPSG:25832).",
        ),
        Column(
            "y",
            "y_utm32",
            "decimal",
            minimum=6_000_000,
            maximum=6_450_000,
            description="Northing, ETRS89 / UTM zone 32N (EPSG:25832).",
        ),
    ),
)

AREAS = Contract(
    system="population",
    entity="areas",
    fmt="geojson",
    source="boligomraader.geojson",
    description="Housing area boundaries (polygons, EPSG:25832) valid in the month.",
    key=("area_id",),
    columns=(
        Column("boligomraade_id", "area_id", "text"),
        Column("navn", "area_name", "text"),
        Column("gyldig_fra", "valid_from", "date"),
        Column(
            "geometri",
            "geometry_geojson",
            "text",
            description="The polygon as a GeoJSON geometry object.",
        ),
    ),
)

CONTRACTS = (RESIDENTS, ADDRESSES, AREAS)
