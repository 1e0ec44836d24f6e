"""The seed's week: the draft's figure sentences must read as the published comment does."""

from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from smallcap.report.draft import render_ja
from tests import independent
from tests.conftest import SAMPLE, SEED, YEAR, read_closes
from tests.helpers import seed_week_figures, write_navs


def seed_lines() -> list[str]:
    # The published comment's date line has a typo (2年 for 2月); the draft writes the date right.
    return SEED.read_text(encoding="utf-8").replace("2026年2年13日", "2026年2月13日").splitlines()


def test_seed_week_figure_sentences_match_the_published_comment() -> None:
    draft = render_ja(seed_week_figures()).splitlines()
    seed = seed_lines()
    assert draft[0] == seed[0]
    assert "1709.95で終わりました" in draft[0] and "-24.27(-1.40%)と反落しました" in draft[0]
    assert draft[2] == seed[2]  # the Dow / S&P 500 sentence, 同程度の動き
    ratio_at = seed.index("<小型成長株相場とラッセル2000グロース VS SP500 >")
    assert ratio_at > 0
    draft_ratio_at = draft.index("<小型成長株相場とラッセル2000グロース VS SP500 >")
    assert draft[draft_ratio_at + 1] == seed[ratio_at + 1]  # ...1709.95/6836.17=25.01%、
    assert draft[draft_ratio_at + 2] == seed[ratio_at + 2]  # 乖離は+0.39%でした。


def test_analyst_sections_are_marked_placeholders() -> None:
    draft = render_ja(seed_week_figures())
    for heading in ("<主力大型株 VS 小型成長株>", "<プライベート・クレジット問題>", "<外部材料>"):
        after = draft.split(heading, 1)[1].splitlines()[1]
        assert after.startswith("【記入してください")


def test_without_26_weeks_the_deviation_is_said_to_be_missing() -> None:
    from dataclasses import replace

    draft = render_ja(replace(seed_week_figures(), ma_26w=None, deviation_26w=None))
    assert "26週分のデータがまだないため算出できません" in draft
    assert "1709.95/6836.17=25.01%" in draft


# -- the whole seed: structure, carried-forward text, references ---------------------------------


def test_carried_from_the_seed_the_draft_reproduces_the_seed_line_for_line() -> None:
    """Every part of the seed in its place: figure sentences, the analyst's text, the ratio section."""
    from smallcap.report.draft import JA, Carried, ChartRef, analyst_text

    seed = seed_lines()
    carried = Carried(analyst_text("\n".join(seed), JA), date(2026, 2, 6))
    draft = render_ja(seed_week_figures(), carried=carried, chart=ChartRef(since=date(2022, 1, 7))).splitlines()
    marker = "【要確認: 2026年2月6日のコメントから引き継ぎ。見直したらこの行を削除してください】"
    assert draft.count(marker) == 5  # background, three sections, outlook: each marked for review
    reviewed = [line for line in draft if line != marker]  # what the analyst has after reviewing
    references = seed.index("→ 2022年1月以降の小型成長株とS500の相対比較の推移")
    assert reviewed[:references] == seed[:references]
    assert reviewed[references] == "→ 2022年1月以降の小型成長株とSP500の相対比較の推移"  # seed: "S500"
    assert reviewed[references + 1].startswith("→ 小型成長株関連投資信託のパフォーマンス(")
    back_numbers = "(過去の市場コメントは、「アメリカ成長株(米国成長株)市場」)"
    assert reviewed[references + 2] == seed[references + 2] == back_numbers


def test_english_draft_has_the_same_figures_and_structure() -> None:
    from smallcap.report.draft import render_en

    ja, en = render_ja(seed_week_figures()), render_en(seed_week_figures())
    assert en.splitlines()[0] == (
        "On February 13, 2026, the US small-cap growth index (Russell 2000 Growth) closed at 1709.95. "
        "Against a week earlier it fell back: -24.27 (-1.40%)."
    )
    assert en.splitlines()[2] == (
        "It moved in line with the major indices, the Dow (week on week -1.23%) and the S&P 500 (week on week -1.39%)."
    )
    assert "Russell 2000 Growth ÷ S&P 500 was 1709.95/6836.17=25.01%," in en
    assert "and the deviation from its 26-week moving average was +0.39%." in en
    # Same skeleton line by line: headings, placeholders, references in the same places.
    shape = [_kind(line) for line in ja.splitlines()]
    assert shape == [_kind(line) for line in en.splitlines()]
    assert shape.count("heading") == 4 and shape.count("reference") == 2


