{#- Portable date arithmetic (DuckDB and PostgreSQL). -#}

{#- Last day of the month that starts on month_start. -#}
{% macro month_end(month_start) -%}
    (cast({{ month_start }} + interval '1 month' as date) - 1)
{%- endmacro %}

{#- Whole days from a to b (b - a). -#}
{% macro days_between(a, b) -%}
    ({{ b }} - {{ a }})
{%- endmacro %}

{#- The first day of a month of a year (portable: DuckDB and PostgreSQL). -#}
{% macro make_month(year, month) -%}
    make_date(cast({{ year }} as integer), {{ month }}, 1)
{%- endmacro %}

{#- The date `months` whole months after `day` (negative: before). -#}
{% macro add_months(day, months) -%}
    cast({{ day }} + interval '{{ months }} months' as date)
{%- endmacro %}
