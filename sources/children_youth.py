"""Children and youth: school absence per pupil and month."""

from sources.contracts import Column, Contract

SCHOOL_ABSENCE = Contract(
    system="children_youth",
    entity="school_absence",
    file_name="skolefravaer.csv",
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

CONTRACTS = (SCHOOL_ABSENCE,)