def _kind(line: str) -> str:
    if line.startswith("<"):
        return "heading"
    if line.startswith("→"):
        return "reference"
    if line.startswith(("【", "[")):
        return "placeholder"
    return "blank" if not line else "text"


# -- golden cases: each verb and each comparison phrase, from real weeks through the warehouse ---

GOLDEN = {
    # week: (ja opening line, ja Dow/S&P line, en verb phrase, en comparison)
    "2025-06-20": (
        "2025年6月20日の米国小型成長株インデックス(Russell 2000 Growth)は、1410.61で終わりました。"
        "一週間前に比べて+7.77(+0.55%)と反発しました。",
        "主要インデックスのNYダウ(前週末比+0.02%)およびSP500(前週末比-0.15%)を上回る動きとなっています。",
        "it rebounded: +7.77 (+0.55%).",
        "It moved ahead of the major indices",
    ),
    "2025-01-17": (
        "2025年1月17日の米国小型成長株インデックス(Russell 2000 Growth)は、1505.58で終わりました。"
        "一週間前に比べて+50.25(+3.45%)と反発しました。",
        "主要インデックスのNYダウ(前週末比+3.69%)と同程度、SP500(前週末比+2.91%)を上回る動きとなっています。",
        "it rebounded: +50.25 (+3.45%).",
        "It moved in line with the Dow (week on week +3.69%) and ahead of the S&P 500 (week on week +2.91%)",
    ),
    "2025-01-03": (
        "2025年1月3日の米国小型成長株インデックス(Russell 2000 Growth)は、1505.57で終わりました。"
        "一週間前に比べて+19.58(+1.32%)と続伸しました。",
        "主要インデックスのNYダウ(前週末比-0.60%)およびSP500(前週末比-0.48%)を上回る動きとなっています。",
        "it rose for a second week: +19.58 (+1.32%).",
        "It moved ahead of the major indices",
    ),
    "2025-01-10": (
        "2025年1月10日の米国小型成長株インデックス(Russell 2000 Growth)は、1455.33で終わりました。"
        "一週間前に比べて-50.24(-3.34%)と反落しました。",
        "主要インデックスのNYダウ(前週末比-1.86%)およびSP500(前週末比-1.94%)を下回る動きとなっています。",
        "it fell back: -50.24 (-3.34%).",
        "It moved behind the major indices",
    ),
    "2024-12-06": (
        "2024年12月6日の米国小型成長株インデックス(Russell 2000 Growth)は、1593.11で終わりました。"
        "一週間前に比べて-8.90(-0.56%)と反落しました。",
        "主要インデックスのNYダウ(前週末比-0.60%)と同程度、SP500(前週末比+0.96%)を下回る動きとなっています。",
        "it fell back: -8.90 (-0.56%).",
        "It moved in line with the Dow (week on week -0.60%) and behind the S&P 500 (week on week +0.96%)",
    ),
    "2024-12-13": (
        "2024年12月13日の米国小型成長株インデックス(Russell 2000 Growth)は、1540.98で終わりました。"
        "一週間前に比べて-52.13(-3.27%)と続落しました。",
        "主要インデックスのNYダウ(前週末比-1.82%)およびSP500(前週末比-0.64%)を下回る動きとなっています。",
        "it fell for a second week: -52.13 (-3.27%).",
        "It moved behind the major indices",
    ),
    "2025-11-21": (
        "2025年11月21日の米国小型成長株インデックス(Russell 2000 Growth)は、1574.79で終わりました。"
        "一週間前に比べて-17.29(-1.09%)と続落しました。",
        "主要インデックスのNYダウ(前週末比-1.91%)およびSP500(前週末比-1.95%)を上回る動きとなっています。",
        "it fell for a second week: -17.29 (-1.09%).",
        "It moved ahead of the major indices",
    ),
    "2025-04-11": (
        "2025年4月11日の米国小型成長株インデックス(Russell 2000 Growth)は、1225.17で終わりました。"
        "一週間前に比べて+39.41(+3.32%)と反発しました。",
        "主要インデックスのNYダウ(前週末比+4.95%)およびSP500(前週末比+5.70%)を下回る動きとなっています。",
        "it rebounded: +39.41 (+3.32%).",
        "It moved behind the major indices",
    ),
}


def _warehouse(root: Path, daily: pd.DataFrame) -> Path:
    from smallcap.sources.batch import from_long_text
    from tests.conftest import land_and_build

    text = daily.assign(date=daily["date"].dt.strftime("%Y-%m-%d")).astype(str)
    batch = from_long_text(text, "csv", date(2000, 1, 1), daily["date"].max().date())
    return land_and_build([batch], root / "lake", root / "warehouse.duckdb")


