"""The one settings object: defaults, overridable by SMALLCAP_* environment variables and the CLI."""

from __future__ import annotations

from pathlib import Path

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
