-- The Kvarterprofil: one row per area (and 'outside' and the whole municipality) and
-- month, with every catalogue indicator's published value, its change over 12 months
-- and its rank among the housing areas (1 = the worst in the indicator's bad direction,
-- or the farthest outside its agreed band; context indicators rank from the
-- highest). Suppressed values stay null here too.
{%- set indicators = [] %}
{%- if execute %}
    {%- set indicators = run_query(
        "select indicator_id from " ~ ref('indicator_catalogue') ~ " order by indicator_id"
    ).columns[0].values() %}
{%- endif %}
-- Rebuilt whole, like the fact it reads: secondary suppression of any month can change.
{{ config(materialized='table') }}

with facts as (
    select * from {{ ref('fct_area_indicator_month') }}
),

catalogue as (
    select * from {{ ref('indicator_catalogue') }}
),

compared as (
    select
        facts.area_id,
        facts.period,
        facts.indicator_id,
        facts.value,
        facts.value - year_before.value as change_12m,
        case
            when facts.area_id not in ('outside', 'municipality') and facts.value is not null
                then rank() over (
                    partition by
                        facts.indicator_id,
                        facts.period,
                        facts.area_id not in ('outside', 'municipality')
                        and facts.value is not null
                    order by
                        case catalogue.worse_when
                            when 'lower' then -facts.value
                            -- Inside the agreed band all tie; outside, the farthest is worst.
                            when 'outside_band'
                                then greatest(
                                    catalogue.band_low - facts.value,
                                    facts.value - catalogue.band_high,
                                    0
                                )
                            else facts.value
                        end desc
                )
        end as area_rank
    from facts
    inner join catalogue on facts.indicator_id = catalogue.indicator_id
    left join facts as year_before
        on
            facts.area_id = year_before.area_id
            and facts.indicator_id = year_before.indicator_id
            and year_before.period = cast(facts.period - interval '12 months' as date)
)

select
    compared.area_id,
    areas.area_name,
    areas.area_level,
    {%- for indicator in indicators %}
        max(
            case when compared.indicator_id = '{{ indicator }}' then compared.value end
        ) as {{ indicator }},
        max(
            case when compared.indicator_id = '{{ indicator }}' then compared.change_12m end
        ) as {{ indicator }}_change_12m,
        max(
            case when compared.indicator_id = '{{ indicator }}' then compared.area_rank end
        ) as {{ indicator }}_rank,
    {%- endfor %}
    compared.period
from compared
inner join {{ ref('dim_area') }} as areas on compared.area_id = areas.area_id
group by compared.area_id, areas.area_name, areas.area_level, compared.period
