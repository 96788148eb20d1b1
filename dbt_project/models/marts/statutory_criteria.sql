-- The statutory criteria of almenboligloven sections 61 a and 61 b per housing area and list
-- year Y (the lists the ministry publishes on 1 December of Y): the four criteria, which
-- thresholds are met, the classification and the distance to each threshold (positive: on
-- the meeting side).
--
-- Reference periods for the list of 1 December Y (the ministry's method: residents at
-- 1 January of the list year, "seneste 2 år" = the last two calendar years before it; see
-- "Statutory criteria" in README.md for the sources):
--   residents, non-western share  residents at 1 January Y            national file of Y
--   criterion 1 (2-year average)  calendar years Y-2 and Y-1         24 monthly cells
--   criterion 2 (2-year average)  calendar years Y-2 and Y-1         national files of Y-1, Y
--   criterion 3 (latest year)     education register at 1 January Y  national file of Y
--   criterion 4 (latest year)     income year Y-1                    national file of Y
-- A national file dated 1 January Y is the snapshot delivered for list year Y: residents at
-- that date and the yearly figures of the calendar year just ended (Y-1).
--
-- Preliminary: a list year after the newest national file (it comes in the spring)
-- whose criterion 1 is complete (the 24 months of Y-2 and Y-1, the municipality's own
-- data) gets a row for each housing area, criterion 1 known and the rest unknown: the
-- one criterion the municipality can watch before the national figures come. The
-- national file's rows replace them when it arrives.
--
-- Unknown is not "not met": a criterion whose inputs are missing (fewer than 24 months,
-- no file for Y-1) has a null value and a null met flag. An area is udsat when at least 2
-- criteria are met, not udsat when too few can be met even if every unknown were, and
-- unknown in between; the same three-valued logic runs through parallelsamfund,
-- forebyggelse and the 5-year omdannelse run, where a year without a decided
-- parallelsamfund flag (unknown or not delivered, including years before the data start)
-- makes the run undecidable unless a known non-parallelsamfund year already breaks it.
-- The lists are exclusive as the ministry publishes them: udsat contains parallelsamfund
-- contains omdannelse (the flags nest), and an udsat area is never a forebyggelsesområde;
-- classification names the most specific list, or 'ukendt' when it cannot be decided.
--
-- Published: a criterion's value is shown only where every fact cell it is computed
-- from is published (criterion 1 sums 24 monthly cells, criterion 2 two yearly ones: a
-- published year and the 2-year value would give a hidden year away). The residents and
-- the non-western share follow the primary rule on their own counts, and are withheld
-- where the fact (or an earlier copy) hides the register's January count they equal or
-- nearly equal (the share also with the residents: with the register's non-western
-- count it gives them).
-- Everything else is computed from what is shown: a withheld value is unknown in its
-- flag, the counts and the lists as well, since each of them would bound it from one
-- side (an area whose list a withheld value could change is 'ukendt').
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
        max(case when rule = 'min_criteria' then udsat end) as min_criteria,
        max(case when rule = 'min_criteria' then forebyggelse end) as min_forebyggelse_criteria
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
    -- Criterion 1 pools the 12 monthly FTE counts of a calendar year. As exact decimals
    -- (the restricted model rounds the cells to six): a sum of doubles depends on the
    -- order of summation in its last bits, and every rebuild must give identical marts.
    select
        area_id,
        cast(date_part('year', period) as integer) as calendar_year,
        sum(cast(numerator as decimal(18, 6))) as fte_outside,
        sum(cast(denominator as decimal(18, 6))) as resident_months,
        count(*) as months
    from {{ ref('restricted_area_indicator_month') }}
    where indicator_id = 'emp_outside_work_edu'
    group by area_id, cast(date_part('year', period) as integer)
),

