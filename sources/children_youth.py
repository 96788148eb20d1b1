"""Children and youth: school absence, notifications, SSP, daycare, 9th-grade exams."""

from sources.contracts import Column, Contract

DAYCARE_TYPES = ("dagpleje", "vuggestue", "børnehave", "integreret")

SCHOOL_ABSENCE = Contract(
    system="children_youth",
    entity="school_absence",
    fmt="xlsx",
    source="skolefravaer.xlsx",
    description="School days and absence days by type per pupil in grades 0-9 for the month.",
    key=("person_key",),
    columns=(
        Column("cpr", "person_key", "cpr"),
        Column("klassetrin", "grade", "int", minimum=0, maximum=10),
        Column("skoledage", "school_days", "int", minimum=0, maximum=23),
        Column("sygefravaer", "sick_days", "decimal", minimum=0, maximum=23),
        Column("lovligt_fravaer", "permitted_days", "decimal", minimum=0, maximum=23),
        Column("ulovligt_fravaer", "unlawful_days", "decimal", minimum=0, maximum=23),
    ),
)

NOTIFICATIONS = Contract(
    system="children_youth",
    entity="notifications",
    fmt="csv",
    source="underretninger.csv",
    description="Child-welfare notifications received in the month.",
    key=("notification_id",),
    columns=(
        Column("underretning_id", "notification_id", "text"),
        Column("cpr", "person_key", "cpr"),
        Column("modtaget", "received_date", "date"),
    ),
)

SSP_CONCERNS = Contract(
    system="children_youth",
    entity="ssp_concerns",
    fmt="csv",
    source="ssp_bekymringer.csv",
    description="SSP (school, social services, police) concerns opened in the month.",
    key=("concern_id",),
    columns=(
        Column("sag_id", "concern_id", "text"),
        Column("cpr", "person_key", "cpr"),
        Column("oprettet", "opened_date", "date"),
    ),
)

DAYCARE = Contract(
    system="children_youth",
    entity="daycare",
    fmt="csv",
    source="dagtilbud.csv",
    description="Children enrolled in daycare in the month.",
    key=("person_key",),
    columns=(
        Column("cpr", "person_key", "cpr"),
        Column("dagtilbudstype", "daycare_type", "enum", allowed=DAYCARE_TYPES),
        Column("startdato", "start_date", "date"),
    ),
)

GRADE9_EXAMS = Contract(
    system="children_youth",
    entity="grade9_exams",
    fmt="csv",
    source="afgangsproever.csv",
    cadence="yearly",
    description="9th-grade exam results in Danish and maths (delivered yearly, after June).",
    key=("person_key",),
    columns=(
        Column("cpr", "person_key", "cpr"),
        Column("dansk", "danish_grade", "int", minimum=-3, maximum=12),
        Column("matematik", "maths_grade", "int", minimum=-3, maximum=12),
    ),
)

CONTRACTS = (SCHOOL_ABSENCE, NOTIFICATIONS, SSP_CONCERNS, DAYCARE, GRADE9_EXAMS)
