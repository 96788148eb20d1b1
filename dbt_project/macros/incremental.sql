{#-
    Incremental monthly builds. A run names the months that changed (first days of
    months): Dagster sets the environment variables KVARTER_PERIOD_FROM and
    KVARTER_PERIOD_TO, and a run by hand may pass the vars `period_from` and `period_to`
    instead. A model then rebuilds only the periods from the first to `later_months`
    after the last: the rolling 12-month windows that contain a changed month end up to
    11 months later. Inputs that feed such windows are read from `lookback_months` before
    the first. A full build (first run, --full-refresh, or no months) filters nothing.
-#}
{% macro in_refresh_window(column, lookback_months=0, later_months=11) -%}
    {%- set first_month = run_month('from') -%}
    {%- if is_incremental() and first_month -%}
        {%- set first = "date '" ~ first_month ~ "'" -%}
        {%- set last = "date '" ~ run_month('to') ~ "'" -%}
        {{ column }} between cast({{ dbt.dateadd('month', -lookback_months, first) }} as date)
        and cast({{ dbt.dateadd('month', later_months, last) }} as date)
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#-
    The run's first or last changed month (`bound`: 'from' or 'to'; the last defaults to
    the first), or none. Both from the vars when `period_from` is given, else both from
    the environment: a run by hand with vars never takes one bound from a variable left
    set in the shell. Read only when executing: the parse does not depend on it, so every
    run reuses one parse of the project (dbt re-parses it whole when `--vars` differ from
    the last parse's, and re-parses a file whose environment variables changed).
-#}
{% macro run_month(bound) -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if var('period_from', none) -%}
        {%- set first, last = var('period_from'), var('period_to', none) -%}
    {%- else -%}
        {%- set first = env_var('KVARTER_PERIOD_FROM', '') or none -%}
        {%- set last = env_var('KVARTER_PERIOD_TO', '') or none -%}
    {%- endif -%}
    {{ return(first if bound == 'from' else (last or first)) }}
{%- endmacro %}
