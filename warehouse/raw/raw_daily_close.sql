-- Every row of the committed lake files, as landed (duplicates across batches included), with the
-- commit that last listed its file. The builder lists the files (raw.lake_file, variable lake_files):
-- a file no commit lists is never read.
create or replace table raw.daily_close as
select
    r.index_code,
    r.source,
    r.trade_date,
    r.close,
    r.source_symbol,
    r.extracted_at,
    r.batch_id,
    r.landed_at,
    f.commit_seq
from read_parquet(getvariable('lake_files'), hive_partitioning = true, union_by_name = true, filename = true) as r
join raw.lake_file as f
    on f.file = r.filename
