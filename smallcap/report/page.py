"""The week on one page (report.html), and the verdict page of a rejected batch: HTML that needs no network.

Everything is inside the file: the chart as a data: URI, the styles inline, the Japanese glyphs as
an embedded font (smallcap.report.webfont); no scripts. The drafts are shown as the text the
analyst pastes, escaped (Jinja2 autoescape), so their `<…>` headings read as text, line for line.
The figures are the WeekFigures the drafts were written from, printed by the same phrasing rules.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import date
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from smallcap.indices import INDICES
from smallcap.quality.results import ERROR, Finding, GateReport, format_row
from smallcap.report import phrasing, webfont
from smallcap.report.figures import WeekFigures
from smallcap.report.funds import PERIODS, FundTable

_env = Environment(
    loader=PackageLoader("smallcap.report", "templates"),
    undefined=StrictUndefined,
    autoescape=True,  # every value is text: a draft's "<Private credit>" must show, not become a tag
    trim_blocks=True,
    lstrip_blocks=True,
)

_NAMES = {i.code: i.name_en for i in INDICES}
LANGUAGE_NAMES = {"ja": "Japanese", "en": "English"}


def png_data_uri(png: bytes) -> str:
    if not png.startswith(b"\x89PNG\r\n\x1a\n"):
        raise ValueError("the chart is not a PNG file")
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _status(check: Finding) -> str:
    if check.success:
        return "passed"
    return "failed" if check.severity == ERROR else "warned"


def gate_context(report: GateReport) -> dict[str, Any]:
    """The verdict as the page shows it: failed checks first, then warnings, each with its sample rows.

    No links to Data Docs: their pages need a network, and each run's has its own name, while the same
    run must give the same page.
    """
    order = {"failed": 0, "warned": 1, "passed": 2}
    checks = sorted(report.checks, key=lambda c: order[_status(c)])  # stable: the gate's order within each
    return {
        "verdict": "passed" if report.success else "rejected",
        "summary": report.summary(),
        "checks": [
            {
                "status": _status(c),
                "suite": c.suite,
                "expectation": c.expectation,
                "severity": c.severity,
                "unexpected_count": c.unexpected_count,
                "rows": [format_row(r) for r in c.sample],
            }
            for c in checks
        ],
    }


def _deviation(f: WeekFigures) -> str | None:
    if f.deviation is None:
        return None
    return (
        phrasing.signed_percent(f.deviation)
        if f.deviation_form == "relative"
        else phrasing.signed_points_en(f.deviation)
    )


def figures_context(f: WeekFigures) -> dict[str, Any]:
    ma = f.ma_26w if f.deviation_basis == "weekly" else f.ma_26w_daily
    return {
        "date": phrasing.date_en(f.week_ending),
        "indices": [
            {
                "code": i.index_code,
                "name": i.name_en or _NAMES.get(i.index_code, i.index_code),
                "close": phrasing.number(i.close),
                "prev_close": phrasing.number(i.prev_close),
                "change": phrasing.signed(i.change),
                "return_1w": phrasing.signed_percent(i.return_1w),
            }
            for i in f.indices
        ],
        "ratio_line": (
            f"{f.pair.replace('/', ' ÷ ')} = {phrasing.number(f.numerator_close)}"
            f" / {phrasing.number(f.denominator_close)} = {phrasing.percent(f.ratio)}"
        ),
        "ma_26w": None if ma is None else phrasing.percent(ma),
        "deviation": _deviation(f),
        "basis": f.deviation_basis,
        "form": f.deviation_form,
    }


def funds_context(funds: FundTable | None) -> dict[str, Any] | None:
    if funds is None:
        return None
    return {
        "date": (phrasing.month_end_en if funds.month_end else phrasing.date_en)(funds.as_of),
        "periods": PERIODS,
        "max_age_days": funds.max_age_days,
        "rows": [
            {
                "name": r.name,
                "as_of": phrasing.MISSING if r.as_of is None else phrasing.date_en(r.as_of),
                "returns": [phrasing.optional_signed_percent(r.returns.get(p)) for p in PERIODS],
                "unavailable": r.unavailable,
                "last_nav": None if r.last_nav is None else phrasing.date_en(r.last_nav),
            }
            for r in funds
        ],
    }


def _render(template: str, **context: Any) -> str:
    page = _env.get_template(template)
    # Rendered once to learn which characters the page shows, then with a font holding just those.
    draft = page.render(font_css="", **context)
    return page.render(font_css=Markup(webfont.font_face(draft)), **context)


def week_page(
    figures: WeekFigures,
    drafts: Mapping[str, str],
    chart_png: bytes,
    funds: FundTable | None,
    verdict: GateReport,
    *,
    source: str,
    batch_id: str | None,
    edited: Mapping[str, str] | None = None,
) -> str:
    """The published week: figures, chart, drafts (keyed by language code), fund table and the gate's verdict.

    `edited` names, by language code, a draft the analyst edited and the run kept: the page then shows
    this run's draft (from these figures) and says where the analyst's is.
    """
    return _render(
        "report.html.j2",
        title=f"Week ending {phrasing.date_en(figures.week_ending)}",
        figures=figures_context(figures),
        chart=png_data_uri(chart_png),
        drafts=[
            {"code": code, "language": LANGUAGE_NAMES.get(code, code), "text": text, "edited": (edited or {}).get(code)}
            for code, text in drafts.items()
        ],
        funds=funds_context(funds),
        gate=gate_context(verdict),
        source=source,
        batch_id=batch_id,
    )


def verdict_page(
    verdict: GateReport,
    *,
    week_ending: date | None,
    run_name: str,
    batch_id: str | None,
    reason: str,
) -> str:
    """A rejected batch's page, kept with it in quarantine: the reason and every check, failed ones first.

    Nothing else: a rejected run builds no figures, chart or drafts, and publishes nothing.
    """
    week = "" if week_ending is None else f", week ending {phrasing.date_en(week_ending)}"
    return _render(
        "rejected.html.j2",
        title=f"Batch rejected{week}",
        run_name=run_name,
        batch_id=batch_id,
        reason=reason,
        gate=gate_context(verdict),
    )
