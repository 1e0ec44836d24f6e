"""Quarantine: a rejected batch is kept with the reason, never loaded, for a person to inspect."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from smallcap.errors import SmallcapError


def keep(
    batch: pd.DataFrame | None,
    verdict: dict[str, Any],
    reason: str,
    quarantine_dir: Path,
    run_name: str,
    origin: Path | None = None,
) -> Path:
    """Write the batch, its validation result and the original input file under a new folder.

    `batch` is None when the input could not even be parsed: then only the input file is kept.
    """
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    folder = quarantine_dir / f"{run_name}-{stamp}"
    folder.mkdir(parents=True, exist_ok=False)
    if batch is not None:
        batch.to_csv(folder / "batch.csv", index=False, date_format="%Y-%m-%d")
    (folder / "validation.json").write_text(
        json.dumps(verdict, indent=2, default=str, ensure_ascii=False), encoding="utf-8"
    )
    (folder / "reason.txt").write_text(reason + "\n", encoding="utf-8")
    if origin is not None and origin.is_file():
        shutil.copy2(origin, folder / f"input-{origin.name}")
    return folder


@dataclass(frozen=True)
class Kept:
    """One quarantined batch as a person reads it back."""

    id: str
    path: Path
    reason: str
    verdict: dict[str, Any]

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [c for c in self.verdict.get("checks", []) if not c["success"] and c.get("severity") == "error"]

    @property
    def warned(self) -> list[dict[str, Any]]:
        return [c for c in self.verdict.get("checks", []) if not c["success"] and c.get("severity") != "error"]

    @property
    def files(self) -> list[str]:
        return sorted(p.name for p in self.path.iterdir())


def _read(folder: Path) -> Kept:
    reason_file, verdict_file = folder / "reason.txt", folder / "validation.json"
    reason = reason_file.read_text(encoding="utf-8").strip() if reason_file.is_file() else ""
    verdict = json.loads(verdict_file.read_text(encoding="utf-8")) if verdict_file.is_file() else {}
    return Kept(id=folder.name, path=folder, reason=reason, verdict=verdict)


def listing(quarantine_dir: Path) -> list[Kept]:
    """Every quarantined batch, oldest first (folder names end in their UTC time)."""
    if not quarantine_dir.is_dir():
        return []
    folders = [p for p in quarantine_dir.iterdir() if p.is_dir()]
    return [_read(p) for p in sorted(folders, key=lambda p: (p.name.rsplit("-", 1)[-1], p.name))]


def find(quarantine_dir: Path, key: str) -> Kept:
    """The quarantined batch whose id is `key` or uniquely starts with it."""
    kept = listing(quarantine_dir)
    exact = [k for k in kept if k.id == key]
    matches = exact or [k for k in kept if k.id.startswith(key)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise SmallcapError(f"no quarantined batch {key!r} in {quarantine_dir} (see `smallcap quarantine list`)")
    raise SmallcapError(f"{key!r} matches {len(matches)} quarantined batches: " + ", ".join(k.id for k in matches))
