"""Helpers shared by the test files: file digests, marts as rows, reading a run back from Prefect,
fund NAV files, the seed week's figures, Markdown as a reader sees it and systemd units' entries.
Plain functions; fixtures live in conftest.py."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from smallcap.report.figures import WeekFigures
from tests.conftest import LONG_HISTORY

MARTS = ("daily_close", "weekly_close", "relative_strength", "dim_index")
UNITS = Path(__file__).parents[1] / "deploy" / "systemd"  # the example systemd units


def digest(path: Path) -> str:
    """SHA-256 of a file's bytes: to show a file was not touched."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def lake_digests(data_dir: Path) -> dict[str, str]:
    """Every lake file of daily closes under a data folder, with its digest."""
    lake = data_dir / "lake" / "daily_close"
    return {str(p.relative_to(data_dir)): digest(p) for p in sorted(lake.rglob("*.parquet"))}


def marts(warehouse: Path | str) -> dict[str, list[tuple]]:
    """Every marts table as a sorted list of rows: a table's stored order is not part of the contract."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {m: con.sql(f"select * from marts.{m} order by all").fetchall() for m in MARTS}


def run_artifacts(flow_run_id: Any, keys: list[str] | None = None) -> list[Any]:
    """A flow run's artifacts read back from the Prefect API (optionally only those with the given keys).

    Filtered by run: other tests' runs publish the same keys on the shared test server.
    """
    from prefect import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey

    by_run = ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]))
    if keys is not None:
        by_run.key = ArtifactFilterKey(any_=keys)
    with get_client(sync_client=True) as client:
        return client.read_artifacts(artifact_filter=by_run)


def run_logs(flow_run_id: Any) -> list[Any]:
    """A flow run's log entries as the Prefect server holds them."""
    from prefect import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=10)  # logs reach the server in the background
    with get_client(sync_client=True) as client:
        return client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id])))


def prefect_server_env(*, keep_smallcap: bool = False, **extra: str) -> dict[str, str]:
    """The environment for a child process that talks to the session's Prefect test server."""
    from prefect.settings import PREFECT_API_URL

    strip = ("PREFECT_API",) if keep_smallcap else ("PREFECT_API", "SMALLCAP_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(strip)}
    return {**env, "PREFECT_API_URL": PREFECT_API_URL.value(), "PREFECT_SERVER_ANALYTICS_ENABLED": "false", **extra}


def write_navs(path: Path, codes: list[str] = ["SPX", "DJIA", "COMP", "R2000G"]) -> Path:  # noqa: B006
    """Real daily closes from tests/data as a fund NAV file (date, fund_code, nav)."""
    closes = pd.read_csv(LONG_HISTORY, dtype=str)
    closes = closes[closes["index_code"].isin(codes)]
    closes.rename(columns={"index_code": "fund_code", "close": "nav"})[["date", "fund_code", "nav"]].to_csv(
        path, index=False
    )
    return path


def _close(frame: pd.DataFrame, code: str, day: str) -> float:
    return float(frame[(frame["index_code"] == code) & (frame["date"] == day)]["close"].iloc[0])


def seed_week_figures() -> WeekFigures:
    """The seed's week: SPX and DJIA from the real closes; R2000G and the 26-week deviation as the seed states them."""
    real = pd.read_csv(LONG_HISTORY)
    spx_before, spx = _close(real, "SPX", "2026-02-06"), _close(real, "SPX", "2026-02-13")
    dow_before, dow = _close(real, "DJIA", "2026-02-06"), _close(real, "DJIA", "2026-02-13")
    r2000g_before, r2000g = 1734.22, 1709.95
    return WeekFigures(
        week_ending=date(2026, 2, 13),
        close=r2000g,
        prev_close=r2000g_before,
        change=r2000g - r2000g_before,
        return_1w=r2000g / r2000g_before - 1,
        last_week_change=12.0,  # the seed calls this week 反落: the week before rose
        dow_return_1w=dow / dow_before - 1,
        spx_return_1w=spx / spx_before - 1,
        numerator_close=r2000g,
        denominator_close=spx,
        ratio=r2000g / spx,
        ma_26w=(r2000g / spx) / 1.0039,
        deviation_26w=0.0039,
    )


# -- Markdown as a reader sees it ----------------------------------------------------------------


@dataclass
class Rendered:
    """What a reader sees of Markdown rendered by markdown-it-py: the text of each block (a paragraph, a
    list item, a heading), line breaks as newlines; the images; and every HTML tag the rendering used."""

    blocks: list[str] = field(default_factory=list)
    images: list[dict[str, str]] = field(default_factory=list)
    tags: set[str] = field(default_factory=set)


class _Reader(HTMLParser):
    BLOCKS = frozenset({"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "td", "th"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)  # &amp; and &lt; read as the characters a reader sees
        self.seen = Rendered()
        self.text: list[str] = []

    def _close(self) -> None:
        if "".join(self.text).strip():
            self.seen.blocks.append("\n".join(line.strip() for line in "".join(self.text).strip().split("\n")))
        self.text = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen.tags.add(tag)
        if tag == "br":
            self.text.append("\n")
        elif tag == "img":
            self.seen.images.append({k: v or "" for k, v in attrs})
        elif tag in self.BLOCKS or tag == "hr":
            self._close()

    def handle_endtag(self, tag: str) -> None:
        if tag in self.BLOCKS:
            self._close()

    def handle_data(self, data: str) -> None:
        # The newline after a <br> is only HTML layout; any other is a soft break, a space to a reader.
        if "".join(self.text).endswith("\n"):
            data = data.removeprefix("\n")
        self.text.append(data.replace("\n", " "))


def render_markdown(markdown: str, extensions: tuple[str, ...] = ()) -> Rendered:
    """`markdown` rendered by markdown-it-py's CommonMark preset (plus `extensions`, e.g. GitHub's
    "table" and "strikethrough"), read back as a reader sees it."""
    from markdown_it import MarkdownIt

    reader = _Reader()
    reader.feed(MarkdownIt("commonmark").enable(list(extensions)).render(markdown))
    reader._close()
    return reader.seen


def paragraphs(text: str) -> list[str]:
    """Plain text's paragraphs (separated by blank lines), each line stripped: how it reads."""
    blocks = re.split(r"\n\s*\n", text.strip("\n"))
    return ["\n".join(line.strip() for line in block.split("\n")) for block in blocks if block.strip()]


def unit_entries(path: Path) -> dict[str, list[str]]:
    """A systemd unit's Key=Value entries (a key may repeat), sections merged."""
    entries: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith(("#", ";", "[")):
            key, value = line.split("=", 1)
            entries.setdefault(key.strip(), []).append(value.strip())
    return entries


def default_universe_text() -> str:
    """The shipped universe file's text, to edit into another universe."""
    from smallcap.universe import DEFAULT_FILE

    return DEFAULT_FILE.read_text(encoding="utf-8")
