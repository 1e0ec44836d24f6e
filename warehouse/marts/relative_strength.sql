-- Weekly ratio of each pair in raw.ratio_pair (the universe file's; the product's: small-cap growth
-- against the S&P 500). ma_26w is the mean of the pair's window_weeks (26 unless the universe file
-- says otherwise) weekly ratios ending that week (calendar weeks, this one included); with fewer it
-- is NULL, never a shorter average. ma_26w_daily averages the daily ratios of every session in the
-- same weeks (NULL exactly when ma_26w is). The analyst's own
-- definition of the printed deviation is unknown, so every form is here: relative (ratio / MA - 1)
-- and points (ratio - MA, in the ratio's own units), on either basis.
create or replace table marts.relative_strength as
with pair as (
    select
        p.pair,
        p.window_weeks,
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
-- One row per pair and week: the week's daily ratios summed, so the 26-week window adds 26 rows,
-- not every session.
daily_week as (
    select r.pair, w.week_no, r.ratio_sum, r.sessions
    from (
        -- Summed in date order: a parallel sum adds floats in any order, and a rebuild must give the same bits.
        select pair, week_start, sum(ratio order by trade_date) as ratio_sum, count(*) as sessions
        from staging.stg_daily_ratio
        group by pair, week_start
    ) as r
    join staging.stg_trading_week as w
        using (week_start)
),
-- Both averages over one window: where all the window's weekly ratios exist, its weeks' daily sums
-- are those of exactly these rows.
averaged as (
    select
        pair.*,
        case when count(*) over last_26 = pair.window_weeks then avg(pair.ratio) over last_26 end as ma_26w,
        case
            when count(*) over last_26 = pair.window_weeks
                then sum(daily_week.ratio_sum) over last_26 / sum(daily_week.sessions) over last_26
        end as ma_26w_daily
    from pair
    left join daily_week
        using (pair, week_no)
    window last_26 as (partition by pair.pair order by pair.week_no range between pair.window_weeks - 1 preceding and current row)
)
select
    pair,
    week_ending,
    numerator_close,
    denominator_close,
    ratio,
    ma_26w,
    ratio / ma_26w - 1 as deviation_26w,
    ratio - ma_26w as deviation_26w_points,
    ma_26w_daily,
    ratio / ma_26w_daily - 1 as deviation_26w_daily,
    ratio - ma_26w_daily as deviation_26w_daily_points
from averaged
order by pair, week_ending
