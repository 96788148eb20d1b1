{#-
    Generic test: the combination of columns is unique (dbt_utils is unreachable here).
    A run given the months it changed (`run_month`, macros/incremental.sql) tests only
    the periods from the first on when `period` is one of the columns: a duplicate then
    lies within one period, and no run rewrites a period before its first month. A full
    refresh tests every period.
-#}
{% test unique_combination(model, columns) %}
    select {{ columns | join(', ') }}
    from {{ model }}
    {%- set first_month = run_month('from') %}
    {%- if 'period' in columns and first_month and not flags.FULL_REFRESH %}
    where period >= cast('{{ first_month }}' as date)
    {%- endif %}
    group by {{ columns | join(', ') }}
    having count(*) > 1
{% endtest %}
