{#- Completed years of age on a given day (portable: DuckDB and PostgreSQL). -#}
{% macro age_in_years(birth_date, on_date) -%}
    cast(date_part('year', age({{ on_date }}, {{ birth_date }})) as integer)
{%- endmacro %}
