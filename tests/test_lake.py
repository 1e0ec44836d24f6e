from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from smallcap.lake.batches import land
from smallcap.sources import get_source


def sample_batch(end: date = date(2025, 12, 12)) -> pd.DataFrame:
    return get_source("sample").extract(date(2024, 1, 1), end)


def test_land_partitions_by_source_and_index(tmp_path: Path) -> None:
    batch = sample_batch()
    paths = land(batch, tmp_path)
    assert sorted(p.relative_to(tmp_path).parts[:3] for p in paths) == [
        ("daily_close", "source=sample", f"index_code={code}") for code in ("DJIA", "R2000G", "SPX")
    ]
    spx = pq.read_table(next(p for p in paths if "index_code=SPX" in str(p))).to_pandas()
    expected = batch[batch["index_code"] == "SPX"]
    assert len(spx) == len(expected)
    assert spx["close"].tolist() == expected["close"].tolist()
    assert spx["source_symbol"].unique().tolist() == ["^GSPC"]
    assert spx["extracted_at"].notna().all() and spx["landed_at"].notna().all()


def test_relanding_the_same_content_writes_nothing(tmp_path: Path) -> None:
    first = land(sample_batch(), tmp_path)
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in first}
    again = land(sample_batch(), tmp_path)  # a new extraction time, same content
    assert again == first
    assert {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in again} == before
    assert len(list(tmp_path.rglob("*.parquet"))) == 3
    assert not list(tmp_path.rglob("*.tmp"))


def test_different_content_lands_beside_never_over(tmp_path: Path) -> None:
    first = land(sample_batch(date(2025, 12, 5)), tmp_path)
    second = land(sample_batch(date(2025, 12, 12)), tmp_path)
    assert set(first).isdisjoint(second)
    assert len(list(tmp_path.rglob("*.parquet"))) == 6
