"""The weekly comment draft: figures in, text out (Jinja2), in the seed's words and formats."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, StrictUndefined

from smallcap import phrasing
from smallcap.figures import WeekFigures

_env = Environment(
    loader=PackageLoader("smallcap", "templates"),
    undefined=StrictUndefined,  # a missing figure is an error, never a blank in a published text
    keep_trailing_newline=True,
    autoescape=False,
)


def render_ja(f: WeekFigures, band: float = 0.005, chart_name: str = "ratio.png") -> str:
    return _env.get_template("comment.ja.md.j2").render(
        date_ja=phrasing.date_ja(f.week_ending),
        close=phrasing.number(f.close),
        change=phrasing.signed(f.change),
        return_1w=phrasing.signed_percent(f.return_1w),
        verb=phrasing.verb(f.change, f.last_week_change),
        dow_return_1w=phrasing.signed_percent(f.dow_return_1w),
        spx_return_1w=phrasing.signed_percent(f.spx_return_1w),
        comparison=phrasing.comparison(f.return_1w, f.dow_return_1w, f.spx_return_1w, band),
        numerator=phrasing.number(f.numerator_close),
        denominator=phrasing.number(f.denominator_close),
        ratio=phrasing.percent(f.ratio),
        deviation_26w=None if f.deviation_26w is None else phrasing.signed_percent(f.deviation_26w),
        chart_name=chart_name,
    )
