create or replace table marts.daily_close as
select index_code, trade_date, close
from staging.stg_daily_close
order by index_code, trade_date
