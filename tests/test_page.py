"""report.html, the week on one page, as a browser shows it: headless Chromium (Debian's `chromium`) reads
the rendered DOM and takes a screenshot. Known answers come from the independent calculation of the
closes in tests/data, never from the pipeline's own output.

Without Chromium the browser tests skip and say so; the checks of the page's HTML run anyway.
"""

from __future__ import annotations

import base64
import io
import re
import shutil
import struct
import subprocess
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest

from smallcap.quality.gate import validate
from smallcap.quality.results import WARNING, Finding, GateReport
from smallcap.report.figures import IndexWeek, WeekFigures
from smallcap.report.funds import PERIODS, fund_table
from smallcap.report.page import verdict_page, week_page
from smallcap.sources.batch import from_long_text
from tests import independent
from tests.conftest import LONG_HISTORY, SAMPLE, SEED, THREE, YEAR, CompletedRun, read_closes
from tests.helpers import write_navs

WEEK = date(2026, 2, 13)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


# ---- reading a page back -------------------------------------------------------------------------


class Page(HTMLParser):
    """What a person sees of a page: the text of each element with an id, table rows, images, and
    every tag and link (to prove nothing is fetched from elsewhere)."""

    def __init__(self) -> None:
        super().__init__()
        self.text: dict[str, str] = {}
        self.rows: dict[str, list[list[str]]] = {}
        self.images: dict[str, str] = {}
        self.tags: set[str] = set()
        self.links: list[str] = []
        self.styles: list[str] = []
        self._open: list[tuple[str, str | None]] = []
        self._table: str | None = None

    VOID = frozenset({"img", "meta", "br", "hr", "link", "input", "source", "base"})

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.add(tag)
        self.links += [v for k, v in attrs if k in ("src", "href", "srcset", "action", "data") and v]
        if tag == "img" and a.get("id"):
            self.images[a["id"]] = a.get("src") or ""
        if tag in self.VOID:
            return
        self._open.append((tag, a.get("id")))
        if a.get("id"):
            self.text[a["id"]] = ""
            if tag == "table":
                self._table = a["id"]
                self.rows[a["id"]] = []
        if tag == "tr" and self._table:
            self.rows[self._table].append([])
        if tag in ("td", "th") and self._table:
            self.rows[self._table][-1].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        while self._open:
            open_tag, ident = self._open.pop()
            if open_tag == "table" and ident == self._table:
                self._table = None
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._open and self._open[-1][0] == "style":
            self.styles.append(data)
        for _, ident in self._open:
            if ident:
                self.text[ident] += data
        if self._table and any(t in ("td", "th") for t, _ in self._open):
            self.rows[self._table][-1][-1] += data


