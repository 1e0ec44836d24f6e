-- Not sorted: ordering ten million rows would double the model's cost; query with order by.
create or replace table marts.daily_close as
select index_code, trade_date, close
from staging.stg_daily_close
