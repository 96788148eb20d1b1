select
    period,
    person_key,
    grade,
    school_days,
    sick_days,
    permitted_days,
    unlawful_days,
    sick_days + permitted_days + unlawful_days as absence_days
from {{ source('children_youth', 'school_absence') }}
