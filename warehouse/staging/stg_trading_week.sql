-- NYSE trading weeks (Monday to Friday) and the session each ends on: a holiday Friday makes it
-- Thursday. Sessions come from the exchange calendar, loaded by the builder into raw.nyse_session.
-- week_no numbers consecutive weeks so "the previous week" and "the last 26 weeks" mean calendar
-- weeks, not whatever rows happen to exist.
create or replace table staging.stg_trading_week as
select
    week_start,
    week_ending,
    sessions,
    row_number() over (order by week_ending) as week_no
from (
    select
        date_trunc('week', session_date)::date as week_start,
        max(session_date) as week_ending,
        count(*) as sessions
    from raw.nyse_session
    group by 1
)
