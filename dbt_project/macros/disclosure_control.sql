{#-
    Primary suppression (domain brief, "Disclosure control"): a cell is suppressed when
    its numerator is 1-4, when denominator minus numerator is 1-4, or when its
    denominator is under 20. Counts without a denominator are suppressed at 1-4.
    Returns the reason code, or null when the cell may be published.
-#}
{% macro suppression_reason(numerator, denominator) -%}
    case
        when {{ denominator }} is null and {{ numerator }} > 0 and {{ numerator }} < 5
            then 'small_count'
        when {{ denominator }} < 20 then 'small_denominator'
        when {{ numerator }} > 0 and {{ numerator }} < 5 then 'small_numerator'
        when
            {{ denominator }} - {{ numerator }} > 0
            and {{ denominator }} - {{ numerator }} < 5
            then 'small_complement'
    end
{%- endmacro %}
