"""The one settings object: defaults, overridable by SMALLCAP_* environment variables and the CLI."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Literal, Self, get_args

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from smallcap.errors import SettingsError

SourceName = Literal["yahoo", "fred", "sample", "csv"]
# Sources a run can cross-check its primary against (network sources with their own numbers).
CheckSourceName = Literal["fred", "yahoo"]
# The printed 26-week deviation: the average's basis, and the deviation's form (see the README).
DeviationBasis = Literal["weekly", "daily"]
DeviationForm = Literal["relative", "points"]
# The fund table's as-of date: the week's end, or the last calendar month end on or before it.
FundAsOf = Literal["week", "month_end"]
SOURCES: tuple[str, ...] = get_args(SourceName)
CHECK_SOURCES: tuple[str, ...] = get_args(CheckSourceName)

_ENV_PREFIX = "SMALLCAP_"


class Settings(BaseSettings):
    """Every setting, checked when built: an invalid one raises SettingsError naming it in one line."""

    model_config = SettingsConfigDict(env_prefix=_ENV_PREFIX)

    data_dir: Path = Path("data")
    # The universe file: indices, names, symbols and ratio pairs (None: the one shipped in smallcap/universe/).
    universe: Path | None = None
    source: SourceName = "sample"
    csv_path: Path | None = None
    # How far back each run extracts: enough for the 26-week average and a chart since 2022.
    lookback_days: int = 5 * 366
    # R2000G's weekly return within this many fractional points of both large caps reads "同程度".
    same_move_band: float = 0.005
    # The chart shows the weeks from here on (those the marts hold).
    chart_start: date = date(2022, 1, 1)
    # The analyst's definition of "26週移動平均との乖離" is theirs to choose: the moving average of the
    # weekly ratios or of every session's daily ratio over the 26 weeks; relative (ratio / MA - 1,
    # printed in %) or points (ratio - MA, printed in percentage points of the ratio).
    deviation_basis: DeviationBasis = "weekly"
    deviation_form: DeviationForm = "relative"
    # Fund/ETF performance table: a CSV `date,fund_code,nav[,fund_name]`; without it the drafts say none is set.
    fund_nav_path: Path | None = None
    # The table's funds in order (JSON list in SMALLCAP_FUNDS); empty: every fund in the file.
    funds: list[str] = Field(default_factory=list)
    # Display names by fund code (JSON object in SMALLCAP_FUND_NAMES); else the file's fund_name, else the code.
    fund_names: dict[str, str] = Field(default_factory=dict)
    # A fund whose last NAV is more than this many days before the table's date is shown without
    # figures (marked, with a note in the run): no stale figure is printed as current.
    fund_nav_max_age_days: int = 7
    # The table's date: the week's end, or the last month end on or before it (the seed's 2024年11月末時点).
    fund_as_of: FundAsOf = "week"

    # Live sources (yahoo, fred). A cross-check source is compared with the primary before landing.
    check_source: CheckSourceName | None = None
    # Largest relative difference |primary − check| / check allowed on a common date (0.0005 = 0.05 %).
    reconcile_tolerance: float = 0.0005
    # Plausibility check of R2000G with the yahoo source: its daily moves against the iShares Russell
    # 2000 Growth ETF (IWO); a day whose two moves differ by more than the band (percentage points)
    # is a warning. The band is a first choice, to re-derive from real IWO history (see README).
    tracking_check: bool = False
    tracking_band_pp: float = Field(default=0.75, gt=0)
    tracking_fund: str = "IWO"  # Yahoo's symbol of the fund compared with R2000G
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
    # At most this many unexpected rows per expectation are kept (GX's results and Data Docs, the
    # quarantine's validation.json, meta.validation_results); their count stays exact. A 50 MB file
    # of bad rows would otherwise write every one of them again, several times over.
    validation_sample_rows: int = Field(default=20, ge=1)

    # One writer per data folder: a second run waits this long for the first, then fails.
    writer_wait_seconds: float = 600.0

    def __init__(self, **values: Any) -> None:
        # pydantic's ValidationError spans several lines and names fields its own way; users get one line.
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise SettingsError(_one_line(exc)) from None

    @classmethod
    def for_run(
        cls,
        *,
        source: str | None = None,
        csv_path: str | Path | None = None,
        data_dir: str | Path | None = None,
        check_source: str | None = None,
    ) -> Settings:
        """The settings of one run: the environment's, with the given overrides (None keeps the environment's)."""
        overrides = {"source": source, "csv_path": csv_path, "data_dir": data_dir, "check_source": check_source}
        return cls(**{k: v for k, v in overrides.items() if v is not None})

    @field_validator("source", mode="before")
    @classmethod
    def _known_source(cls, value: Any) -> Any:
        if value not in SOURCES:
            raise ValueError(f"unknown source {value!r}: choose {_choices(SOURCES, 'or')}")
        return value

    @field_validator("check_source", mode="before")
    @classmethod
    def _known_check_source(cls, value: Any) -> Any:
        if value is not None and value not in CHECK_SOURCES:
            raise ValueError(f"unknown cross-check source {value!r}: choose {_choices(CHECK_SOURCES, 'or')}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        # Model-level errors carry no field in pydantic's report: each names its variable itself.
        if self.check_source is not None and self.check_source == self.source:
            raise ValueError(
                f"{_ENV_PREFIX}CHECK_SOURCE: the cross-check source must differ from the primary source {self.source!r}"
            )
        if self.source == "csv" and self.csv_path is None:
            raise ValueError(f"{_ENV_PREFIX}CSV_PATH: source 'csv' needs a file: pass --csv PATH")
        return self

    def extract_retry_delays(self) -> list[float]:
        """Exponential backoff between extract attempts."""
        return [self.extract_retry_delay_seconds * 2**i for i in range(self.extract_retries)]

    @field_validator("universe")
    @classmethod
    def _readable_universe(cls, value: Path | None) -> Path | None:
        # Checked when the settings are built, so a bad file stops a run before it starts.
        if value is None:
            return None
        from smallcap.universe import read

        path = value.expanduser().resolve()
        read(path)
        return path

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        # Resolved once, against the directory the run starts in: every stage (and GX's stores,
        # which refuse relative paths) then sees the same absolute folder.
        folder = value.expanduser().resolve()
        if "?" in str(folder):  # DuckDB 2.0 cuts a database's path at "?" to name its log file
            raise ValueError(f"{folder}: a path with '?' cannot hold the DuckDB warehouse: choose a folder without '?'")
        return folder

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


def _choices(names: tuple[str, ...], last: str) -> str:
    return ", ".join(names[:-1]) + f" {last} {names[-1]}" if len(names) > 1 else names[0]


def _one_line(exc: ValidationError) -> str:
    """pydantic's errors as one line, each named by its environment variable (SMALLCAP_SOURCE: …)."""
    parts = []
    for error in exc.errors(include_url=False):
        loc = error.get("loc") or ()
        prefix = f"{_ENV_PREFIX}{str(loc[0]).upper()}: " if loc else ""
        ctx = error.get("ctx") or {}
        # Our own ValueErrors read as written, without pydantic's "Value error, " in front.
        message = str(ctx["error"]) if error.get("type") == "value_error" and "error" in ctx else error["msg"]
        parts.append(prefix + message)
    return "; ".join(parts)
