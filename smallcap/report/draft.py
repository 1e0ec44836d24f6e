"""The weekly comment drafts, Japanese and English: figures in, plain text out (Jinja2), in the seed's shape.

Both drafts have the same parts in the same order: the figure sentences, the analyst's
background paragraph and sections, the ratio section with the analyst's outlook, the chart and
fund-table references, and the fund table (or a note that none is configured). The analyst's
parts start from last week's edited comment in the same language when there is one, each under
a review marker; otherwise they are marked placeholders.

The text is plain, as the seed is pasted into a blog: its `<…>` headings and line breaks are the
text itself. Where it is shown as Markdown, smallcap.report.markdown keeps it so.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from jinja2 import Environment, PackageLoader, StrictUndefined

from smallcap.report import phrasing
from smallcap.report.figures import IndexWeek, WeekFigures
from smallcap.report.funds import PERIODS, FundTable
from smallcap.report.sections import AnalystText, Layout, Section, parse
from smallcap.universe import IndexSpec, Universe, read

_env = Environment(
    loader=PackageLoader("smallcap.report", "templates"),
    undefined=StrictUndefined,  # a missing figure is an error, never a blank in a published text
    keep_trailing_newline=True,
    autoescape=False,
)


@dataclass(frozen=True)
class ChartRef:
    since: date | None = None  # the first week the chart shows (the draft names it; the chart file is beside it)


@dataclass(frozen=True)
class Carried:
    """The analyst's text from an earlier week's edited comment, and that week."""

    text: AnalystText
    week_ending: date


@dataclass(frozen=True)
class Language:
    code: str
    template: str
    layout: Layout
    default_sections: tuple[str, ...]
    placeholder: str
    background_placeholder: str
    outlook_placeholder: str
    review: Callable[[date], str]
    ratio_heading: Callable[[IndexSpec, IndexSpec], str]  # the ratio section's heading for the comment's pair
    date: Callable[[date], str]
    month: Callable[[date], str]
    verb: Callable[[float, float | None], str]
    comparison: Callable[[float, float, float, float], str]
    points: Callable[[float], str]  # a deviation in percentage points of the ratio
    month_end: Callable[[date], str]  # a fund table dated at a month end
    compare: Callable[[float, Sequence[tuple[str, float]], float], str]  # against the universe's large caps
    index_name: Callable[[IndexSpec], str]  # how the comparison sentence names an index


JA = Language(
    code="ja",
    template="comment.ja.txt.j2",
    layout=Layout(
        ratio_heading="小型成長株相場とラッセル2000グロース VS SP500",
        figure_lines=(
            re.compile(r"^\d{4}年\d{1,2}[月年]\d{1,2}日の米国小型成長株インデックス\(.+?\)は、"),
            re.compile(r"^主要インデックスの.+?\(前週末比"),
            re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日時点の、.+÷.+は"),
            re.compile(r"^\d+週移動平均との乖離は(、\d+週分のデータ|[+-]?\d)"),
        ),
        marker=re.compile(r"^【(記入してください|要確認)[^】]*】$"),
    ),
    default_sections=("主力大型株 VS 小型成長株", "プライベート・クレジット問題", "外部材料"),
    placeholder="【記入してください】",
    background_placeholder="【記入してください: 今週の相場の背景】",
    outlook_placeholder="【記入してください: 見通し】",
    ratio_heading=lambda n, d: f"小型成長株相場と{n.name_ja} VS {d.name_ja}",
    review=lambda d: f"【要確認: {phrasing.date_ja(d)}のコメントから引き継ぎ。見直したらこの行を削除してください】",
    date=phrasing.date_ja,
    month=phrasing.month_ja,
    verb=phrasing.verb,
    comparison=phrasing.comparison,
    points=phrasing.signed_points_ja,
    month_end=phrasing.month_end_ja,
    compare=phrasing.compare_ja,
    index_name=lambda i: i.name_ja,
)

EN = Language(
    code="en",
    template="comment.en.txt.j2",
    layout=Layout(
        ratio_heading="Small-cap growth and Russell 2000 Growth vs S&P 500",
        figure_lines=(
            re.compile(r"^On .+, the US small-cap growth index \(.+?\) closed at "),
            re.compile(r"^It moved (in line with|ahead of|behind) "),
            re.compile(r"^As of .+, .+ ÷ .+ was "),
            re.compile(r"^and the deviation from its \d+-week moving average "),
        ),
        marker=re.compile(r"^\[(To be written|Review)[^\]]*\]$"),
    ),
    default_sections=("Mega-caps vs small-cap growth", "Private credit", "External factors"),
    placeholder="[To be written]",
    background_placeholder="[To be written: this week's market background]",
    outlook_placeholder="[To be written: outlook]",
    ratio_heading=lambda n, d: f"Small-cap growth and {n.name_en} vs {d.name_en}",
    review=lambda d: f"[Review: carried forward from the comment of {phrasing.date_en(d)}; delete this line when done]",
    date=phrasing.date_en,
    month=phrasing.month_en,
    verb=phrasing.verb_en,
    comparison=phrasing.comparison_en,
    points=phrasing.signed_points_en,
    month_end=phrasing.month_end_en,
    compare=phrasing.compare_en,
    index_name=lambda i: i.phrase,
)

LANGUAGES = {"ja": JA, "en": EN}


def analyst_text(comment: str, lang: Language) -> AnalystText:
    """The analyst's parts of a comment written in `lang` (see smallcap.report.sections)."""
    return parse(comment, lang.layout)


