import pytest

from smallcap.report import phrasing


@pytest.mark.parametrize(
    ("fraction", "text"),
    [
        (-0.01395, "-1.40%"),
        (0.01395, "+1.40%"),
        (-0.013994, "-1.40%"),
        (0.0039, "+0.39%"),
        (0.0, "0.00%"),
        (0.00004, "0.00%"),
        (0.00005, "+0.01%"),
    ],
)
def test_signed_percent_rounds_half_up(fraction: float, text: str) -> None:
    assert phrasing.signed_percent(fraction) == text


def test_numbers_and_changes() -> None:
    assert phrasing.number(1709.95) == "1709.95"
    assert phrasing.number(49500.925) == "49500.93"
    assert phrasing.signed(1709.95 - 1734.22) == "-24.27"
    assert phrasing.signed(7.93) == "+7.93"
    assert phrasing.percent(1709.95 / 6836.17) == "25.01%"


@pytest.mark.parametrize(
    ("this_change", "last_change", "ending"),
    [
        (5.0, -3.0, "反発しました"),
        (5.0, 2.0, "続伸しました"),
        (-5.0, 2.0, "反落しました"),
        (-5.0, -2.0, "続落しました"),
        (0.004, 2.0, "横ばいでした"),  # prints as 0.00: unchanged
        (5.0, 0.0, "上昇しました"),
        (-5.0, None, "下落しました"),
    ],
)
def test_verb_from_this_and_last_week(this_change: float, last_change: float | None, ending: str) -> None:
    assert phrasing.verb(this_change, last_change) == ending


@pytest.mark.parametrize(
    ("small", "dow", "spx", "ja"),
    [
        (-0.0140, -0.0123, -0.0139, "NYダウ(前週末比-1.23%)およびSP500(前週末比-1.39%)と同程度の動き"),  # seed
        (0.0200, 0.0100, 0.0120, "NYダウ(前週末比+1.00%)およびSP500(前週末比+1.20%)を上回る動き"),
        (-0.0300, -0.0100, -0.0050, "NYダウ(前週末比-1.00%)およびSP500(前週末比-0.50%)を下回る動き"),
        # between the two large caps: in line with neither, each named
        (0.0060, 0.0150, -0.0060, "NYダウ(前週末比+1.50%)を下回り、SP500(前週末比-0.60%)を上回る動き"),
        (0.0169, 0.0120, 0.0100, "NYダウ(前週末比+1.20%)と同程度、SP500(前週末比+1.00%)を上回る動き"),
        (0.0050, 0.0100, 0.0070, "NYダウ(前週末比+1.00%)およびSP500(前週末比+0.70%)と同程度の動き"),  # band edge
    ],
)
def test_comparison_with_large_caps(small: float, dow: float, spx: float, ja: str) -> None:
    assert phrasing.comparison(small, dow, spx) == ja


def test_date_ja() -> None:
    from datetime import date

    assert phrasing.date_ja(date(2026, 2, 13)) == "2026年2月13日"


@pytest.mark.parametrize(
    ("this_change", "last_change", "ja", "en"),
    [
        (5.0, -3.0, "反発しました", "rebounded"),
        (5.0, 2.0, "続伸しました", "rose for a second week"),
        (-5.0, 2.0, "反落しました", "fell back"),
        (-5.0, -2.0, "続落しました", "fell for a second week"),
        (-0.004, -2.0, "横ばいでした", "was flat"),  # prints as 0.00 (unsigned): unchanged
        (0.005, -2.0, "反発しました", "rebounded"),  # prints as +0.01: half-up decides the direction
        (5.0, 0.001, "上昇しました", "rose"),  # last week printed as 0.00
        (-5.0, None, "下落しました", "fell"),
    ],
)
def test_japanese_and_english_verbs_follow_one_rule(
    this_change: float, last_change: float | None, ja: str, en: str
) -> None:
    assert (phrasing.verb(this_change, last_change), phrasing.verb_en(this_change, last_change)) == (ja, en)


@pytest.mark.parametrize(
    ("small", "dow", "spx", "band", "en"),
    [
        (-0.0140, -0.0123, -0.0139, 0.005, "in line with the major indices, the Dow (week on week -1.23%) and"),
        (0.0200, 0.0100, 0.0120, 0.005, "ahead of the major indices, the Dow"),
        (-0.0300, -0.0100, -0.0050, 0.005, "behind the major indices, the Dow"),
        (0.0169, 0.0100, 0.0120, 0.001, "ahead of the major indices, the Dow"),  # SMALLCAP_SAME_MOVE_BAND narrower
        (0.0060, 0.0150, -0.0060, 0.005, "behind the Dow (week on week +1.50%) and ahead of the S&P 500 (week"),
        (0.0169, 0.0100, 0.0120, 0.005, "ahead of the Dow (week on week +1.00%) and in line with the S&P 500"),
    ],
)
def test_english_comparison(small: float, dow: float, spx: float, band: float, en: str) -> None:
    assert phrasing.comparison_en(small, dow, spx, band).startswith(en)


def test_dates_and_missing_rates() -> None:
    from datetime import date

    assert phrasing.date_en(date(2026, 2, 13)) == "February 13, 2026"
    assert phrasing.month_en(date(2022, 1, 7)) == "January 2022"
    assert phrasing.month_ja(date(2022, 1, 7)) == "2022年1月"
    assert phrasing.optional_signed_percent(None) == "—"
    assert phrasing.optional_signed_percent(-0.01395) == "-1.40%"
