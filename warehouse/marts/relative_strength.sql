-- Weekly ratio of each pair in raw.ratio_pair (the product's: small-cap growth against the
-- S&P 500). ma_26w is the mean of the 26 weekly ratios ending that week (calendar weeks, this one
-- included); with fewer it is NULL, never a shorter average.
create or replace table marts.relative_strength as
with pair as (
    select
        p.pair,
        n.week_ending,
        w.week_no,
        n.close as numerator_close,
        d.close as denominator_close,
        n.close / d.close as ratio
    from raw.ratio_pair as p
    join marts.weekly_close as n
        on n.index_code = p.numerator
    join marts.weekly_close as d
        on d.index_code = p.denominator
        and d.week_ending = n.week_ending
    join staging.stg_trading_week as w
        on w.week_ending = n.week_ending
),
averaged as (
    select
        *,
        case when count(*) over last_26 = 26 then avg(ratio) over last_26 end as ma_26w
    from pair
    window last_26 as (partition by pair order by week_no range between 25 preceding and current row)
)
select
    pair,
    week_ending,
    numerator_close,
    denominator_close,
    ratio,
    ma_26w,
    ratio / ma_26w - 1 as deviation_26w
from averaged
order by pair, week_ending
