"""Housing allocation system: tenancy move-outs."""

from sources.contracts import Column, Contract

MOVE_OUTS = Contract(
    system="housing",
    entity="move_outs",
    file_name="fraflytninger.csv",
    description="Tenancies ended in the month (one row per move-out of a dwelling).",
    key=("tenancy_id",),
    columns=(
        Column("lejemaal_id", "tenancy_id", "text"),
        Column("adresse_id", "address_id", "text"),
        Column("fraflytningsdato", "move_out_date", "date"),
    ),
)

CONTRACTS = (MOVE_OUTS,)
