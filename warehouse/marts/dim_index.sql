create or replace table marts.dim_index as
select index_code, name_en, name_ja
from raw.index
order by index_code
