"""Reading the analyst's text back out of a comment (the seed, edited drafts, English)."""

from __future__ import annotations

from datetime import date

from smallcap.report.draft import EN, JA, Carried, analyst_text, render_en, render_ja
from smallcap.report.sections import Section
from tests.conftest import SEED
from tests.helpers import seed_week_figures


def test_the_seed_splits_into_background_sections_and_outlook() -> None:
    text = analyst_text(SEED.read_text(encoding="utf-8"), JA)
    assert text.background.startswith("引き続き、AIが既存企業に大きなマイナスを与える")
    assert text.background.endswith("という側面もあります。")
    headings = ["主力大型株 VS 小型成長株", "プライベート・クレジット問題", "外部材料"]
    assert [s.heading for s in text.sections] == headings
    assert text.sections[0].body.startswith("従来からコメントしておりますが")
    assert text.sections[1].body.count("\n") == 10  # eleven lines, the numbered list included
    assert text.sections[2].body.endswith("コメントをしています)")
    assert text.outlook.splitlines() == [
        "大型株(特にAI,IT)は割高であり、小型成長株は歴史的にみて大型株との比較では非常に安い場所にあります。"
        "一方で、政策は金利低下、米国第一主義で、米国小型成長株にとっては追い風です。",
        "現在の歴史的な「ゆがみ」が訂正される相場が来ると期待しています。",
    ]
    for part in (text.background, text.outlook, *(s.body for s in text.sections)):
        assert "1709.95" not in part and "→" not in part  # no figure sentence, no reference line


def test_a_fresh_draft_holds_no_analyst_text() -> None:
    assert analyst_text(render_ja(seed_week_figures()), JA).empty
    assert analyst_text(render_en(seed_week_figures()), EN).empty


def test_markers_are_dropped_so_they_never_pile_up() -> None:
    week1 = Carried(analyst_text(SEED.read_text(encoding="utf-8"), JA), date(2026, 2, 13))
    draft = render_ja(seed_week_figures(), carried=week1)
    again = analyst_text(draft, JA)
    assert again == week1.text  # carried a second time: the same text, no 【要確認…】 lines in it
    assert draft.count("【要確認: 2026年2月13日のコメントから引き継ぎ") == 5  # background, 3 sections, outlook


def test_an_edited_comment_keeps_its_own_sections_and_order() -> None:
    draft = render_ja(seed_week_figures())
    edited = (
        draft.replace("【記入してください: 今週の相場の背景】", "今週は利下げ期待で反発。")
        .replace("<外部材料>\n【記入してください】", "<金利>\n利下げは3月か。\n\n二段落目。\n<外部材料>\n中東に注意。")
        .replace("<プライベート・クレジット問題>\n【記入してください】\n", "")  # the analyst dropped a section
        .replace("【記入してください: 見通し】", "割安修正を期待。")
    )
    text = analyst_text(edited, JA)
    assert text.background == "今週は利下げ期待で反発。"
    assert text.sections == [
        Section("主力大型株 VS 小型成長株", ""),
        Section("金利", "利下げは3月か。\n\n二段落目。"),
        Section("外部材料", "中東に注意。"),
    ]
    assert text.outlook == "割安修正を期待。"


def test_english_comment() -> None:
    draft = render_en(seed_week_figures())
    edited = draft.replace("<Private credit>\n[To be written]", "<Private credit>\nStill being digested.").replace(
        "[To be written: outlook]", "We expect the gap to close."
    )
    text = analyst_text(edited, EN)
    assert text.sections[1] == Section("Private credit", "Still being digested.")
    assert text.outlook == "We expect the gap to close."
    assert text.background == ""