list_years as (
    -- Every national file's list year, and the preliminary ones (above) of housing areas.
    select
        area_id,
        list_year,
        false as preliminary
    from stats
    union all
    select
        year_1.area_id,
        year_1.calendar_year + 1 as list_year,
        true as preliminary
    from outside_by_year as year_1
    inner join outside_by_year as year_2
        on year_1.area_id = year_2.area_id and year_2.calendar_year = year_1.calendar_year - 1
    where
        year_1.months = 12
        and year_2.months = 12
        and year_1.area_id not in ('outside', 'municipality')
        -- After the newest file: a year some file covers is decided (an area the file
        -- leaves out has no row, as before), and no national file at all makes none.
        and year_1.calendar_year + 1 > (select max(newest.list_year) from stats as newest)
),

criteria as (
    -- Criterion 1: the 24 months of calendar years Y-2 and Y-1. Criterion 2: the files of
    -- Y-1 and Y (convictions in Y-2 and Y-1), pooled, relative to the mean national share.
    -- Criteria 3 and 4: the file of Y. Null when an input is missing.
    select
        list_years.area_id,
        list_years.list_year,
        list_years.preliminary,
        stats.residents_1_january,
        stats.non_western,
        cast(stats.non_western as double precision) / nullif(stats.residents_1_january, 0)
            as non_western_share,
        case
            when year_1.months = 12 and year_2.months = 12
                then
                    cast(year_1.fte_outside + year_2.fte_outside as double precision)
                    / nullif(year_1.resident_months + year_2.resident_months, 0)
        end as c1_outside_work_edu,
        (
            cast(stats.convicted_18_plus + previous.convicted_18_plus as double precision)
            / nullif(stats.residents_18_plus + previous.residents_18_plus, 0)
        )
        / nullif((stats.national_conviction_share + previous.national_conviction_share) / 2, 0)
            as c2_conviction_ratio,
        cast(stats.basic_education_30_59 as double precision) / nullif(stats.residents_30_59, 0)
            as c3_basic_education,
        cast(stats.mean_gross_income as double precision)
        / nullif(stats.regional_mean_gross_income, 0) as c4_income_ratio,
        -- Whether the inputs were delivered: a value they make null (a zero denominator)
        -- is then named as withheld like any other, so null names no denominator.
        coalesce(year_1.months = 12 and year_2.months = 12, false) as c1_delivered,
        stats.area_id is not null and previous.area_id is not null as c2_delivered,
        stats.area_id is not null as national_delivered
    from list_years
    left join stats
        on list_years.area_id = stats.area_id and list_years.list_year = stats.list_year
    left join stats as previous
        on list_years.area_id = previous.area_id and previous.list_year = list_years.list_year - 1
    left join outside_by_year as year_1
        on list_years.area_id = year_1.area_id and year_1.calendar_year = list_years.list_year - 1
    left join outside_by_year as year_2
        on list_years.area_id = year_2.area_id and year_2.calendar_year = list_years.list_year - 2
),

published_cells as (
    -- Per area and year, the published fact's unsuppressed cells behind each criterion,
    -- and its hidden January cells of the register's residents and non-western residents,
    -- which the national file's counts equal or nearly equal. (The residents are also
    -- the income ratio's denominator, which a hidden income cell does not protect: its
    -- income is the hidden quantity.)
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
            as c4_cells,
        count(*) filter (
            where suppressed and indicator_id = 'pop_residents' and date_part('month', period) = 1
        ) as residents_hidden,
        count(*) filter (
            where suppressed and indicator_id = 'pop_non_western' and date_part('month', period) = 1
        ) as non_western_hidden
    from (
        select
            area_id,
            period,
            indicator_id,
            suppressed
        from {{ ref('fct_area_indicator_month') }}
        union all
        -- A register count an earlier copy hid stays hidden though the fact no longer
        -- holds it (an area gone from a month's register): the memory's hidden cells.
        select
            area_id,
            period,
            indicator_id,
            suppressed
        from {{ source('publication', 'published_cells') }}
        where suppressed and indicator_id in ('pop_residents', 'pop_non_western')
    ) as cells
    group by area_id, cast(date_part('year', period) as integer)
),