@pytest.fixture(scope="module")
def year_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _warehouse(tmp_path_factory.mktemp("year"), read_closes(YEAR))


@pytest.mark.parametrize("week", sorted(GOLDEN))
def test_golden_week_from_real_closes(year_warehouse: Path, week: str) -> None:
    from smallcap.report.draft import render_en
    from smallcap.report.figures import read_week

    figures = read_week(year_warehouse, date.fromisoformat(week))
    opening, versus, en_verb, en_versus = GOLDEN[week]
    ja = render_ja(figures).splitlines()
    assert (ja[0], ja[2]) == (opening, versus)
    en = render_en(figures).splitlines()
    assert en[0].endswith(en_verb) and en[2].startswith(en_versus)


def test_golden_cases_cover_every_verb_and_comparison() -> None:
    from smallcap.report import phrasing

    verbs = {line[0].rsplit("と", 1)[1] for line in GOLDEN.values()}
    assert verbs == {"反発しました。", "続伸しました。", "反落しました。", "続落しました。"}  # 横ばい: below
    phrases = {p for p in ("と同程度", phrasing.ABOVE, phrasing.BELOW) for line in GOLDEN.values() if p in line[1]}
    assert phrases == {"と同程度", phrasing.ABOVE, phrasing.BELOW}  # every case of each: test_large_caps_*


# -- the Dow/S&P 500 sentence: every case on real weeks of the bundled sample's closes ----------

# R2000G against (the Dow, the S&P 500), each "same" within 0.5 points, else "above" or "below".
_JA_GOES_ON = {"same": "と同程度、", "above": "を上回り、", "below": "を下回り、"}
_JA_ENDS = {"same": "と同程度の動き", "above": "を上回る動き", "below": "を下回る動き"}


def _relation(small: float, other: float) -> str:
    gap = round((small - other) * 100, 10)  # percentage points, float noise trimmed
    return "same" if abs(gap) <= 0.5 else "above" if gap > 0 else "below"


def _real_weeks_by_case() -> dict[tuple[str, str], pd.Series]:
    """The first real week of each (vs Dow, vs S&P 500) case, from weekly returns computed with pandas."""
    weekly = independent.weekly_close(read_closes(SAMPLE)).dropna(subset=["return_1w"])
    wide = weekly.pivot(index="week_ending", columns="index_code", values="return_1w").dropna()
    cases: dict[tuple[str, str], pd.Series] = {}
    for _, row in wide.iterrows():
        cases.setdefault((_relation(row["R2000G"], row["DJIA"]), _relation(row["R2000G"], row["SPX"])), row)
    return cases


CASES = _real_weeks_by_case()


def _pct(fraction: float) -> str:
    return f"{fraction * 100:+.2f}%"


def test_the_sample_holds_a_real_week_of_every_case() -> None:
    # both in line, above both, below both, between the two, and in line with one only (either side)
    wanted = {("same", "same"), ("above", "above"), ("below", "below"), ("below", "above")}
    wanted |= {("same", "above"), ("same", "below"), ("above", "same"), ("below", "same")}
    assert wanted <= set(CASES)


@pytest.fixture(scope="module")
def sample_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _warehouse(tmp_path_factory.mktemp("sample"), read_closes(SAMPLE))


@pytest.mark.parametrize("case", sorted(CASES), ids="-vs-".join)
def test_large_caps_sentence_on_a_real_week(sample_warehouse: Path, case: tuple[str, str]) -> None:
    from smallcap.report.draft import render_en
    from smallcap.report.figures import read_week

    row = CASES[case]
    to_dow, to_spx = case
    dow, spx = f"NYダウ(前週末比{_pct(row['DJIA'])})", f"SP500(前週末比{_pct(row['SPX'])})"
    if to_dow == to_spx:
        expected = f"主要インデックスの{dow}および{spx}{_JA_ENDS[to_spx]}となっています。"
    else:
        expected = f"主要インデックスの{dow}{_JA_GOES_ON[to_dow]}{spx}{_JA_ENDS[to_spx]}となっています。"
    figures = read_week(sample_warehouse, row.name)
    assert render_ja(figures).splitlines()[2] == expected
    en = {"same": "in line with", "above": "ahead of", "below": "behind"}
    dow_en, spx_en = f"the Dow (week on week {_pct(row['DJIA'])})", f"the S&P 500 (week on week {_pct(row['SPX'])})"
    if to_dow == to_spx:
        expected_en = f"It moved {en[to_spx]} the major indices, {dow_en} and {spx_en}."
    else:
        expected_en = f"It moved {en[to_dow]} {dow_en} and {en[to_spx]} {spx_en}, the major indices."
    assert render_en(figures).splitlines()[2] == expected_en


