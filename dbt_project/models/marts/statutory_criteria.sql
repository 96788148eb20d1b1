-- The statutory criteria of almenboligloven section 61a per housing area and list year: the
-- four criteria, who meets which threshold, the classification and the distance to each
-- threshold (positive: on the meeting side). Residents count at 1 January of the list year.
-- Published: a criterion's value (and distance) is withheld when a published fact cell it
-- is computed from is suppressed, or it would undo that suppression (criterion 1 sums 24
-- monthly cells, criterion 2 two yearly ones); the classification is the statutory outcome
-- and is always shown.
with thresholds as (
    select
        max(case when rule = 'c1_outside_work_edu' then udsat end) as c1_udsat,
        max(case when rule = 'c1_outside_work_edu' then forebyggelse end) as c1_forebyggelse,
        max(case when rule = 'c2_conviction_ratio' then udsat end) as c2_udsat,
        max(case when rule = 'c2_conviction_ratio' then forebyggelse end) as c2_forebyggelse,
        max(case when rule = 'c3_basic_education' then udsat end) as c3_udsat,
        max(case when rule = 'c3_basic_education' then forebyggelse end) as c3_forebyggelse,
        max(case when rule = 'c4_income_ratio' then udsat end) as c4_udsat,
        max(case when rule = 'c4_income_ratio' then forebyggelse end) as c4_forebyggelse,
        max(case when rule = 'non_western_share' then udsat end) as parallel_non_western,
        max(case when rule = 'non_western_share' then forebyggelse end) as forebyggelse_non_western,
        max(case when rule = 'min_residents' then udsat end) as min_residents,
        max(case when rule = 'min_criteria' then udsat end) as min_criteria
    from {{ ref('statutory_thresholds') }}
),

stats as (
    select
        area_id,
        cast(date_part('year', period) as integer) as list_year,
        residents_1_january,
        non_western,
        convicted_18_plus,
        residents_18_plus,
        national_conviction_share,
        basic_education_30_59,
        residents_30_59,
        mean_gross_income,
        regional_mean_gross_income
    from {{ ref('stg_national__area_statistics') }}
),

outside_by_year as (
    -- Criterion 1 pools the 12 monthly FTE counts of a calendar year.
    select
        area_id,
        cast(date_part('year', period) as integer) as calendar_year,
        sum(numerator) as fte_outside,
        sum(denominator) as resident_months,
        count(*) as months
    from {{ ref('restricted_area_indicator_month') }}
    where indicator_id = 'emp_outside_work_edu'
    group by area_id, cast(date_part('year', period) as integer)
),

criteria as (
    -- Criteria 1 and 2 average the two years before the list year; 3 and 4 are the list year's.
    select
        stats.area_id,
        stats.list_year,
        stats.residents_1_january,
        stats.non_western,
        cast(stats.non_western as double precision) / nullif(stats.residents_1_january, 0)
            as non_western_share,
        case
            when y1.months = 12 and y2.months = 12
                then (y1.fte_outside + y2.fte_outside) / (y1.resident_months + y2.resident_months)
        end as c1_outside_work_edu,
        (
            cast(stats.convicted_18_plus + previous.convicted_18_plus as double precision)
            / nullif(stats.residents_18_plus + previous.residents_18_plus, 0)
        )
        / nullif((stats.national_conviction_share + previous.national_conviction_share) / 2, 0)
            as c2_conviction_ratio,
        cast(stats.basic_education_30_59 as double precision) / nullif(stats.residents_30_59, 0)
            as c3_basic_education,
        stats.mean_gross_income / nullif(stats.regional_mean_gross_income, 0) as c4_income_ratio
    from stats
    left join stats as previous
        on stats.area_id = previous.area_id and previous.list_year = stats.list_year - 1
    left join outside_by_year as y1
        on stats.area_id = y1.area_id and y1.calendar_year = stats.list_year - 1
    left join outside_by_year as y2
        on stats.area_id = y2.area_id and y2.calendar_year = stats.list_year - 2
),

met as (
    select
        criteria.*,
        thresholds.*,
        coalesce(criteria.c1_outside_work_edu > thresholds.c1_udsat, false) as c1_met,
        coalesce(criteria.c2_conviction_ratio >= thresholds.c2_udsat, false) as c2_met,
        coalesce(criteria.c3_basic_education > thresholds.c3_udsat, false) as c3_met,
        coalesce(criteria.c4_income_ratio < thresholds.c4_udsat, false) as c4_met,
        coalesce(criteria.c1_outside_work_edu > thresholds.c1_forebyggelse, false)
            as c1_forebyggelse_met,
        coalesce(criteria.c2_conviction_ratio >= thresholds.c2_forebyggelse, false)
            as c2_forebyggelse_met,
        coalesce(criteria.c3_basic_education > thresholds.c3_forebyggelse, false)
            as c3_forebyggelse_met,
        coalesce(criteria.c4_income_ratio < thresholds.c4_forebyggelse, false)
            as c4_forebyggelse_met,
        criteria.residents_1_january >= thresholds.min_residents as has_min_residents
    from criteria
    cross join thresholds
),

