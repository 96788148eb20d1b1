"""Job centre: benefit spells and the work/education status of young people."""

from sources.contracts import Column, Contract, Interval

BENEFIT_TYPES = (
    "kontanthjælp",
    "uddannelseshjælp",
    "selvforsørgelsesydelse",
    "hjemrejseydelse",
    "overgangsydelse",
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
YOUTH_STATUS = ("beskæftiget", "uddannelse", "ledig", "uden_for")

BENEFITS = Contract(
    system="employment",
    entity="benefits",
    fmt="csv",
    source="ydelser.csv",
    description="Benefit spells overlapping the month with their weekly extent (1 = full time).",
    intervals=(Interval("start_date", "end_date"),),
    key=("person_key", "benefit_type", "start_date"),
    columns=(
        Column("cpr", "person_key", "cpr"),
        Column("ydelse", "benefit_type", "enum", allowed=BENEFIT_TYPES),
        Column("startdato", "start_date", "date"),
        Column("slutdato", "end_date", "date", nullable=True),
        Column(
            "ugentligt_omfang",
            "weekly_extent",
            "decimal",
            minimum=0,
            maximum=1,
            description="Share of a full week on the benefit (0-1).",
        ),
    ),
)

YOUTH_STATUS_MONTH = Contract(
    system="employment",
    entity="youth_status",
    fmt="csv",
    source="ungestatus.csv",
    description="Work/education status of residents aged 16-24 in the month; NEET = neither "
    "in employment, education nor training.",
    key=("person_key",),
    columns=(
        Column("cpr", "person_key", "cpr"),
        Column("status", "status", "enum", allowed=YOUTH_STATUS),
        Column("neet", "neet", "yes_no"),
    ),
)

CONTRACTS = (BENEFITS, YOUTH_STATUS_MONTH)
