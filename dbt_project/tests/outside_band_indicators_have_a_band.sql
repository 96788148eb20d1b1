-- An indicator judged by an agreed band needs the band: without it the Kvarterprofil
-- would rank every area alike.
select indicator_id
from {{ ref('indicator_catalogue') }}
where
    (worse_when = 'outside_band') != (band_low is not null and band_high is not null)
    or band_low > band_high
