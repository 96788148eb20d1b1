select
    period,
    person_key,
    birth_date,
    sex,
    origin,
    address_id
from {{ source('population', 'residents') }}
