select
    period,
    concern_id,
    person_key,
    opened_date
from {{ source('children_youth', 'ssp_concerns') }}
