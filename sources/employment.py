"""Job centre: benefit spells per person and month."""

from sources.contracts import Column, Contract

BENEFIT_TYPES = (
    "kontanthjælp",
    "uddannelseshjælp",
    "selvforsørgelsesydelse",
    "dagpenge",
    "førtidspension",
    "ressourceforløb",
    "sygedagpenge",
    "barselsdagpenge",
    "su",
    "fleksjob",
    "fleksydelse",
    "efterløn",
)

BENEFITS = Contract(
    system="employment",
    entity="benefits",
    file_name="ydelser.csv",
    description="Public benefits received in the month, as full-time equivalents.",
    key=("person_key", "benefit_type"),
    columns=(
        Column("cpr", "person_key", "cpr"),
        Column("ydelse", "benefit_type", "enum", allowed=BENEFIT_TYPES),
        Column(
            "omfang",
            "fte",
            "decimal",
            minimum=0,
            maximum=1,
            description="Full-time equivalent of the month on this benefit (0-1).",
        ),
    ),
)

CONTRACTS = (BENEFITS,)