def read_page(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


def assert_self_contained(page: Page) -> None:
    """Nothing to fetch: no scripts, no linked styles, fonts or frames; every link is data: or local."""
    assert not page.tags & {"script", "link", "iframe", "object", "embed"}, page.tags
    for link in page.links:
        assert link.startswith("data:") or not re.match(r"^[a-z][a-z0-9+.-]*:|^//", link, re.I), link
    for style in page.styles:
        assert not re.search(r"url\(\s*['\"]?(?!data:)", style), "a style loads something from elsewhere"
        assert "@import" not in style


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == PNG_MAGIC and png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


# ---- the browser ---------------------------------------------------------------------------------


def chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        pytest.skip("chromium not installed: apt-get install chromium")
    return found


def _browse(page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        *args,
        page.resolve().as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def rendered(page: Path, tmp: Path) -> Page:
    """The page as Chromium built it (--dump-dom), read back."""
    return read_page(_browse(page, tmp / "profile-dom", "--dump-dom").stdout)


def screenshot(page: Path, tmp: Path) -> bytes:
    shot = tmp / "report.png"
    _browse(page, tmp / "profile-shot", f"--screenshot={shot}", "--window-size=1400,1000")
    png = shot.read_bytes()
    assert png_size(png) == (1400, 1000)
    assert len(png) > 20_000  # a blank 1400×1000 screenshot compresses to a few kB
    return png


# ---- the week's page of the default run (the seed's week), in Chromium -----------------------------


@pytest.mark.flow
def test_the_weeks_page_opens_offline_in_chromium(sample_week: CompletedRun, tmp_path: Path) -> None:
    out, data = sample_week.out, sample_week.data_dir
    path = Path(out["page"])
    assert path == data / "reports" / "2026-02-13" / "report.html"
    assert_self_contained(read_page(path.read_text(encoding="utf-8")))
    page = rendered(path, tmp_path)

    # The figures, from an independent calculation on the known-answer copy of the sample.
    weekly = independent.weekly_close(read_closes(SAMPLE))
    week = weekly[weekly["week_ending"] == WEEK].set_index("index_code")
    rs = independent.relative_strength(weekly).iloc[-1]
    assert week.loc["R2000G", "close"] == 1709.95
    rows = {r[0]: r[1:] for r in page.rows["figures"][1:]}
    for code in THREE:
        (cells,) = [cells for label, cells in rows.items() if label.endswith(f"({code})")]
        w = week.loc[code]
        assert cells == [
            f"{w['close']:.2f}",
            f"{w['prev_close']:.2f}",
            f"{w['change']:+.2f}",
            f"{w['return_1w'] * 100:+.2f}%",
        ]
    ratio = f"R2000G ÷ SPX = {rs['numerator_close']:.2f} / {rs['denominator_close']:.2f} = {rs['ratio'] * 100:.2f}%"
    assert page.text["ratio"] == ratio == "R2000G ÷ SPX = 1709.95 / 6836.17 = 25.01%"
    assert f"{rs['ma_26w'] * 100:.2f}%" in page.text["deviation"]
    assert f"{rs['deviation_26w'] * 100:+.2f}%" in page.text["deviation"]

    # The chart: an image inside the page, the published PNG itself.
    src = page.images["chart"]
    assert src.startswith("data:image/png;base64,")
    png = base64.b64decode(src.removeprefix("data:image/png;base64,"))
    assert png_size(png) == (1200, 675) and png == Path(out["chart"]).read_bytes()

    # The drafts as the analyst pastes them: every line, the <…> headings as text.
    assert page.text["draft-ja"] == Path(out["draft"]).read_text(encoding="utf-8")
    assert page.text["draft-en"] == Path(out["draft_en"]).read_text(encoding="utf-8")
    seed_headings = [line for line in SEED.read_text(encoding="utf-8").splitlines() if line.startswith("<")]
    assert len(seed_headings) == 4 and set(seed_headings) <= set(page.text["draft-ja"].splitlines())
    assert "<Private credit>" in page.text["draft-en"].splitlines()
    assert "private" not in page.tags  # shown, not parsed as an element

    assert page.text["verdict"].startswith("Quality gate: passed")
    assert "0 failed" in page.text["verdict"]
    assert "No fund table configured" in page.text["funds"]  # the default run has no NAV file
    screenshot(path, tmp_path)


# ---- the page on its own: every part, and a rejected batch's verdict -------------------------------


def _figures() -> WeekFigures:
    """The seed's week, straight from the independent calculation."""
    weekly = independent.weekly_close(read_closes(SAMPLE))
    week = weekly[weekly["week_ending"] == WEEK].set_index("index_code")
    rs = independent.relative_strength(weekly).iloc[-1]
    r = week.loc["R2000G"]
    return WeekFigures(
        week_ending=WEEK,
        close=r["close"],
        prev_close=r["prev_close"],
        change=r["change"],
        return_1w=r["return_1w"],
        last_week_change=None,
        dow_return_1w=week.loc["DJIA", "return_1w"],
        spx_return_1w=week.loc["SPX", "return_1w"],
        numerator_close=rs["numerator_close"],
        denominator_close=rs["denominator_close"],
        ratio=rs["ratio"],
        ma_26w=rs["ma_26w"],
        deviation_26w=rs["deviation_26w"],
        indices=tuple(
            IndexWeek(c, *(float(week.loc[c, k]) for k in ("close", "prev_close", "change", "return_1w")))
            for c in THREE
        ),
    )


def _tiny_png() -> bytes:
    from matplotlib import pyplot as plt

    fig = plt.figure(figsize=(1, 1), dpi=20)
    out = io.BytesIO()
    fig.savefig(out, format="png")
    plt.close(fig)
    return out.getvalue()


def test_every_part_of_the_page_and_nothing_to_fetch(tmp_path: Path) -> None:
    navs = write_navs(tmp_path / "navs.csv", ["SPX", "R2000G"])
    funds = fund_table(navs, WEEK, ["SPX", "R2000G"], {"SPX": "S&P 500 <index>"})
    drafts = {"ja": SEED.read_text(encoding="utf-8"), "en": "Line one.\n<Private credit>\n[To be written]\n"}
    moved = {"index_code": "R2000G", "trade_date": "2026-02-12"}
    verdict = GateReport(
        checks=[
            Finding("close > 0", "daily_close", True, 0),
            Finding("move within ±15 %", "daily_move", False, 1, [moved], severity=WARNING),
        ]
    )
    edited = {"ja": "comment.ja.txt"}  # the analyst's draft was kept: the page says so above this run's
    html = week_page(_figures(), drafts, _tiny_png(), funds, verdict, source="csv", batch_id="0123abcd", edited=edited)
    page = read_page(html)
    assert_self_contained(page)
    assert page.text["draft-ja"] == drafts["ja"] and page.text["draft-en"] == drafts["en"]
    assert html.count("was edited and is kept") == 1 and "comment.ja.txt was edited" in html
    assert "&lt;Private credit&gt;" in html and "<index>" not in html  # every value escaped
    assert page.text["verdict"].startswith("Quality gate: passed") and "1 warned" in page.text["verdict"]
    assert page.rows["flagged-checks"][1] == [
        "warned",
        "daily_move",
        "move within ±15 %",
        "1",
        "index_code=R2000G trade_date=2026-02-12",
    ]

    # The fund table: returns as the independent calculation gives them (the NAVs are real closes); the
    # R2000G series in the file ends in December, so that fund is marked and shows no figures.
    history = read_closes(LONG_HISTORY, ["SPX", "R2000G"])
    spx = history[history["index_code"] == "SPX"]
    expected = independent.fund_returns([(d.date(), c) for d, c in zip(spx["date"], spx["close"], strict=True)], WEEK)
    table = {r[0]: r[2:] for r in page.rows["funds"][1:]}
    assert table["S&P 500 <index>"] == [f"{expected[p] * 100:+.2f}%" for p in PERIODS]
    last_r2000g = history[history["index_code"] == "R2000G"]["date"].max().date()
    assert (WEEK - last_r2000g).days > 7 and table["R2000G†"] == ["—"] * len(PERIODS)
    assert f"R2000G: its latest NAV ({last_r2000g:%B} {last_r2000g.day}, {last_r2000g.year})" in html


def test_embedded_font_covers_every_japanese_character() -> None:
    from fontTools.ttLib import TTFont

    seed = SEED.read_text(encoding="utf-8")
    html = week_page(_figures(), {"ja": seed}, _tiny_png(), None, GateReport(checks=[]), source="sample", batch_id=None)
    (data,) = re.findall(r"url\(data:font/ttf;base64,([A-Za-z0-9+/=]+)\)", html)
    covered = set(TTFont(io.BytesIO(base64.b64decode(data))).getBestCmap())
    shown = {ord(c) for c in seed if ord(c) > 0x7F and not c.isspace()}
    assert shown and shown <= covered


def test_a_rejected_batchs_verdict_page_in_chromium(tmp_path: Path) -> None:
    """A real gate verdict on a bad batch (a negative close) as its page in quarantine shows it."""
    chromium()
    closes = read_closes(YEAR).assign(date=lambda f: f["date"].dt.strftime("%Y-%m-%d")).astype(str)
    batch = from_long_text(closes, "csv", date(2000, 1, 1), date(2025, 11, 21))
    bad = (batch["index_code"] == "SPX") & (batch["trade_date"] == "2025-03-03")
    batch.loc[bad, "close"] = -5868.55
    report = validate(batch, week_ending=date(2025, 11, 21), today=date(2026, 11, 28))
    assert not report.success
    path = tmp_path / "quarantine" / "weekly-2025-11-21-x" / "report.html"
    path.parent.mkdir(parents=True)
    html = verdict_page(
        report, week_ending=date(2025, 11, 21), run_name="weekly-2025-11-21", batch_id="b1", reason=report.reason()
    )
    path.write_text(html, encoding="utf-8")
    assert_self_contained(read_page(html))

    page = rendered(path, tmp_path)
    assert page.text["verdict"].startswith("Quality gate: rejected")
    assert page.text["reason"] == report.reason()
    status, suite, check, count, rows = page.rows["flagged-checks"][1]  # failed checks come first
    assert (status, suite, check, count) == ("failed", "daily_close", "close > 0", "1")
    assert rows == "index_code=SPX trade_date=2025-03-03 close=-5868.55"
    screenshot(path, tmp_path)
