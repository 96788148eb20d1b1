-- An area's rank in an indicator judged by an agreed band is 1 + the number of housing
-- areas of that month farther outside the band: those inside all tie, and no area inside
-- it ranks as worse than one outside (counted here without a window function).
with values_ as (
    select
        facts.area_id,
        facts.period,
        facts.indicator_id,
        greatest(catalogue.band_low - facts.value, facts.value - catalogue.band_high, 0)
            as distance
    from {{ ref('fct_area_indicator_month') }} as facts
    inner join {{ ref('indicator_catalogue') }} as catalogue
        on facts.indicator_id = catalogue.indicator_id
    where
        catalogue.worse_when = 'outside_band'
        and facts.area_id not in ('outside', 'municipality')
        and facts.value is not null
),

expected as (
    select
        area.area_id,
        area.period,
        area.indicator_id,
        1 + count(farther.area_id) as area_rank
    from values_ as area
    left join values_ as farther
        on
            area.period = farther.period
            and area.indicator_id = farther.indicator_id
            and farther.distance > area.distance
    group by area.area_id, area.period, area.indicator_id
)

{%- set banded = [] %}
{%- if execute %}
    {%- set banded = run_query(
        "select indicator_id from " ~ ref('indicator_catalogue')
        ~ " where worse_when = 'outside_band' order by indicator_id"
    ).columns[0].values() %}
{%- endif %}

select expected.*
from expected
inner join {{ ref('kvarterprofil') }} as profile
    on expected.area_id = profile.area_id and expected.period = profile.period
where
    {%- for indicator in banded %}
        (expected.indicator_id = '{{ indicator }}'
        and profile.{{ indicator }}_rank is distinct from expected.area_rank)
        {%- if not loop.last %} or{% endif %}
    {%- endfor %}
    {%- if not banded %} false{% endif %}
