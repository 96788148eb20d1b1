{#-
    Generic test: the combination of columns is unique (dbt_utils is unreachable here).
    A run given the months it changed (var `period_from`, macros/incremental.sql) tests
    only the periods from there on when `period` is one of the columns: a duplicate then
    lies within one period, and no run rewrites a period before `period_from`. A full
    refresh tests every period.
-#}
{% test unique_combination(model, columns) %}
    select {{ columns | join(', ') }}
    from {{ model }}
    {%- if 'period' in columns and var('period_from', none) and not flags.FULL_REFRESH %}
    where period >= cast('{{ var("period_from") }}' as date)
    {%- endif %}
    group by {{ columns | join(', ') }}
    having count(*) > 1
{% endtest %}
