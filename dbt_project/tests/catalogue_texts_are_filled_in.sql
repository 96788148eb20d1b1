-- A published text still holding a {placeholder}: a benefit list the seed does not name.
select indicator_id
from {{ ref('dim_indicator') }}
where
    position('{' in name_da) > 0
    or position('{' in definition) > 0
    or position('{' in numerator) > 0
    or position('{' in coalesce(denominator, '')) > 0
