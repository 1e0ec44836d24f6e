-- Daily ratio of each pair in raw.ratio_pair on every session both indices closed, with the
-- trading week it belongs to: the basis of the 26-week average of daily ratios in
-- marts.relative_strength. A view: the mart reads it once, summing it per week, so the
-- benchmark's ten million sessions are never stored twice. An equality join on the week's Monday
-- keeps it one hash join.
create or replace view staging.stg_daily_ratio as
select
    p.pair,
    n.trade_date,
    w.week_ending,
    w.week_no,
    n.close / d.close as ratio
from raw.ratio_pair as p
join marts.daily_close as n
    on n.index_code = p.numerator
join marts.daily_close as d
    on d.index_code = p.denominator
    and d.trade_date = n.trade_date
join staging.stg_trading_week as w
    on w.week_start = date_trunc('week', n.trade_date)::date