publishable as (
    -- A value is shown when every fact cell it is computed from is published, and a
    -- count when it is no cell the fact hides and passes the primary rule itself.
    select
        criteria.*,
        not {{ is_sensitive(
            'criteria.residents_1_january', 'criteria.residents_1_january', '0'
        ) }}
        and coalesce(list_year.residents_hidden, 0) = 0 as residents_public,
        not {{ is_sensitive('criteria.non_western', 'criteria.residents_1_january') }}
        and coalesce(list_year.non_western_hidden, 0) = 0
        and coalesce(list_year.residents_hidden, 0) = 0 as non_western_public,
        coalesce(year_1.c1_cells, 0) = 12 and coalesce(year_2.c1_cells, 0) = 12 as c1_public,
        coalesce(list_year.c2_cells, 0) = 1 and coalesce(year_1.c2_cells, 0) = 1 as c2_public,
        coalesce(list_year.c3_cells, 0) = 1 as c3_public,
        coalesce(list_year.c4_cells, 0) = 1 as c4_public
    from criteria
    cross join {{ ref('disclosure_rules') }} as rules
    left join published_cells as list_year
        on
            criteria.area_id = list_year.area_id
            and criteria.list_year = list_year.calendar_year
    left join published_cells as year_1
        on
            criteria.area_id = year_1.area_id
            and year_1.calendar_year = criteria.list_year - 1
    left join published_cells as year_2
        on
            criteria.area_id = year_2.area_id
            and year_2.calendar_year = criteria.list_year - 2
),

shown as (
    -- The values as published: the rest of the model sees nothing withheld. Withheld
    -- names every value not shown whose inputs were delivered.
    select
        area_id,
        list_year,
        preliminary,
        case when residents_public then residents_1_january end as residents_1_january,
        case when non_western_public then non_western_share end as non_western_share,
        case when c1_public then c1_outside_work_edu end as c1_outside_work_edu,
        case when c2_public then c2_conviction_ratio end as c2_conviction_ratio,
        case when c3_public then c3_basic_education end as c3_basic_education,
        case when c4_public then c4_income_ratio end as c4_income_ratio,
        nullif(concat_ws(
            ', ',
            case when national_delivered and not residents_public then 'residents_1_january' end,
            case when national_delivered and not non_western_public then 'non_western_share' end,
            case when c1_delivered and not c1_public then 'c1_outside_work_edu' end,
            case when c2_delivered and not c2_public then 'c2_conviction_ratio' end,
            case when national_delivered and not c3_public then 'c3_basic_education' end,
            case when national_delivered and not c4_public then 'c4_income_ratio' end
        ), '') as withheld_values
    from publishable
),

met as (
    -- Three-valued: a comparison with an unknown (null) value is unknown (null).
    select
        shown.*,
        thresholds.*,
        shown.c1_outside_work_edu > thresholds.c1_udsat as c1_met,
        shown.c2_conviction_ratio >= thresholds.c2_udsat as c2_met,
        shown.c3_basic_education > thresholds.c3_udsat as c3_met,
        shown.c4_income_ratio < thresholds.c4_udsat as c4_met,
        shown.c1_outside_work_edu > thresholds.c1_forebyggelse as c1_forebyggelse_met,
        shown.c2_conviction_ratio >= thresholds.c2_forebyggelse as c2_forebyggelse_met,
        shown.c3_basic_education > thresholds.c3_forebyggelse as c3_forebyggelse_met,
        shown.c4_income_ratio < thresholds.c4_forebyggelse as c4_forebyggelse_met,
        shown.residents_1_january >= thresholds.min_residents as has_min_residents,
        shown.c1_outside_work_edu - thresholds.c1_udsat as c1_distance,
        shown.c2_conviction_ratio - thresholds.c2_udsat as c2_distance,
        shown.c3_basic_education - thresholds.c3_udsat as c3_distance,
        thresholds.c4_udsat - shown.c4_income_ratio as c4_distance
    from shown
    cross join thresholds
),