def test_week_2025_12_12_names_each_large_cap() -> None:
    """R2000G's +0.47 % lies between the Dow's +1.05 % and the S&P 500's -0.63 %: in line with neither."""
    from smallcap.report import phrasing

    row = independent.weekly_close(read_closes(SAMPLE)).query("week_ending == @date(2025, 12, 12)")
    r = row.set_index("index_code")["return_1w"]
    assert phrasing.comparison(r["R2000G"], r["DJIA"], r["SPX"]) == (
        "NYダウ(前週末比+1.05%)を下回り、SP500(前週末比-0.63%)を上回る動き"
    )
    assert phrasing.comparison_en(r["R2000G"], r["DJIA"], r["SPX"]) == (
        "behind the Dow (week on week +1.05%) and ahead of the S&P 500 (week on week -0.63%), the major indices"
    )


def test_flat_week_then_a_rise_through_the_warehouse(tmp_path: Path) -> None:
    """横ばい when the change prints as 0.00; the week after a flat week rises plainly (上昇)."""
    from smallcap.report.draft import render_en
    from smallcap.report.figures import read_week

    daily = read_closes(YEAR)
    r2000g = daily["index_code"] == "R2000G"
    june20 = daily.loc[r2000g & (daily["date"] == "2025-06-20"), "close"].iloc[0]  # 1410.61
    daily.loc[r2000g & (daily["date"] == "2025-06-27"), "close"] = june20 + 0.004  # prints as +0.00
    warehouse = _warehouse(tmp_path, daily)

    flat = read_week(warehouse, date(2025, 6, 27))
    assert render_ja(flat).splitlines()[0] == (
        "2025年6月27日の米国小型成長株インデックス(Russell 2000 Growth)は、1410.61で終わりました。"
        "一週間前に比べて0.00(0.00%)と横ばいでした。"
    )
    assert render_en(flat).splitlines()[0].endswith("it was flat: 0.00 (0.00%).")
    after = read_week(warehouse, date(2025, 7, 3))  # Independence Day week ends Thursday
    assert render_ja(after).splitlines()[0].endswith("と上昇しました。")
    assert render_en(after).splitlines()[0].split(": ")[0].endswith("it rose")


@pytest.fixture(scope="module")
def seed_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.conftest import DATA

    return _warehouse(tmp_path_factory.mktemp("seed"), read_closes(DATA / "index_closes_2024-11-14_2026-02-13.csv"))


@pytest.mark.parametrize(
    ("basis", "form", "ja", "en"),
    [
        ("weekly", "relative", "+1.51%", "+1.51%"),
        ("weekly", "points", "+0.37ポイント", "+0.37 percentage points"),
        ("daily", "relative", "+1.64%", "+1.64%"),
        ("daily", "points", "+0.40ポイント", "+0.40 percentage points"),
    ],
)
def test_the_configured_deviation_is_printed(seed_warehouse: Path, basis: str, form: str, ja: str, en: str) -> None:
    """The seed's week on the real closes, under each definition (the seed itself prints +0.39%)."""
    from smallcap.report.draft import render_en
    from smallcap.report.figures import read_week

    figures = read_week(seed_warehouse, date(2026, 2, 13), basis, form)
    ja_lines = render_ja(figures).splitlines()
    assert "2026年2月13日時点の、ラッセル2000グロース÷SP500は1709.95/6836.17=25.01%、" in ja_lines
    assert f"26週移動平均との乖離は{ja}でした。" in ja_lines
    assert f"and the deviation from its 26-week moving average was {en}." in render_en(figures).splitlines()


# -- the fund table -----------------------------------------------------------------------------


def test_fund_table_is_rendered_when_configured(tmp_path: Path) -> None:
    from smallcap.report.draft import render_en
    from smallcap.report.funds import fund_table

    funds = fund_table(write_navs(tmp_path / "navs.csv", ["SPX", "DJIA"]), date(2026, 2, 13), ["SPX", "DJIA"])
    ja = render_ja(seed_week_figures(), funds=funds)
    assert "→ 小型成長株関連投資信託のパフォーマンス(2026年2月13日時点)" in ja
    assert "| ファンド | 基準日 | 1ヵ月 | 3ヵ月 | 6ヵ月 | 1年 | 年初来 |" in ja
    # SPX: 6836.17 against 6963.74 (2026-01-13), 6737.49, 6466.58, 6115.07, 6845.50 (2025-12-31)
    assert "| SPX | 2026年2月13日 | -1.83% | +1.46% | +5.72% | +11.79% | -0.14% |" in ja
    assert "未設定" not in ja
    en = render_en(seed_week_figures(), funds=funds)
    assert "| SPX | February 13, 2026 | -1.83% | +1.46% | +5.72% | +11.79% | -0.14% |" in en


