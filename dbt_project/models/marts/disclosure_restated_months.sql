-- The months a restatement has changed since the first publish: those where the fact
-- withdraws or changes a cell the live copy shows, and those the live copy names
-- already. Published (as restated_months), so the next marts build remembers them
-- (quality/disclosure_memory.py) and the fact keeps such a month's hidden cells hidden
-- in every later copy: a copy from before the restatement, set beside any later one,
-- shows what moved.
{{ config(materialized='table') }}

with live_copy as (
    select * from {{ source('publication', 'published_cells') }}
    where not suppressed
),

fact as (
    select * from {{ ref('fct_area_indicator_month') }}
)

select period from {{ source('publication', 'restated_months') }}
union
select live_copy.period
from live_copy
inner join fact
    on
        live_copy.area_id = fact.area_id
        and live_copy.period = fact.period
        and live_copy.indicator_id = fact.indicator_id
where not {{ same_values('fact', 'live_copy') }}