def _block(body: str, placeholder: str, carried: Carried | None, lang: Language) -> str:
    if not body:
        return placeholder
    return f"{lang.review(carried.week_ending)}\n{body}" if carried else body


def _deviation(f: WeekFigures, lang: Language) -> str | None:
    """The configured deviation as printed: relative in %, points in percentage points of the ratio."""
    value = f.deviation
    if value is None:
        return None
    return phrasing.signed_percent(value) if f.deviation_form == "relative" else lang.points(value)


def render(
    lang: Language,
    f: WeekFigures,
    band: float = 0.005,
    chart: ChartRef | None = None,
    carried: Carried | None = None,
    funds: FundTable | None = None,
    universe: Universe | None = None,
) -> str:
    """The draft in `lang`. `funds` None means no fund table is configured. `universe` names the
    indices (default: the shipped universe's three)."""
    universe = universe or read()
    num, den = (universe.index(c) for c in f.pair.split("/"))
    large = f.large_caps or (
        IndexWeek("DJIA", f.dow_return_1w, 0, 0, f.dow_return_1w),
        IndexWeek("SPX", f.spx_return_1w, 0, 0, f.spx_return_1w),
    )
    named = [(lang.index_name(universe.index(i.index_code)), i.return_1w) for i in large]
    chart = chart or ChartRef()
    prior = carried.text if carried else AnalystText()
    sections = prior.sections if prior.sections else [Section(h, "") for h in lang.default_sections]
    text = _env.get_template(lang.template).render(
        date=lang.date(f.week_ending),
        close=phrasing.number(f.close),
        change=phrasing.signed(f.change),
        return_1w=phrasing.signed_percent(f.return_1w),
        verb=lang.verb(f.change, f.last_week_change),
        comparison=lang.compare(f.return_1w, named, band),
        small_en=num.name_en,
        pair_ja=f"{num.name_ja}÷{den.name_ja}",
        pair_en=f"{num.name_en} ÷ {den.name_en}",
        denominator_ja=den.name_ja,
        denominator_en=den.name_en,
        window=f.window_weeks,
        others=[
            {
                "name_ja": o.name_ja or universe.index(o.index_code).name_ja,
                "name_en": o.name_en or universe.index(o.index_code).name_en,
                "close": phrasing.number(o.close),
                "change": phrasing.signed(o.change),
                "return_1w": phrasing.signed_percent(o.return_1w),
            }
            for o in f.others
        ],
        numerator=phrasing.number(f.numerator_close),
        denominator=phrasing.number(f.denominator_close),
        ratio=phrasing.percent(f.ratio),
        deviation_26w=_deviation(f, lang),
        background=_block(prior.background, lang.background_placeholder, carried, lang),
        sections=[{"heading": s.heading, "body": _block(s.body, lang.placeholder, carried, lang)} for s in sections],
        ratio_heading=lang.ratio_heading(num, den),
        outlook=_block(prior.outlook, lang.outlook_placeholder, carried, lang),
        chart_since=None if chart.since is None else lang.month(chart.since),
        fund_date=None if funds is None else (lang.month_end if funds.month_end else lang.date)(funds.as_of),
        fund_max_age_days=None if funds is None else funds.max_age_days,
        funds=None
        if funds is None
        else [
            {
                "name": r.name,
                "as_of": phrasing.MISSING if r.as_of is None else lang.date(r.as_of),
                "returns": [phrasing.optional_signed_percent(r.returns[p]) for p in PERIODS],
                "unavailable": r.unavailable,
                "last_nav": None if r.last_nav is None else lang.date(r.last_nav),
            }
            for r in funds
        ],
    )
    return text.rstrip("\n") + "\n"


def render_ja(
    f: WeekFigures,
    band: float = 0.005,
    chart: ChartRef | None = None,
    carried: Carried | None = None,
    funds: FundTable | None = None,
) -> str:
    return render(JA, f, band, chart, carried, funds)


def render_en(
    f: WeekFigures,
    band: float = 0.005,
    chart: ChartRef | None = None,
    carried: Carried | None = None,
    funds: FundTable | None = None,
) -> str:
    return render(EN, f, band, chart, carried, funds)
