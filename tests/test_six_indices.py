"""Six indices on the real closes, through universe files: an index added and backfilled alone, an index
taken out of the marts with its lake files kept, then a weekly run whose marts, chart and drafts hold all
six, every figure against the independent calculation. And the real gap in the Russell 2000 (^RUT has no
close on 2025-12-12), which the gate names.

The test data hold six indices only together: R2000G, SPX, DJIA, R2000 and R1000G from 2024-11-20 to
2025-11-21 (one file), COMP (^IXIC) from the long file, over the same dates.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from smallcap.quality.gate import GateConfig, validate
from tests import independent
from tests.conftest import LONG_HISTORY, YEAR
from tests.helpers import digest, lake_digests

WEEK = date(2025, 11, 21)
FIVE = ["R2000G", "SPX", "DJIA", "R2000", "R1000G"]
SIX = [*FIVE, "COMP"]

INDEX = {
    "R2000G": ('name_en = "Russell 2000 Growth"', 'name_ja = "ラッセル2000グロース"', 'symbols = { yahoo = "^RUO" }'),
    "SPX": ('name_en = "S&P 500"', 'name_ja = "SP500"', 'symbols = { yahoo = "^GSPC", fred = "SP500" }'),
    "DJIA": (
        'name_en = "Dow Jones Industrial Average"',
        'name_ja = "NYダウ"',
        'phrase_en = "the Dow"',
        'symbols = { yahoo = "^DJI", fred = "DJIA" }',
    ),
    "R2000": ('name_en = "Russell 2000"', 'name_ja = "ラッセル2000"', 'symbols = { yahoo = "^RUT" }'),
    "R1000G": ('name_en = "Russell 1000 Growth"', 'name_ja = "ラッセル1000グロース"', 'symbols = { yahoo = "^RLG" }'),
    "COMP": ('name_en = "Nasdaq Composite"', 'name_ja = "ナスダック総合指数"', 'symbols = { yahoo = "^IXIC" }'),
}
NAMES_JA = {"R2000": "ラッセル2000", "R1000G": "ラッセル1000グロース"}


def universe_text(codes: list[str], pairs: list[tuple[str, str, int]], large_caps: list[str]) -> str:
    lines = ['comment_pair = "R2000G/SPX"', f"large_caps = {large_caps!r}".replace("'", '"'), ""]
    for code in codes:
        lines += ["[[index]]", f'code = "{code}"', *INDEX[code], ""]
    for num, den, weeks in pairs:
        lines += ["[[pair]]", f'numerator = "{num}"', f'denominator = "{den}"', f"window_weeks = {weeks}", ""]
    return "\n".join(lines)


def six_closes() -> pd.DataFrame:
    """Every close of the six indices, 2024-11-20 to 2025-11-21, as the test files hold them."""
    year = pd.read_csv(YEAR, parse_dates=["date"])
    comp = pd.read_csv(LONG_HISTORY, parse_dates=["date"])
    comp = comp[(comp["index_code"] == "COMP") & comp["date"].between(year["date"].min(), year["date"].max())]
    return pd.concat([year, comp], ignore_index=True)


@dataclass(frozen=True)
class Story:
    data: Path
    after_first: dict[str, str]  # lake files after the five-index run
    after_added: dict[str, str]  # after COMP was added (backfilled alone) and R1000G taken out
    warehouse_added: dict[str, list[tuple]]  # marts after that backfill
    chunks: pd.DataFrame  # the backfill's checkpoints
    six: dict[str, str]  # the six-index weekly run's outputs


@pytest.fixture(scope="module")
def story(prefect_server: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Story]:
    from flows.backfill import backfill
    from flows.weekly_report import weekly_report

    root = tmp_path_factory.mktemp("six-indices")
    data = root / "data"
    closes = six_closes()
    five_csv, six_csv = root / "five.csv", root / "six.csv"
    closes[closes["index_code"].isin(FIVE)].to_csv(five_csv, index=False, date_format="%Y-%m-%d")
    closes.to_csv(six_csv, index=False, date_format="%Y-%m-%d")
    files = {
        "five": universe_text(FIVE, [("R2000G", "SPX", 26)], ["DJIA", "SPX"]),
        # COMP added, R1000G taken out
        "changed": universe_text(
            ["R2000G", "SPX", "DJIA", "R2000", "COMP"], [("R2000G", "SPX", 26)], ["DJIA", "SPX", "COMP"]
        ),
        "six": universe_text(SIX, [("R2000G", "SPX", 26), ("R2000", "R1000G", 13)], ["DJIA", "SPX", "COMP"]),
    }
    paths = {}
    for name, text in files.items():
        paths[name] = root / f"{name}.toml"
        paths[name].write_text(text, encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SMALLCAP_UNIVERSE", str(paths["five"]))
        weekly_report(source="csv", csv_path=str(five_csv), week_ending=WEEK, data_dir=str(data))
        after_first = lake_digests(data)
        mp.setenv("SMALLCAP_UNIVERSE", str(paths["changed"]))
        backfill(start=date(2024, 11, 20), source="csv", csv_path=str(six_csv), data_dir=str(data), indices=["COMP"])
        after_added = lake_digests(data)
        with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
            added = {
                t: con.sql(f"select * from marts.{t} order by all").fetchall() for t in ("dim_index", "weekly_close")
            }
            chunks = con.sql("select * from meta.backfill_chunks").df()
        mp.setenv("SMALLCAP_UNIVERSE", str(paths["six"]))
        six = weekly_report(source="csv", csv_path=str(six_csv), week_ending=WEEK, data_dir=str(data))
    yield Story(data, after_first, after_added, added, chunks, six)


def test_an_added_index_is_backfilled_alone_and_a_removed_one_leaves_the_marts_not_the_lake(story: Story) -> None:
    # The backfill landed COMP only: every other index's files are the five-index run's, byte for byte.
    new = {p for p in story.after_added if p not in story.after_first}
    assert new and all("index_code=COMP" in p for p in new)
    assert {p: story.after_added[p] for p in story.after_first} == story.after_first
    assert set(story.chunks["indices"]) == {"COMP"}
    assert story.chunks["rows"].sum() == len(six_closes().query("index_code == 'COMP'"))
    # R1000G is out of the universe: out of the marts; its lake files are kept (and still committed).
    assert [r[0] for r in story.warehouse_added["dim_index"]] == sorted(["R2000G", "SPX", "DJIA", "R2000", "COMP"])
    assert {r[0] for r in story.warehouse_added["weekly_close"]} == {"R2000G", "SPX", "DJIA", "R2000", "COMP"}
    kept = [p for p in story.after_added if "index_code=R1000G" in p]
    assert kept and all(digest(story.data / p) == story.after_first[p] for p in kept)


def _pct(x: float) -> str:
    """Half-up to two decimals of a percentage, signed: written here, not taken from the product."""
    d = Decimal(repr(round(float(x) * 100, 10))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return ("+" if d > 0 else "") + f"{d}%"


def _signed(x: float) -> str:
    d = Decimal(repr(round(float(x), 10))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return ("+" if d > 0 else "") + f"{d}"


def test_six_index_marts_equal_the_independent_calculation(story: Story) -> None:
    closes = six_closes()
    expected = independent.weekly_close(closes)
    with duckdb.connect(story.six["warehouse"], read_only=True) as con:
        dim = con.sql("select index_code, name_ja from marts.dim_index order by index_code").fetchall()
        weekly = con.sql("select * from marts.weekly_close order by index_code, week_ending").df()
        rs = con.sql("select * from marts.relative_strength order by pair, week_ending").df()
    assert [c for c, _ in dim] == sorted(SIX) and dict(dim)["COMP"] == "ナスダック総合指数"
    assert len(weekly) == len(expected) and list(weekly["index_code"]) == list(expected["index_code"])
    pd.testing.assert_series_equal(weekly["close"], expected["close"], check_names=False)
    pd.testing.assert_series_equal(weekly["return_1w"], expected["return_1w"], check_names=False, rtol=1e-12)
    for pair, weeks in (("R2000G/SPX", 26), ("R2000/R1000G", 13)):
        num, den = pair.split("/")
        want = independent.relative_strength(expected, num, den, weeks)
        got = rs[rs["pair"] == pair].reset_index(drop=True)
        assert len(got) == len(want) and got["ma_26w"].notna().sum() == len(want) - weeks + 1
        for column in ("ratio", "ma_26w", "deviation_26w"):
            pd.testing.assert_series_equal(got[column], want[column], check_names=False, rtol=1e-12)


def test_six_index_drafts_and_chart_name_the_new_indices_with_independent_figures(story: Story) -> None:
    week = independent.weekly_close(six_closes())
    week = week[week["week_ending"] == WEEK].set_index("index_code")
    ja = Path(story.six["draft"]).read_text(encoding="utf-8")
    en = Path(story.six["draft_en"]).read_text(encoding="utf-8")
    # The large-cap sentence names the three of the file, in its order, with their weekly returns.
    dow, spx, comp = (_pct(week.loc[c, "return_1w"]) for c in ("DJIA", "SPX", "COMP"))
    assert (
        f"NYダウ(前週末比{dow})" in ja and f"SP500(前週末比{spx})" in ja and f"ナスダック総合指数(前週末比{comp})" in ja
    )
    assert ja.index("NYダウ(") < ja.index("SP500(") < ja.index("ナスダック総合指数(")
    assert f"the Nasdaq Composite (week on week {comp})" in en
    # The further indices: a short table after the ratio section, Japanese names from the file.
    rows = [
        f"| {NAMES_JA[c]} | {week.loc[c, 'close']:.2f} | {_signed(week.loc[c, 'change'])} | "
        f"{_pct(week.loc[c, 'return_1w'])} |"
        for c in ("R2000", "R1000G")
    ]
    table = ja[ja.index("その他の指数(2025年11月21日時点)") :]
    assert ja.index("<小型成長株相場とラッセル2000グロース VS SP500 >") < ja.index("その他の指数")
    assert table.splitlines()[4:6] == rows and "市場」)\n\nその他の指数" in ja
    assert "| Russell 1000 Growth |" in en and "Other indices (as of November 21, 2025)" in en
    # The chart of the comment's pair, and the week's page listing all six.
    assert Path(story.six["chart"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = Path(story.six["page"]).read_text(encoding="utf-8")
    assert all(
        f"{name} ({code})</td>" in page for code, name in (("COMP", "Nasdaq Composite"), ("R2000", "Russell 2000"))
    )


def test_the_gate_names_the_real_gap_in_the_russell_2000() -> None:
    """^RUT has no close on Friday 2025-12-12 in the long file: a weekly batch of that week is refused."""
    closes = pd.read_csv(LONG_HISTORY, dtype=str)
    codes = ["R2000G", "SPX", "DJIA", "R2000", "COMP"]
    from smallcap.sources.batch import from_long_text

    batch = from_long_text(closes, "csv", date(2025, 6, 2), date(2025, 12, 12), today=date(2026, 2, 14))
    report = validate(
        batch, date(2025, 12, 12), date(2026, 2, 14), config=GateConfig(known_codes=[*codes, "R1000G"]), required=codes
    )
    assert not report.success
    failed = {f.expectation: f for f in report.checks if not f.success}
    coverage = next(f for name, f in failed.items() if "session" in name and "present" in name)
    assert coverage.unexpected_count == 1
    assert coverage.sample[0]["index_code"] == "R2000" and str(coverage.sample[0]["trade_date"])[:10] == "2025-12-12"
    assert "R2000" in report.reason() and "2025-12-12" in report.reason()
