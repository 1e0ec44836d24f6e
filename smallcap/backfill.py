"""Backfill planning: the NYSE weeks from a start date to an end, in chunks, and what each chunk must hold.

A backfill lands each chunk through the same gate and lake as a weekly run, then builds the
warehouse once; the marts depend only on the closes landed, so they are those the weekly runs
would have produced from the same closes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from smallcap.calendar import week_ending_on_or_before, week_endings
from smallcap.errors import SmallcapError
from smallcap.indices import INDEX_CODES


@dataclass(frozen=True)
class Chunk:
    number: int  # 1-based position in the plan
    start: date  # first day extracted
    end: date  # last session of the chunk's last week: the gate's week_ending for the chunk
    weeks: int

    @property
    def label(self) -> str:
        return f"{self.start:%Y-%m-%d} to {self.end:%Y-%m-%d}"

    def key(self, source_ref: str) -> str:
        """Identifies the chunk's checkpoint: the same source and dates are the same chunk."""
        return hashlib.sha256(f"{source_ref}|{self.start}|{self.end}".encode()).hexdigest()[:16]


def plan(start: date, end: date, chunk_weeks: int) -> list[Chunk]:
    """Chunks of `chunk_weeks` NYSE weeks covering start to the last complete week on or before `end`.

    Chunks are contiguous (each starts the day after the previous one ends), so every session in
    the range is extracted exactly once.
    """
    if chunk_weeks < 1:
        raise SmallcapError(f"chunk size must be at least 1 week, got {chunk_weeks}")
    last = week_ending_on_or_before(end)
    if start > last:
        raise SmallcapError(f"no complete NYSE week from {start} to {end}")
    weeks = week_endings(start, last)
    chunks: list[Chunk] = []
    first_day = start
    for i in range(0, len(weeks), chunk_weeks):
        group = weeks[i : i + chunk_weeks]
        chunks.append(Chunk(number=len(chunks) + 1, start=first_day, end=group[-1], weeks=len(group)))
        first_day = group[-1] + timedelta(days=1)
    return chunks


def required_indices(
    present: Iterable[str], seen_before: Iterable[str], last_chunk: bool, codes: Sequence[str] = INDEX_CODES
) -> tuple[str, ...]:
    """The indices of `codes` (the backfill's: the universe's begun by the chunk's end, or the one
    named by --index) the gate requires in a chunk.

    A source's history may begin later for one index than for another (the bundled CSV has the
    large caps from 2022 and R2000G from November 2024). Before an index's history begins, a chunk
    cannot hold it; once it has begun (it is in this chunk or an earlier one), every later chunk
    must hold it. The last chunk must hold them all, as a weekly run of that week would.
    """
    codes = tuple(codes)
    if last_chunk:
        return codes
    have = set(present) | set(seen_before)
    required = tuple(code for code in codes if code in have)
    return required or codes  # nothing known in the batch: ask for all, and say so


def source_ref(source: str, csv_path: object | None, indices: Sequence[str] = ()) -> str:
    """What a checkpoint belongs to: the source, for a CSV the file (another file is another backfill),
    and the indices of a backfill limited to some (`--index`: another selection is another backfill)."""
    from pathlib import Path

    ref = f"{source}:{Path(str(csv_path)).resolve()}" if source == "csv" and csv_path else source
    return f"{ref}|index={','.join(sorted(indices))}" if indices else ref


def selected_indices(universe_codes: Sequence[str], indices: Sequence[str], where: str) -> tuple[str, ...]:
    """The indices a backfill fills: all of the universe's, or those named (each must be in the universe)."""
    unknown = [c for c in indices if c not in universe_codes]
    if unknown:
        raise SmallcapError(
            f"--index {unknown[0]}: not an index of the universe {where} (it has {', '.join(universe_codes)})"
        )
    return tuple(c for c in universe_codes if c in indices) if indices else tuple(universe_codes)
