-- Criteria 2 and 4 as yearly indicators (unsuppressed), dated to January of the list
-- year. Both are ratios to a reference (the national conviction share, the regional mean
-- income), so they are stored as observed / expected sums that add up to the municipality:
-- convictions / (residents 18+ x national share), and residents weighted by their area's
-- relative income / residents. Disclosure control judges the people behind each value:
-- the convicted among residents 18+, and the residents behind an income mean.
select
    area_id,
    period,
    'stat_conviction_ratio' as indicator_id,
    convicted_18_plus as numerator,
    residents_18_plus * national_conviction_share as denominator,
    convicted_18_plus as disclosure_count,
    residents_18_plus as disclosure_population
from {{ ref('stg_national__area_statistics') }}
where
    national_conviction_share > 0
    and {{ in_refresh_window('period', later_months=0) }}

union all

select
    area_id,
    period,
    'stat_income_ratio' as indicator_id,
    residents_1_january * mean_gross_income / regional_mean_gross_income as numerator,
    residents_1_january as denominator,
    null as disclosure_count,
    residents_1_january as disclosure_population
from {{ ref('stg_national__area_statistics') }}
where
    regional_mean_gross_income > 0
    and {{ in_refresh_window('period', later_months=0) }}
