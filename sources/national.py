"""National statistics (Statistics Denmark / the national housing fund): yearly area
aggregates for the statutory criteria, delivered as Danish CSV."""

from sources.contracts import Column, Contract

# Bounds no housing area reaches (more people than live in any Danish municipality; a mean
# income of ten million kroner), low enough that a CPR number in the column is quarantined.
PEOPLE = {"minimum": 0, "maximum": 1_000_000}
INCOME = {"minimum": 0, "maximum": 10_000_000}

AREA_STATISTICS = Contract(
    system="national",
    entity="area_statistics",
    fmt="csv",
    source="boligomraader.csv",
    cadence="yearly",
    description="Yearly aggregates per housing area for the statutory criteria 2-4, the "
    "non-western share and residents at 1 January.",
    key=("area_id",),
    columns=(
        Column("boligomraade_id", "area_id", "text"),
        Column("beboere_1_januar", "residents_1_january", "int", **PEOPLE),
        Column("ikke_vestlige", "non_western", "int", **PEOPLE),
        Column("beboere_18_plus", "residents_18_plus", "int", **PEOPLE),
        Column(
            "doemte_18_plus",
            "convicted_18_plus",
            "int",
            **PEOPLE,
            description="Convicted under the criminal code, weapons or narcotics law.",
        ),
        Column("landsandel_doemte", "national_conviction_share", "decimal", minimum=0, maximum=1),
        Column("beboere_30_59", "residents_30_59", "int", **PEOPLE),
        Column("kun_grundskole_30_59", "basic_education_30_59", "int", **PEOPLE),
        Column(
            "gns_bruttoindkomst",
            "mean_gross_income",
            "decimal",
            **INCOME,
            description="Mean gross income, 15-64 not in education (DKK).",
        ),
        Column("regional_gns_bruttoindkomst", "regional_mean_gross_income", "decimal", **INCOME),
    ),
)

CONTRACTS = (AREA_STATISTICS,)
