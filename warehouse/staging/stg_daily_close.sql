-- One close per index and session: where batches overlap, the latest landing wins.
create or replace table staging.stg_daily_close as
select
    index_code,
    trade_date,
    close,
    source,
    source_symbol,
    batch_id,
    landed_at
from raw.daily_close
qualify row_number() over (
    partition by index_code, trade_date
    order by landed_at desc, extracted_at desc, batch_id desc
) = 1
