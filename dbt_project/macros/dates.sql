{#- Portable date arithmetic (DuckDB and PostgreSQL). -#}

{#- Last day of the month that starts on month_start. -#}
{% macro month_end(month_start) -%}
    (cast({{ month_start }} + interval '1 month' as date) - 1)
{%- endmacro %}

{#- Whole days from a to b (b - a). -#}
{% macro days_between(a, b) -%}
    ({{ b }} - {{ a }})
{%- endmacro %}
