{#-
    `text` with each placeholder {outside_work_education}, {public_benefit} and
    {cash_benefit} replaced by the benefit types the seed benefit_types flags so (columns
    of a `benefit_lists` relation in scope).
-#}
{% macro with_benefit_lists(text) -%}
    replace(
        replace(
            replace(
                {{ text }}, '{outside_work_education}', benefit_lists.outside_work_education
            ),
            '{public_benefit}', benefit_lists.public_benefit
        ),
        '{cash_benefit}', benefit_lists.cash_benefit
    )
{%- endmacro %}