def test_month_end_table_is_dated_as_the_seed_dates_it(tmp_path: Path) -> None:
    """The seed's table reads 小型成長株関連投資信託のパフォーマンス(2024年11月末時点)."""
    from smallcap.report.draft import render_en
    from smallcap.report.funds import fund_table

    funds = fund_table(write_navs(tmp_path / "navs.csv", ["SPX"]), date(2024, 12, 6), ["SPX"], as_of="month_end")
    ja, en = render_ja(seed_week_figures(), funds=funds), render_en(seed_week_figures(), funds=funds)
    assert "→ 小型成長株関連投資信託のパフォーマンス(2024年11月末時点)" in ja
    assert "小型成長株関連投資信託のパフォーマンス(2024年11月末時点)" in ja.split("\n---\n")[-1]
    assert "終点は2024年11月末以前で最後の基準価額(基準日)" in ja
    assert "| SPX | 2024年11月29日 |" in ja  # the month's last session (the 30th is a Saturday)
    assert "→ Performance of small-cap growth funds (as of end-November 2024)" in en
    assert "| SPX | November 29, 2024 |" in en


def test_a_fund_without_a_current_nav_is_marked(tmp_path: Path) -> None:
    from smallcap.report.draft import render_en
    from smallcap.report.funds import fund_table

    navs = write_navs(tmp_path / "navs.csv", ["SPX", "R2000G"])
    funds = fund_table(navs, date(2026, 2, 13), ["SPX", "R2000G", "IWO"], {"IWO": "iシェアーズ 米国小型グロース"})
    ja, en = render_ja(seed_week_figures(), funds=funds), render_en(seed_week_figures(), funds=funds)
    assert "| R2000G※ | — | — | — | — | — | — |" in ja
    assert "| iシェアーズ 米国小型グロース※ | — | — | — | — | — | — |" in ja
    stale = "※R2000G: 最新の基準価額(2025年12月16日)が2026年2月13日より7日を超えて古いため、騰落率を表示していません。"
    assert stale in ja
    assert "※iシェアーズ 米国小型グロース: 2026年2月13日以前の基準価額がないため、騰落率を表示していません。" in ja
    assert "| R2000G† | — | — | — | — | — | — |" in en
    assert "† R2000G: its latest NAV (December 16, 2025) is more than 7 days older than February 13, 2026" in en
    assert "| SPX | 2026年2月13日 | -1.83% |" in ja


def test_without_a_fund_table_the_drafts_say_so() -> None:
    from smallcap.report.draft import render_en

    ja, en = render_ja(seed_week_figures()), render_en(seed_week_figures())
    assert "ファンド表は未設定のため省略: SMALLCAP_FUND_NAV_PATH" in ja and "| ファンド |" not in ja
    assert "no fund table configured: set SMALLCAP_FUND_NAV_PATH" in en and "| Fund |" not in en


def test_ratio_history_starts_at_the_configured_start_or_the_first_week_held(year_warehouse: Path) -> None:
    from smallcap.report.figures import read_ratio_history
    from smallcap.settings import Settings

    default_start = Settings().chart_start
    assert default_start == date(2022, 1, 1)
    held = read_ratio_history(year_warehouse, date(2025, 11, 21), default_start)
    assert held["week_ending"].iloc[0].date() == date(2024, 11, 22)  # the marts start there: all of it
    assert held["week_ending"].iloc[-1].date() == date(2025, 11, 21)
    later = read_ratio_history(year_warehouse, date(2025, 11, 21), date(2025, 6, 1))
    assert later["week_ending"].iloc[0].date() == date(2025, 6, 6)
    assert len(later) == len(held[held["week_ending"] >= "2025-06-01"])
    # The 26-week average is the marts' (over all history), not restarted at the chart's start.
    assert later["ma_26w"].notna().all()
    daily = read_ratio_history(year_warehouse, date(2025, 11, 21), date(2025, 6, 1), basis="daily")
    with duckdb.connect(str(year_warehouse), read_only=True) as con:
        expected = con.sql(
            "select ma_26w_daily from marts.relative_strength where week_ending >= '2025-06-01' order by week_ending"
        ).df()
    assert daily["ma_26w"].tolist() == expected["ma_26w_daily"].tolist()  # the chart follows the draft's basis
