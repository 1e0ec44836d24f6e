"""Writing a draft where the analyst edits it, without ever overwriting their edits.

The analyst edits `comment.ja.txt` in place (plain text, pasted as it is). Beside it,
`.generated/comment.ja.txt` keeps what the pipeline wrote last. On a rerun:

- no draft yet: the draft is written ("created");
- the draft equals what the pipeline wrote last (not edited): it is replaced ("replaced");
- the draft differs from it, or there is no record of what the pipeline wrote (so it cannot be
  shown to be unedited): the draft is left alone and the new one goes beside it as
  `comment.ja.new.txt` ("kept"). `.new` files belong to the pipeline: each rerun rewrites them.

Drafts were once written as `comment.ja.md`. Such a draft still carries forward into the next week,
and in its own week it is removed only when the pipeline wrote it and nobody edited it since.

Every file is written to a temporary name and renamed, so a crash never leaves half a draft.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

from smallcap.calendar import week_ending_on_or_before
from smallcap.report.draft import Carried, Language, analyst_text

GENERATED = ".generated"
SUFFIX = ".txt"
LEGACY_SUFFIX = ".md"  # the drafts' earlier name: comment.ja.md

Status = Literal["created", "replaced", "kept"]


@dataclass(frozen=True)
class DraftWrite:
    draft: Path  # the analyst's file
    written: Path  # where this run's text went: the draft itself, or the .new file beside it
    status: Status

    @property
    def message(self) -> str:
        if self.status == "kept":
            return f"{self.draft} was edited: kept as it is; this run's draft is {self.written}"
        return f"{self.status} {self.draft}"


def generated_copy(draft: Path) -> Path:
    return draft.parent / GENERATED / draft.name


def new_beside(draft: Path) -> Path:
    """comment.ja.txt -> comment.ja.new.txt"""
    return draft.with_name(f"{draft.stem}.new{draft.suffix}")


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def is_edited(draft: Path) -> bool:
    """True when `draft` exists and is not byte-for-byte what the pipeline wrote last."""
    if not draft.exists():
        return False
    record = generated_copy(draft)
    return not record.exists() or draft.read_bytes() != record.read_bytes()


def write_draft(
    draft: Path,
    text: str,
    put: Callable[[Path, str], None] = _write,
    remove: Callable[[Path], None] = lambda path: path.unlink(missing_ok=True),
) -> DraftWrite:
    """Write `text` as `draft` unless the analyst edited it; see the module docstring.

    `put` and `remove` do the writing: at once by default, or staged for a run's release.
    """
    if draft.exists() and draft.read_bytes() == text.encode("utf-8"):
        status: Status = "replaced"  # the same text: nothing an analyst wrote can be lost
    elif is_edited(draft):
        beside = new_beside(draft)
        put(beside, text)
        # The record follows the latest draft: if the analyst adopts the .new file as it is,
        # the next run may replace it again.
        put(generated_copy(draft), text)
        return DraftWrite(draft, beside, "kept")
    else:
        status = "replaced" if draft.exists() else "created"
    # Record first: a crash between the two writes leaves draft != record, which reads as
    # edited and is therefore kept (safe), never as unedited.
    put(generated_copy(draft), text)
    put(draft, text)
    remove(new_beside(draft))  # a stale proposal for a draft that is now current
    return DraftWrite(draft, draft, status)


def retire_legacy(
    draft: Path, remove: Callable[[Path], None] = lambda path: path.unlink(missing_ok=True)
) -> Path | None:
    """The week's draft under its earlier name (comment.ja.md beside comment.ja.txt), once `draft` is written.

    Removed with its record when the pipeline wrote it and it is unedited, so one draft is left to
    edit; an edited one is left as it is and returned (the analyst's text is never removed). Its
    `.new` proposal is the pipeline's and always goes.
    """
    legacy = draft.with_suffix(LEGACY_SUFFIX)
    remove(new_beside(legacy))
    if not legacy.exists():
        return None
    if is_edited(legacy):
        return legacy
    remove(generated_copy(legacy))
    remove(legacy)
    return None


def previous_week_ending(week_ending: date) -> date:
    """The last session of the NYSE week before the one ending on `week_ending`."""
    sunday_before = week_ending - timedelta(days=week_ending.weekday() + 1)
    return week_ending_on_or_before(sunday_before)


def draft_path(reports_dir: Path, week_ending: date, lang: Language) -> Path:
    return reports_dir / f"{week_ending:%Y-%m-%d}" / f"comment.{lang.code}{SUFFIX}"


def analyst_copy(draft: Path) -> Path | None:
    """The week's comment as the analyst left it: `draft`, or the same week's draft under its earlier name
    when only that one was edited (a week drafted before, then rerun). None when there is neither."""
    found = [p for p in (draft, draft.with_suffix(LEGACY_SUFFIX)) if p.is_file()]
    return next((p for p in found if is_edited(p)), found[0] if found else None)


def carried_forward(reports_dir: Path, week_ending: date, lang: Language) -> Carried | None:
    """The analyst's text from the previous week's comment in `lang`, as they left it (edited in place).

    None when there is no such comment or it holds nothing of the analyst's (only placeholders).
    """
    before = previous_week_ending(week_ending)
    path = analyst_copy(draft_path(reports_dir, before, lang))
    if path is None:
        return None
    text = analyst_text(path.read_text(encoding="utf-8"), lang)
    return None if text.empty else Carried(text, before)
