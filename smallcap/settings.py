"""The one settings object: defaults, overridable by SMALLCAP_* environment variables and the CLI."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SMALLCAP_")

    data_dir: Path = Path("data")
    source: str = "sample"
    csv_path: Path | None = None
    # How far back each run extracts: enough for the 26-week average and a chart since 2022.
    lookback_days: int = 5 * 366
    # R2000G's weekly return within this many fractional points of both large caps reads "同程度".
    same_move_band: float = 0.005
    # The chart shows the weeks from here on (those the marts hold).
    chart_start: date = date(2022, 1, 1)
    # Fund/ETF performance table: a CSV `date,fund_code,nav[,fund_name]`; without it the drafts say none is set.
    fund_nav_path: Path | None = None
    # The table's funds in order (JSON list in SMALLCAP_FUNDS); empty: every fund in the file.
    funds: list[str] = Field(default_factory=list)
    # Display names by fund code (JSON object in SMALLCAP_FUND_NAMES); else the file's fund_name, else the code.
    fund_names: dict[str, str] = Field(default_factory=dict)
    # A fund whose last NAV is more than this many days before the week's end fails the run: no stale figures.
    fund_nav_max_age_days: int = 7

    @property
    def lake_dir(self) -> Path:
        return self.data_dir / "lake"

    @property
    def quarantine_dir(self) -> Path:
        return self.data_dir / "quarantine"

    @property
    def warehouse_path(self) -> Path:
        return self.data_dir / "warehouse.duckdb"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"
