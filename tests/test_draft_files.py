"""An edited draft is never overwritten; an unedited one follows the pipeline; last week's edits carry forward."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from smallcap.report.draft import EN, JA
from smallcap.report.draft_files import (
    carried_forward,
    draft_path,
    generated_copy,
    new_beside,
    previous_week_ending,
    retire_legacy,
    write_draft,
)


def test_first_write_creates_the_draft_and_its_record(tmp_path: Path) -> None:
    draft = tmp_path / "comment.ja.txt"
    result = write_draft(draft, "v1\n")
    assert (result.status, result.written) == ("created", draft)
    assert draft.read_text(encoding="utf-8") == generated_copy(draft).read_text(encoding="utf-8") == "v1\n"
    assert generated_copy(draft) == tmp_path / ".generated" / "comment.ja.txt"


def test_an_unedited_draft_is_replaced(tmp_path: Path) -> None:
    draft = tmp_path / "comment.ja.txt"
    write_draft(draft, "v1\n")
    result = write_draft(draft, "v2\n")
    assert (result.status, result.written) == ("replaced", draft)
    assert draft.read_text(encoding="utf-8") == "v2\n"
    assert not new_beside(draft).exists()


def test_an_edited_draft_is_kept_and_the_new_one_goes_beside_it(tmp_path: Path) -> None:
    draft = tmp_path / "comment.ja.txt"
    write_draft(draft, "v1\n")
    draft.write_text("v1 edited by the analyst\n", encoding="utf-8")
    result = write_draft(draft, "v2\n")
    assert result.status == "kept"
    assert result.written == new_beside(draft) == tmp_path / "comment.ja.new.txt"
    assert draft.read_text(encoding="utf-8") == "v1 edited by the analyst\n"
    assert result.written.read_text(encoding="utf-8") == "v2\n"
    assert "was edited: kept as it is" in result.message and "comment.ja.new.txt" in result.message

    # Still edited on the next rerun: still kept, the proposal refreshed.
    again = write_draft(draft, "v3\n")
    assert again.status == "kept" and draft.read_text(encoding="utf-8") == "v1 edited by the analyst\n"
    assert new_beside(draft).read_text(encoding="utf-8") == "v3\n"


def test_adopting_the_new_draft_as_it_is_makes_the_draft_pipeline_owned_again(tmp_path: Path) -> None:
    draft = tmp_path / "comment.ja.txt"
    write_draft(draft, "v1\n")
    draft.write_text("edited\n", encoding="utf-8")
    write_draft(draft, "v2\n")
    new_beside(draft).replace(draft)  # the analyst takes the pipeline's new draft unchanged
    result = write_draft(draft, "v3\n")
    assert result.status == "replaced" and draft.read_text(encoding="utf-8") == "v3\n"


def test_a_draft_without_a_record_counts_as_edited(tmp_path: Path) -> None:
    draft = tmp_path / "comment.ja.txt"
    draft.write_text("written by hand before any run\n", encoding="utf-8")
    assert write_draft(draft, "v1\n").status == "kept"
    assert draft.read_text(encoding="utf-8") == "written by hand before any run\n"


def test_whitespace_only_edits_count_too(tmp_path: Path) -> None:
    draft = tmp_path / "comment.ja.txt"
    write_draft(draft, "v1\n")
    draft.write_text("v1\n\n", encoding="utf-8")
    assert write_draft(draft, "v2\n").status == "kept"


def test_previous_week_follows_the_nyse_calendar() -> None:
    assert previous_week_ending(date(2026, 2, 13)) == date(2026, 2, 6)
    assert previous_week_ending(date(2025, 4, 25)) == date(2025, 4, 17)  # Good Friday 2025-04-18: Thursday
    assert previous_week_ending(date(2024, 12, 6)) == date(2024, 11, 29)  # Thanksgiving week's half day


def test_carried_forward_reads_the_previous_weeks_edited_comment(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    previous = draft_path(reports, date(2026, 2, 6), JA)
    previous.parent.mkdir(parents=True)
    previous.write_text(
        "…\n【記入してください: 今週の相場の背景】\n<主力大型株 VS 小型成長株>\n大型株は割高。\n"
        "<小型成長株相場とラッセル2000グロース VS SP500 >\n【記入してください: 見通し】\n→ 図\n",
        encoding="utf-8",
    )
    carried = carried_forward(reports, date(2026, 2, 13), JA)
    assert carried is not None and carried.week_ending == date(2026, 2, 6)
    assert carried.text.sections[0].body == "大型株は割高。"
    assert carried.text.background == "…" and carried.text.outlook == ""
    assert carried_forward(reports, date(2026, 2, 13), EN) is None  # no English comment that week
    assert carried_forward(reports, date(2026, 2, 20), JA) is None  # two weeks back is not "previous"


def test_a_crash_between_the_record_and_the_draft_errs_on_the_safe_side(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    from smallcap.report import draft_files

    draft = tmp_path / "comment.ja.txt"
    write_draft(draft, "v1\n")
    real_replace, calls = os.replace, []

    def crash_on_second(src, dst):  # noqa: ANN001, ANN202
        calls.append(dst)
        if len(calls) == 2:
            raise RuntimeError("killed")  # the process dies after writing the record, before the draft
        real_replace(src, dst)

    monkeypatch.setattr(draft_files.os, "replace", crash_on_second)
    with pytest.raises(RuntimeError, match="killed"):
        write_draft(draft, "v2\n")
    monkeypatch.setattr(draft_files.os, "replace", real_replace)
    assert calls[0] == generated_copy(draft) and draft.read_text(encoding="utf-8") == "v1\n"
    # The draft no longer matches the record: the next run keeps it rather than risk an edit.
    assert write_draft(draft, "v3\n").status == "kept"
    assert draft.read_text(encoding="utf-8") == "v1\n" and new_beside(draft).read_text(encoding="utf-8") == "v3\n"


# -- a data folder from before the drafts were plain text (comment.ja.md) -------------------------

# The reference line as those drafts wrote it, a Markdown link.
LAST_WEEK = (
    "…\n<主力大型株 VS 小型成長株>\n{body}\n<小型成長株相場とラッセル2000グロース VS SP500 >\n→ [図](ratio.png)\n"
)


def test_last_weeks_md_draft_still_carries_forward(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    legacy = draft_path(reports, date(2026, 2, 6), JA).with_suffix(".md")
    assert legacy.name == "comment.ja.md"
    write_draft(legacy, LAST_WEEK.format(body="【記入してください】"))
    legacy.write_text(LAST_WEEK.format(body="大型株は割高。"), encoding="utf-8")  # edited in place
    carried = carried_forward(reports, date(2026, 2, 13), JA)
    assert carried is not None and carried.text.sections[0].body == "大型株は割高。"


def test_the_analysts_copy_wins_when_a_week_has_both_names(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    txt = draft_path(reports, date(2026, 2, 6), JA)
    md = txt.with_suffix(".md")
    write_draft(md, LAST_WEEK.format(body="【記入してください】"))
    md.write_text(LAST_WEEK.format(body="mdに書いた。"), encoding="utf-8")  # edited before the week was rerun
    write_draft(txt, LAST_WEEK.format(body="【記入してください】"))  # the rerun's fresh .txt, unedited
    assert carried_forward(reports, date(2026, 2, 13), JA).text.sections[0].body == "mdに書いた。"
    txt.write_text(LAST_WEEK.format(body="txtに書いた。"), encoding="utf-8")  # now the .txt is edited too
    assert carried_forward(reports, date(2026, 2, 13), JA).text.sections[0].body == "txtに書いた。"


def test_an_unedited_md_draft_is_retired_an_edited_one_is_kept(tmp_path: Path) -> None:
    draft = tmp_path / "comment.ja.txt"
    legacy = tmp_path / "comment.ja.md"
    write_draft(legacy, "v1\n")
    legacy.write_text("edited\n", encoding="utf-8")
    write_draft(legacy, "v3\n")  # kept: v3 went beside it as comment.ja.new.md
    assert new_beside(legacy).is_file()
    write_draft(draft, "v4\n")
    assert retire_legacy(draft) == legacy  # edited: kept, and named
    assert legacy.read_text(encoding="utf-8") == "edited\n" and generated_copy(legacy).is_file()
    assert not new_beside(legacy).exists()  # the pipeline's proposal goes either way

    legacy.write_text(generated_copy(legacy).read_text(encoding="utf-8"), encoding="utf-8")  # back to unedited
    assert retire_legacy(draft) is None
    assert not legacy.exists() and not generated_copy(legacy).exists()
    assert draft.read_text(encoding="utf-8") == "v4\n" and generated_copy(draft).is_file()
    assert retire_legacy(draft) is None  # nothing left to retire