classified as (
    select
        *,
        cast(c1_met as integer) + cast(c2_met as integer) + cast(c3_met as integer)
        + cast(c4_met as integer) as criteria_met,
        cast(c1_forebyggelse_met as integer) + cast(c2_forebyggelse_met as integer)
        + cast(c3_forebyggelse_met as integer) + cast(c4_forebyggelse_met as integer)
            as forebyggelse_criteria_met
    from met
),

listed as (
    select
        *,
        has_min_residents and criteria_met >= min_criteria as is_udsat,
        has_min_residents and criteria_met >= min_criteria
        and coalesce(non_western_share > parallel_non_western, false) as is_parallelsamfund,
        has_min_residents and forebyggelse_criteria_met >= min_criteria
        and coalesce(non_western_share > forebyggelse_non_western, false)
            as is_forebyggelsesomraade
    from classified
),

with_history as (
    select
        *,
        -- Omdannelsesomraade: parallelsamfund in each of the last 5 years, this one included
        -- (a year without statistics breaks the run).
        count(*) filter (where is_parallelsamfund) over recent as parallel_years
    from listed
    window recent as (
        partition by area_id order by list_year
        range between 4 preceding and current row
    )
),

published_cells as (
    -- Unsuppressed cells of the published fact behind each criterion, per area and year.
    select
        area_id,
        cast(date_part('year', period) as integer) as calendar_year,
        count(*) filter (where indicator_id = 'emp_outside_work_edu' and not suppressed)
            as c1_cells,
        count(*) filter (where indicator_id = 'stat_conviction_ratio' and not suppressed)
            as c2_cells,
        count(*) filter (where indicator_id = 'stat_basic_education' and not suppressed)
            as c3_cells,
        count(*) filter (where indicator_id = 'stat_income_ratio' and not suppressed)
            as c4_cells
    from {{ ref('fct_area_indicator_month') }}
    group by area_id, cast(date_part('year', period) as integer)
),

disclosed as (
    select
        with_history.*,
        not {{ is_sensitive('with_history.non_western', 'with_history.residents_1_january') }}
            as non_western_public,
        coalesce(year_1.c1_cells, 0) = 12 and coalesce(year_2.c1_cells, 0) = 12 as c1_public,
        coalesce(list_year.c2_cells, 0) = 1 and coalesce(year_1.c2_cells, 0) = 1 as c2_public,
        coalesce(list_year.c3_cells, 0) = 1 as c3_public,
        coalesce(list_year.c4_cells, 0) = 1 as c4_public
    from with_history
    cross join {{ ref('disclosure_rules') }} as rules
    left join published_cells as list_year
        on
            with_history.area_id = list_year.area_id
            and with_history.list_year = list_year.calendar_year
    left join published_cells as year_1
        on
            with_history.area_id = year_1.area_id
            and year_1.calendar_year = with_history.list_year - 1
    left join published_cells as year_2
        on
            with_history.area_id = year_2.area_id
            and year_2.calendar_year = with_history.list_year - 2
)

select
    area_id,
    list_year,
    residents_1_january,
    c1_met,
    c2_met,
    c3_met,
    c4_met,
    criteria_met,
    forebyggelse_criteria_met,
    has_min_residents,
    is_udsat,
    is_parallelsamfund,
    is_forebyggelsesomraade,
    case when non_western_public then non_western_share end as non_western_share,
    case when c1_public then c1_outside_work_edu end as c1_outside_work_edu,
    case when c2_public then c2_conviction_ratio end as c2_conviction_ratio,
    case when c3_public then c3_basic_education end as c3_basic_education,
    case when c4_public then c4_income_ratio end as c4_income_ratio,
    case when c1_public then c1_outside_work_edu - c1_udsat end as c1_distance,
    case when c2_public then c2_conviction_ratio - c2_udsat end as c2_distance,
    case when c3_public then c3_basic_education - c3_udsat end as c3_distance,
    case when c4_public then c4_udsat - c4_income_ratio end as c4_distance,
    is_parallelsamfund and parallel_years = 5 as is_omdannelsesomraade,
    case
        when is_parallelsamfund and parallel_years = 5 then 'omdannelsesområde'
        when is_parallelsamfund then 'parallelsamfund'
        when is_udsat then 'udsat boligområde'
        when is_forebyggelsesomraade then 'forebyggelsesområde'
        else 'ingen'
    end as classification,
    nullif(concat_ws(
        ', ',
        case when not non_western_public then 'non_western_share' end,
        case when not c1_public and c1_outside_work_edu is not null then 'c1_outside_work_edu' end,
        case when not c2_public and c2_conviction_ratio is not null then 'c2_conviction_ratio' end,
        case when not c3_public and c3_basic_education is not null then 'c3_basic_education' end,
        case when not c4_public and c4_income_ratio is not null then 'c4_income_ratio' end
    ), '') as withheld_values
from disclosed
