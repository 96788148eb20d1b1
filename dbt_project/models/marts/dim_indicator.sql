-- The indicator catalogue as published: the seed's Danish texts with each list of benefit
-- types written out from the seed benefit_types, by the same flags the SQL counts with,
-- so the published definition cannot drift from what is computed.
with benefit_lists as (
    select
        {{ listagg(
            'case when outside_work_education then benefit_type end',
            "', '",
            'order by benefit_type'
        ) }} as outside_work_education,
        {{ listagg(
            'case when public_benefit then benefit_type end', "', '", 'order by benefit_type'
        ) }} as public_benefit,
        {{ listagg(
            'case when cash_benefit then benefit_type end', "', '", 'order by benefit_type'
        ) }} as cash_benefit
    from {{ ref('benefit_types') }}
)

select
    catalogue.indicator_id,
    catalogue.department,
    {{ with_benefit_lists('catalogue.name_da') }} as name_da,
    catalogue.name_en,
    {{ with_benefit_lists('catalogue.definition') }} as definition,
    {{ with_benefit_lists('catalogue.numerator') }} as numerator,
    {{ with_benefit_lists('catalogue.denominator') }} as denominator,
    catalogue.unit,
    catalogue.display_scale,
    catalogue.worse_when,
    catalogue.cadence,
    catalogue.min_denominator,
    -- The udsat value of the statutory rule the indicator is measured against.
    thresholds.udsat as statutory_threshold,
    catalogue.rolling_window,
    catalogue.band_low,
    catalogue.band_high
from {{ ref('indicator_catalogue') }} as catalogue
cross join benefit_lists
left join {{ ref('statutory_thresholds') }} as thresholds
    on catalogue.statutory_rule = thresholds.rule
