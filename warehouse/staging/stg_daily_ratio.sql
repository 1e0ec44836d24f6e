-- Daily ratio of each pair in raw.ratio_pair on every session both indices closed, with the
-- Monday of its trading week (staging.stg_trading_week.week_start): the basis of the 26-week
-- average of daily ratios in marts.relative_strength. A view: the mart reads it once, summing it
-- per week before any other join, so the benchmark's ten million sessions are never stored twice.
-- The denominators' closes are picked out first: joined on (index_code, trade_date) through the
-- pair, the planner would hash every close (10 M in the benchmark, 5x slower) instead of a few.
create or replace view staging.stg_daily_ratio as
with denominator as (
    select d.index_code, d.trade_date, d.close
    from marts.daily_close as d
    semi join raw.ratio_pair as p
        on d.index_code = p.denominator
)
select
    p.pair,
    n.trade_date,
    date_trunc('week', n.trade_date)::date as week_start,
    n.close / d.close as ratio
from raw.ratio_pair as p
join marts.daily_close as n
    on n.index_code = p.numerator
join denominator as d
    on d.index_code = p.denominator
    and d.trade_date = n.trade_date
