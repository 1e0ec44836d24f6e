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
    write_draft,
)


def test_first_write_creates_the_draft_and_its_record(tmp_path: Path) -> None:
    draft = tmp_path / "comment.ja.md"
    result = write_draft(draft, "v1\n")
    assert (result.status, result.written) == ("created", draft)
    assert draft.read_text(encoding="utf-8") == generated_copy(draft).read_text(encoding="utf-8") == "v1\n"
    assert generated_copy(draft) == tmp_path / ".generated" / "comment.ja.md"


def test_an_unedited_draft_is_replaced(tmp_path: Path) -> None:
    draft = tmp_path / "comment.ja.md"
    write_draft(draft, "v1\n")
    result = write_draft(draft, "v2\n")
    assert (result.status, result.written) == ("replaced", draft)
    assert draft.read_text(encoding="utf-8") == "v2\n"
    assert not new_beside(draft).exists()


def test_an_edited_draft_is_kept_and_the_new_one_goes_beside_it(tmp_path: Path) -> None:
    draft = tmp_path / "comment.ja.md"
    write_draft(draft, "v1\n")
    draft.write_text("v1 edited by the analyst\n", encoding="utf-8")
    result = write_draft(draft, "v2\n")
    assert result.status == "kept"
    assert result.written == new_beside(draft) == tmp_path / "comment.ja.new.md"
    assert draft.read_text(encoding="utf-8") == "v1 edited by the analyst\n"
    assert result.written.read_text(encoding="utf-8") == "v2\n"
    assert "was edited: kept as it is" in result.message and "comment.ja.new.md" in result.message

    # Still edited on the next rerun: still kept, the proposal refreshed.
    again = write_draft(draft, "v3\n")
    assert again.status == "kept" and draft.read_text(encoding="utf-8") == "v1 edited by the analyst\n"
    assert new_beside(draft).read_text(encoding="utf-8") == "v3\n"


def test_adopting_the_new_draft_as_it_is_makes_the_draft_pipeline_owned_again(tmp_path: Path) -> None:
    draft = tmp_path / "comment.ja.md"
    write_draft(draft, "v1\n")
    draft.write_text("edited\n", encoding="utf-8")
    write_draft(draft, "v2\n")
    new_beside(draft).replace(draft)  # the analyst takes the pipeline's new draft unchanged
    result = write_draft(draft, "v3\n")
    assert result.status == "replaced" and draft.read_text(encoding="utf-8") == "v3\n"


def test_a_draft_without_a_record_counts_as_edited(tmp_path: Path) -> None:
    draft = tmp_path / "comment.ja.md"
    draft.write_text("written by hand before any run\n", encoding="utf-8")
    assert write_draft(draft, "v1\n").status == "kept"
    assert draft.read_text(encoding="utf-8") == "written by hand before any run\n"


def test_whitespace_only_edits_count_too(tmp_path: Path) -> None:
    draft = tmp_path / "comment.ja.md"
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

    draft = tmp_path / "comment.ja.md"
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
