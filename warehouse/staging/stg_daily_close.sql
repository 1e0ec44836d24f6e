-- One close per index and session: where batches overlap, the latest landing wins.
-- A view (materialized once, in marts.daily_close): copying ten million rows with their
-- provenance into a second table cost more than every mart together.
-- Only files whose date range overlaps another file of the same index can repeat a day (a batch
-- holds one row per index and day: the gate's check), so only their rows are ranked; the rest
-- pass straight through. Ranking every row costs a sort of the whole lake.
create or replace view staging.stg_daily_close as
with landed_file as (
    select index_code, source, batch_id, min(trade_date) as first_date, max(trade_date) as last_date
    from raw.daily_close
    group by all
),
overlapping_file as (
    select distinct a.index_code, a.source, a.batch_id
    from landed_file as a
    join landed_file as b
        on b.index_code = a.index_code
        and (b.source <> a.source or b.batch_id <> a.batch_id)
        and b.first_date <= a.last_date
        and a.first_date <= b.last_date
),
marked as (
    select r.*, o.batch_id is not null as may_repeat
    from raw.daily_close as r
    left join overlapping_file as o
        using (index_code, source, batch_id)
)
select index_code, trade_date, close, source, source_symbol, batch_id, landed_at
from marked
where not may_repeat
union all
select index_code, trade_date, close, source, source_symbol, batch_id, landed_at
from marked
where may_repeat
qualify row_number() over (
    partition by index_code, trade_date
    order by landed_at desc, extracted_at desc, batch_id desc
) = 1
