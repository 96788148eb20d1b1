select
    period,
    person_key,
    birth_date,
    sex,
    origin,
    address_id,
    move_in_date,
    move_out_date,
    origin in ('ikke_vestlig_indvandrer', 'ikke_vestlig_efterkommer') as is_non_western
from {{ source('population', 'residents') }}
