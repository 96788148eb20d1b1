{#-
    The first day of a month of a year (DuckDB and PostgreSQL both have make_date; dbt's
    cross-database macros have no equivalent). Other date arithmetic uses dbt's own
    dateadd, datediff and last_day.
-#}
{% macro make_month(year, month) -%}
    make_date(cast({{ year }} as integer), {{ month }}, 1)
{%- endmacro %}
