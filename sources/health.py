"""Health and prevention: preventive home visits offered to residents 75+."""

from sources.contracts import Column, Contract

HOME_VISITS = Contract(
    system="health",
    entity="home_visits",
    file_name="forebyggende_hjemmebesoeg.csv",
    description="Preventive home visits offered in the month and whether they were accepted.",
    key=("person_key", "offered_date"),
    columns=(
        Column("cpr", "person_key", "cpr"),
        Column("tilbudsdato", "offered_date", "date"),
        Column("accepteret", "accepted", "yes_no"),
    ),
)

CONTRACTS = (HOME_VISITS,)
