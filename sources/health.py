"""Health and prevention: a paginated JSON API ($KVARTER_HEALTH_API_URL).

GET <base><endpoint>?month=YYYY-MM returns {"items": [...], "next": <url or null>}.
"""

from sources.contracts import Column, Contract, Interval

HOME_VISITS = Contract(
    system="health",
    entity="home_visits",
    fmt="http",
    source="/v1/forebyggende-hjemmebesoeg",
    description="Preventive home visits offered to residents 75+ in the month, and whether "
    "they were accepted.",
    key=("person_key", "offered_date"),
    columns=(
        Column("cpr", "person_key", "cpr"),
        Column("tilbudsdato", "offered_date", "date"),
        Column("accepteret", "accepted", "yes_no"),
    ),
)

SMOKING_CESSATION = Contract(
    system="health",
    entity="smoking_cessation",
    fmt="http",
    source="/v1/rygestop",
    description="Smoking-cessation courses started in the month.",
    key=("course_id",),
    columns=(
        Column("forloeb_id", "course_id", "text"),
        Column("cpr", "person_key", "cpr"),
        Column("startdato", "start_date", "date"),
    ),
)

REHABILITATION = Contract(
    system="health",
    entity="rehabilitation",
    fmt="http",
    source="/v1/genoptraening",
    description="Chronic-disease rehabilitation courses started or ended in the month.",
    intervals=(Interval("start_date", "end_date"),),
    key=("course_id",),
    columns=(
        Column("forloeb_id", "course_id", "text"),
        Column("cpr", "person_key", "cpr"),
        Column("startdato", "start_date", "date"),
        Column("slutdato", "end_date", "date", nullable=True),
        Column(
            "gennemfoert",
            "completed",
            "yes_no",
            nullable=True,
            description="Set when the course has ended: completed or dropped out.",
        ),
    ),
)

CONTRACTS = (HOME_VISITS, SMOKING_CESSATION, REHABILITATION)
