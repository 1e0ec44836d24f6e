-- A week appears for an index only once that index has a close on the week's last session, so
-- a week in progress (or a missing Friday) never shows as finished. prev_close is the close of
-- the calendar week before; it is NULL if that week is missing, never an older week's close.
create or replace table marts.weekly_close as
with week_close as (
    select
        d.index_code,
        w.week_ending,
        w.week_no,
        d.close
    from marts.daily_close as d
    join staging.stg_trading_week as w
        on d.trade_date = w.week_ending
)
select
    this_week.index_code,
    this_week.week_ending,
    this_week.close,
    last_week.close as prev_close,
    this_week.close - last_week.close as change,
    this_week.close / last_week.close - 1 as return_1w
from week_close as this_week
left join week_close as last_week
    on last_week.index_code = this_week.index_code
    and last_week.week_no = this_week.week_no - 1
order by this_week.index_code, this_week.week_ending
