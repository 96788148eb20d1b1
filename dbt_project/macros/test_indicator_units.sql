{#-
    Generic tests of an indicator table that depend on each indicator's unit in the
    catalogue (`catalogue`: a ref to the seed, or to dim_indicator for the marts, so
    that a mart's tests run in the same Dagster step as the mart).
-#}

{#- Shares (unit pct) are proportions: 0 <= value <= 1. -#}
{% test share_is_proportion(model, column_name, catalogue) %}
    select facts.*
    from {{ model }} as facts
    inner join {{ catalogue }} as catalogue on facts.indicator_id = catalogue.indicator_id
    where
        catalogue.unit = 'pct'
        and (facts.{{ column_name }} < 0 or facts.{{ column_name }} > 1)
{% endtest %}

{#- numerator <= denominator, except for ratios to a reference (observed / expected). -#}
{% test numerator_within_denominator(model, column_name, catalogue) %}
    select facts.*
    from {{ model }} as facts
    inner join {{ catalogue }} as catalogue on facts.indicator_id = catalogue.indicator_id
    where catalogue.unit != 'ratio' and facts.{{ column_name }} > facts.denominator
{% endtest %}
