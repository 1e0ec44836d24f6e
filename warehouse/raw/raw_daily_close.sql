-- Every landed row from the Parquet lake, as landed (duplicates across batches included).
-- The lake path is set by the builder as the variable lake_glob.
create or replace table raw.daily_close as
select
    index_code,
    source,
    trade_date,
    close,
    source_symbol,
    extracted_at,
    batch_id,
    landed_at
from read_parquet(getvariable('lake_glob'), hive_partitioning = true, union_by_name = true)
