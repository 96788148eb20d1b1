{#-
    Incremental monthly builds. Dagster passes the months that changed as the vars
    `period_from` and `period_to` (first days of months). A model then rebuilds only the
    periods from `period_from` to `later_months` after `period_to`: the rolling 12-month
    windows that contain a changed month end up to 11 months later. Inputs that feed such
    windows are read from `lookback_months` before `period_from`. A full build (first run,
    --full-refresh, or no vars) filters nothing.
-#}
{% macro in_refresh_window(column, lookback_months=0, later_months=11) -%}
    {%- if is_incremental() and var('period_from', none) -%}
        {%- set first = "date '" ~ var('period_from') ~ "'" -%}
        {%- set last = "date '" ~ var('period_to', var('period_from')) ~ "'" -%}
        {{ column }} between cast({{ dbt.dateadd('month', -lookback_months, first) }} as date)
        and cast({{ dbt.dateadd('month', later_months, last) }} as date)
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
