{#- Shared building blocks of the indicator models. -#}

{#- Area x month rows for the months in which a source entity was delivered. -#}
{% macro delivered_area_months(system, entity) -%}
    select area_months.*
    from {{ ref('int_area_months') }} as area_months
    inner join {{ ref('stg_extract__deliveries') }} as deliveries
        on
            area_months.period = deliveries.period
            and deliveries.system = '{{ system }}'
            and deliveries.entity = '{{ entity }}'
{%- endmacro %}

{#-
    Sum `numerator` (and optionally `denominator`) over the 12 months ending in each
    period of `monthly` (area_id, period, ...), keeping only periods with 12 delivered
    months in the window. Each window also carries the counts of its newest and its
    oldest month (restricted): disclosure control needs the monthly counts that
    overlapping windows differ by.
-#}
{% macro rolling_12_months(monthly, indicator_id, numerator, denominator, sum_denominator=false) -%}
    select
        area_id,
        period,
        '{{ indicator_id }}' as indicator_id,
        numerator,
        denominator,
        month_numerator,
        month_denominator,
        first_month_numerator,
        first_month_denominator
    from (
        select
            area_id,
            period,
            sum({{ numerator }}) over rolling_year as numerator,
            {% if sum_denominator %}sum({{ denominator }}) over rolling_year
            {%- else %}{{ denominator }}{% endif %} as denominator,
            {{ numerator }} as month_numerator,
            {% if sum_denominator %}{{ denominator }}
            {%- else %}cast(null as bigint){% endif %} as month_denominator,
            first_value({{ numerator }}) over rolling_year as first_month_numerator,
            {% if sum_denominator %}first_value({{ denominator }}) over rolling_year
            {%- else %}cast(null as bigint){% endif %} as first_month_denominator,
            count(*) over rolling_year as months_in_window
        from {{ monthly }}
        window rolling_year as (
            partition by area_id
            order by period
            range between interval '11 months' preceding and current row
        )
    ) as windowed
    where months_in_window = 12
{%- endmacro %}

{#-
    Of the residents of an age band in an area on the first of each delivered month, those
    with at least one case of `kind` in the 12 months ending in that month, wherever they
    lived when the case came: numerator and denominator are the same people (the question
    is "how many of the children living here now"). Only months with 12 delivered months in
    the window. Like rolling_12_months, each window carries those residents with a case in
    its newest and in its oldest month (restricted).
-#}
{% macro people_with_cases_12_months(months, cases, people, kind, indicator_id, min_age, max_age) -%}
    select
        windowed.area_id,
        windowed.period,
        '{{ indicator_id }}' as indicator_id,
        count(distinct cases.person_key) as numerator,
        count(distinct residents.person_key) as denominator,
        count(distinct cases.person_key) filter (
            where cases.period = windowed.period
        ) as month_numerator,
        cast(null as bigint) as month_denominator,
        count(distinct cases.person_key) filter (
            where cases.period = cast({{ dbt.dateadd('month', -11, 'windowed.period') }} as date)
        ) as first_month_numerator,
        cast(null as bigint) as first_month_denominator
    from (
        select
            area_id,
            period,
            count(*) over (
                partition by area_id
                order by period
                range between interval '11 months' preceding and current row
            ) as months_in_window
        from {{ months }}
    ) as windowed
    left join {{ people }} as residents
        on
            windowed.area_id = residents.area_id
            and windowed.period = residents.period
            and residents.age between {{ min_age }} and {{ max_age }}
    left join {{ cases }} as cases
        on
            residents.person_key = cases.person_key
            and cases.kind = '{{ kind }}'
            and cases.period > windowed.period - interval '12 months'
            and cases.period <= windowed.period
    where windowed.months_in_window = 12
    group by windowed.area_id, windowed.period
{%- endmacro %}

{#- The month-count columns of rolling windows, empty, for values of a single month. -#}
{% macro no_month_counts() -%}
    cast(null as bigint) as month_numerator,
    cast(null as bigint) as month_denominator,
    cast(null as bigint) as first_month_numerator,
    cast(null as bigint) as first_month_denominator
{%- endmacro %}
