{#-
    Primary suppression (domain brief, "Disclosure control"): true when a cell's count is
    1 to min_count - 1, its denominator minus count 1 to min_complement - 1, or its
    denominator under min_denominator. The thresholds are columns of the seed
    `disclosure_rules`, joined as `rules`; `min_denominator` may be the catalogue's
    per-indicator value.
-#}
{% macro is_sensitive(count, population, min_denominator='rules.min_denominator') -%}
    coalesce(
        ({{ count }} > 0 and {{ count }} < rules.min_count)
        or {{ population }} < {{ min_denominator }}
        or (
            {{ population }} - {{ count }} > 0
            and {{ population }} - {{ count }} < rules.min_complement
        ),
        false
    )
{%- endmacro %}

{#-
    The columns every disclosure step reads and passes on. `frozen`: published before
    with the same values, never hidden; `was_published`: published before with any
    values; `implied`: a stock's month after the newest, judged but not published.
-#}
{% macro disclosure_cell_columns(alias) -%}
    {%- for column in [
        'area_id', 'period', 'indicator_id', 'numerator', 'denominator', 'value',
        'is_proportion', 'implied', 'frozen', 'was_published',
    ] %}
        {{ alias }}.{{ column }},
    {%- endfor %}
{%- endmacro %}

{#-
    Secondary suppression, step 1: a stock (seed `disclosure_stock_flows`: the vacant
    dwellings on the 1st) changes each month by its inflow less its outflow, whose rolling
    windows are published, so a published month gives a hidden one away a year later. A
    stock series with a hidden cell is hidden in every month, and the municipality's
    whenever an area's is (else the total less the published areas pins their sum). A
    month published before stays published (`frozen`): see step 1b.
-#}
{% macro hide_stock_series(cells) -%}
    with hidden_series as (
        select distinct
            hidden_cells.area_id,
            hidden_cells.indicator_id
        from {{ cells }} as hidden_cells
        inner join {{ ref('disclosure_stock_flows') }} as flows
            on
                hidden_cells.indicator_id = flows.indicator_id
                and flows.role = 'stock'
        where hidden_cells.hidden
    )

    select
        {{- disclosure_cell_columns('cells') }}
        cells.hidden or (
            not cells.frozen and exists (
                select 1 from hidden_series
                where
                    hidden_series.indicator_id = cells.indicator_id
                    and (
                        hidden_series.area_id = cells.area_id
                        or cells.area_id = 'municipality'
                    )
            )
        ) as hidden
    from {{ cells }} as cells
{%- endmacro %}

{#-
    Secondary suppression, step 1b: a stock a year earlier plus the flows of the twelve
    months since (one published window each) is the stock now. Where a hidden stock
    month's stock a year earlier is published (an earlier copy's, kept), the area's flow
    windows of the month before are hidden. For the month after the newest (`implied`)
    that is done before its flows are published.
-#}
{% macro hide_carrying_flows(cells) -%}
    with carrying as (
        select distinct
            stock.area_id,
            cast({{ dbt.dateadd('month', -1, 'stock.period') }} as date) as period,
            flow.indicator_id
        from {{ cells }} as stock
        inner join {{ ref('disclosure_stock_flows') }} as relation
            on stock.indicator_id = relation.indicator_id and relation.role = 'stock'
        inner join {{ ref('disclosure_stock_flows') }} as flow
            on relation.relation_id = flow.relation_id and flow.role != 'stock'
        inner join {{ cells }} as year_before
            on
                stock.area_id = year_before.area_id
                and stock.indicator_id = year_before.indicator_id
                and year_before.period
                = cast({{ dbt.dateadd('month', -12, 'stock.period') }} as date)
        where stock.hidden and not year_before.hidden
    )

    select
        {{- disclosure_cell_columns('cells') }}
        cells.hidden or (not cells.frozen and carrying.area_id is not null) as hidden
    from {{ cells }} as cells
    left join carrying
        on
            cells.area_id = carrying.area_id
            and cells.period = carrying.period
            and cells.indicator_id = carrying.indicator_id
{%- endmacro %}

{#-
    Secondary suppression, step 2: hide every cell that shares a component with a hidden
    cell of the same area and month (seed `disclosure_links`), also a cell the live copy
    hid that the build no longer holds (`gone`).
-#}
{% macro hide_linked(cells, gone) -%}
    select
        {{- disclosure_cell_columns('cells') }}
        cells.hidden or (not cells.frozen and linked.also_hide is not null) as hidden
    from {{ cells }} as cells
    left join (
        select distinct
            hidden_cells.area_id,
            hidden_cells.period,
            links.also_hide
        from (
            select
                area_id,
                period,
                indicator_id
            from {{ cells }}
            where hidden
            union all
            select
                area_id,
                period,
                indicator_id
            from {{ gone }}
        ) as hidden_cells
        inner join {{ ref('disclosure_links') }} as links
            on hidden_cells.indicator_id = links.indicator_id
    ) as linked
        on
            cells.area_id = linked.area_id
            and cells.period = linked.period
            and cells.indicator_id = linked.also_hide
{%- endmacro %}

{#-
    Secondary suppression, step 3: where the municipality total is published, the hidden
    area cells of an indicator and month must be at least two, and their numerators (and,
    for proportions, their complements) must add up to at least the protection level, or
    the total minus the published areas pins them. Published areas are added smallest
    first until that holds; if no number of them is enough, the total is hidden instead.
    Cells published before (`frozen`) are neither added nor hidden; a restated cell
    published before with another value is added only after those never published (its
    old value stays public).
    `withdrawn`: the same for the cells the live copy published and this one hides (all
    restated), where the total is published in both copies: the attacker knows their
    old values and, taking the cells hidden in both as unchanged, the change of their
    sum. Partners are then added among the restated cells still published.
-#}
{% macro protect_totals(cells, withdrawn=false) -%}
    {%- set among = ' and was_published' if withdrawn else '' %}
    with state as (
        select
            period,
            indicator_id,
            count(*) filter (
                where area_id != 'municipality' and hidden{{ among }}
            ) as hidden_areas,
            coalesce(sum(numerator) filter (
                where area_id != 'municipality' and hidden{{ among }}
            ), 0) as hidden_numerator,
            coalesce(sum(denominator - numerator) filter (
                where area_id != 'municipality' and hidden{{ among }}
            ), 0) as hidden_complement,
            bool_or(is_proportion) as is_proportion,
            bool_or(area_id = 'municipality' and not hidden{{ among }}) as total_published
        from {{ cells }}
        group by period, indicator_id
    ),

    exposed as (
        select
            state.*,
            rules.protection_level
        from state
        cross join {{ ref('disclosure_rules') }} as rules
        where
            state.total_published
            and state.hidden_areas > 0
            and not (
                state.hidden_areas >= 2
                and state.hidden_numerator >= rules.protection_level
                and (
                    not state.is_proportion
                    or state.hidden_complement >= rules.protection_level
                )
            )
    ),

    candidates as (
        -- Published area cells of an exposed total, smallest first, with running sums.
        select
            cells.area_id,
            cells.period,
            cells.indicator_id,
            exposed.hidden_areas + row_number() over smallest_first >= 2
            and exposed.hidden_numerator + sum(cells.numerator) over smallest_first
            >= exposed.protection_level
            and (
                not exposed.is_proportion
                or exposed.hidden_complement
                + sum(cells.denominator - cells.numerator) over smallest_first
                >= exposed.protection_level
            ) as enough,
            row_number() over smallest_first as size_rank
        from {{ cells }} as cells
        inner join exposed
            on
                cells.period = exposed.period
                and cells.indicator_id = exposed.indicator_id
        where
            cells.area_id != 'municipality' and not cells.hidden and not cells.frozen
            {%- if withdrawn %} and cells.was_published{% endif %}
        window smallest_first as (
            partition by cells.period, cells.indicator_id
            order by
                cells.was_published, coalesce(cells.denominator, cells.numerator), cells.area_id
            rows between unbounded preceding and current row
        )
    ),

    needed as (
        select
            exposed.period,
            exposed.indicator_id,
            min(candidates.size_rank) filter (where candidates.enough) as areas_needed
        from exposed
        left join candidates
            on
                exposed.period = candidates.period
                and exposed.indicator_id = candidates.indicator_id
        group by exposed.period, exposed.indicator_id
    )

    select
        {{- disclosure_cell_columns('cells') }}
        cells.hidden
        or coalesce(candidates.size_rank <= needed.areas_needed, false)
        or (
            cells.area_id = 'municipality'
            and not cells.frozen
            and needed.period is not null
            and needed.areas_needed is null
        ) as hidden
    from {{ cells }} as cells
    left join needed
        on
            cells.period = needed.period
            and cells.indicator_id = needed.indicator_id
    left join candidates
        on
            cells.area_id = candidates.area_id
            and cells.period = candidates.period
            and cells.indicator_id = candidates.indicator_id
{%- endmacro %}
