-- One close per index and session: where committed files overlap, the latest commit wins.
-- A view (materialized once, in marts.daily_close): copying ten million rows with their
-- provenance into a second table cost more than every mart together.
-- Only files whose date range overlaps another file of the same index can repeat a day (a batch
-- holds one row per index and day: the gate's check), so only their rows are ranked; the rest
-- pass straight through. Ranking every row costs a sort of the whole lake. The file lists are
-- small and computed once; the rows are read twice rather than buffered for the two halves.
create or replace view staging.stg_daily_close as
with landed_file as materialized (
    select index_code, source, batch_id, min(trade_date) as first_date, max(trade_date) as last_date
    from raw.daily_close
    group by all
),
overlapping_file as materialized (
    select distinct a.index_code, a.source, a.batch_id
    from landed_file as a
    join landed_file as b
        on b.index_code = a.index_code
        and (b.source <> a.source or b.batch_id <> a.batch_id)
        and b.first_date <= a.last_date
        and a.first_date <= b.last_date
)
select r.index_code, r.trade_date, r.close, r.source, r.source_symbol, r.batch_id, r.landed_at, r.commit_seq
from raw.daily_close as r
anti join overlapping_file as o
    using (index_code, source, batch_id)
union all
select r.index_code, r.trade_date, r.close, r.source, r.source_symbol, r.batch_id, r.landed_at, r.commit_seq
from raw.daily_close as r
semi join overlapping_file as o
    using (index_code, source, batch_id)
qualify row_number() over (
    partition by r.index_code, r.trade_date
    order by r.commit_seq desc, r.batch_id desc
) = 1
