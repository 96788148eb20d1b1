select
    period,
    area_id,
    residents_1_january,
    non_western,
    residents_18_plus,
    convicted_18_plus,
    national_conviction_share,
    residents_30_59,
    basic_education_30_59,
    mean_gross_income,
    regional_mean_gross_income
from {{ source('national', 'area_statistics') }}
