"""The one settings object: defaults, overridable by SMALLCAP_* environment variables and the CLI."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
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

    # Live sources (yahoo, fred). A cross-check source is compared with the primary before landing.
    check_source: str | None = None
    # Largest relative difference |primary − check| / check allowed on a common date (0.0005 = 0.05 %).
    reconcile_tolerance: float = 0.0005
    # Transient source failures are retried this many times, waiting base, 2×base, 4×base … seconds.
    extract_retries: int = 3
    extract_retry_delay_seconds: float = 30.0
    http_timeout_seconds: float = 30.0
    # A run that waits for the week's last session polls every interval until the window has passed.
    freshness_window_minutes: float = 180.0
    freshness_interval_minutes: float = 30.0
    # FRED works without a key; with one it uses the FRED API. A Prefect Secret block name also works.
    fred_api_key: SecretStr | None = None
    fred_api_key_block: str | None = None
    # Slack-compatible webhook a failed run posts {"text": ...} to; unset, runs post nothing.
    alert_webhook_url: str | None = None

    # Quality gate: a daily move beyond move_warning is reported (a large but plausible market move);
    # beyond move_error it is rejected (no daily close of these indices ever moved that far: the
    # record is the Dow's -22.6 % on 1987-10-19). A published close that changes by more than
    # revision_tolerance (relative) is a revision: rejected unless the run allows revisions.
    move_warning: float = 0.15
    move_error: float = 0.25
    revision_tolerance: float = 1e-6

    # One writer per data folder: a second run waits this long for the first, then fails.
    writer_wait_seconds: float = 600.0

    def extract_retry_delays(self) -> list[float]:
        """Exponential backoff between extract attempts."""
        return [self.extract_retry_delay_seconds * 2**i for i in range(self.extract_retries)]

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        # Resolved once, against the directory the run starts in: every stage (and GX's stores,
        # which refuse relative paths) then sees the same absolute folder.
        return value.expanduser().resolve()

    @property
    def lake_dir(self) -> Path:
        return self.data_dir / "lake"

    @property
    def quarantine_dir(self) -> Path:
        return self.data_dir / "quarantine"

    @property
    def docs_dir(self) -> Path:
        """Great Expectations Data Docs of the quality gate (a static site, index.html)."""
        return self.data_dir / "docs"

    @property
    def gx_results_dir(self) -> Path:
        # The validation results Data Docs are built from, so its index lists every run.
        return self.data_dir / "gx" / "validations"

    @property
    def warehouse_path(self) -> Path:
        return self.data_dir / "warehouse.duckdb"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"