counted as (
    select
        *,
        cast(coalesce(c1_met, false) as integer) + cast(coalesce(c2_met, false) as integer)
        + cast(coalesce(c3_met, false) as integer) + cast(coalesce(c4_met, false) as integer)
            as criteria_met,
        cast(coalesce(c1_forebyggelse_met, false) as integer)
        + cast(coalesce(c2_forebyggelse_met, false) as integer)
        + cast(coalesce(c3_forebyggelse_met, false) as integer)
        + cast(coalesce(c4_forebyggelse_met, false) as integer)
            as forebyggelse_criteria_met,
        cast(c1_met is null as integer) + cast(c2_met is null as integer)
        + cast(c3_met is null as integer) + cast(c4_met is null as integer)
            as criteria_unknown
    from met
),

enough as (
    -- Enough criteria met: true, false, or null when the unknown ones would decide it.
    select
        *,
        case
            when criteria_met >= min_criteria then true
            when criteria_met + criteria_unknown < min_criteria then false
        end as enough_criteria,
        case
            when forebyggelse_criteria_met >= min_forebyggelse_criteria then true
            when forebyggelse_criteria_met + criteria_unknown < min_forebyggelse_criteria
                then false
        end as enough_forebyggelse_criteria
    from counted
),

listed as (
    -- SQL's and/not are three-valued: false wins over null, null over true.
    select
        *,
        has_min_residents and enough_criteria as is_udsat,
        has_min_residents and enough_criteria
        and non_western_share > parallel_non_western as is_parallelsamfund,
        has_min_residents and enough_forebyggelse_criteria
        and non_western_share > forebyggelse_non_western
        and not enough_criteria as is_forebyggelsesomraade
    from enough
),

with_history as (
    -- Omdannelsesområde: parallelsamfund in each of the last 5 list years, this one
    -- included. The 4 years before count as known parallelsamfund, known not, or unknown
    -- (null flag, or no row: not delivered or before the data start).
    select
        *,
        count(*) filter (where is_parallelsamfund) over earlier as parallel_years_before,
        count(*) filter (where not is_parallelsamfund) over earlier as other_years_before
    from listed
    window earlier as (
        partition by area_id order by list_year
        range between 4 preceding and 1 preceding
    )
),

classified as (
    select
        *,
        case
            when not is_parallelsamfund or other_years_before > 0 then false
            when is_parallelsamfund and parallel_years_before = 4 then true
        end as is_omdannelsesomraade
    from with_history
),

labelled as (
    -- One list per area: the most specific one that is decided, else 'ukendt'.
    select
        *,
        case
            when is_omdannelsesomraade then 'omdannelsesområde'
            when is_parallelsamfund and not is_omdannelsesomraade then 'parallelsamfund'
            when is_udsat and not is_parallelsamfund then 'udsat boligområde'
            when is_forebyggelsesomraade then 'forebyggelsesområde'
            when not is_udsat and not is_forebyggelsesomraade then 'ingen'
            else 'ukendt'
        end as classification
    from classified
)

select
    area_id,
    list_year,
    preliminary,
    residents_1_january,
    c1_met,
    c2_met,
    c3_met,
    c4_met,
    criteria_met,
    criteria_unknown,
    forebyggelse_criteria_met,
    has_min_residents,
    is_udsat,
    is_parallelsamfund,
    is_omdannelsesomraade,
    is_forebyggelsesomraade,
    non_western_share,
    c1_outside_work_edu,
    c2_conviction_ratio,
    c3_basic_education,
    c4_income_ratio,
    c1_distance,
    c2_distance,
    c3_distance,
    c4_distance,
    classification,
    withheld_values
from labelled
