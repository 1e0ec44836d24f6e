"""Quarantine: a rejected batch is kept with the reason, never loaded, for a person to inspect."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd


def keep(
    batch: pd.DataFrame,
    verdict: dict[str, Any],
    reason: str,
    quarantine_dir: Path,
    run_name: str,
    origin: Path | None = None,
) -> Path:
    """Write the batch, its validation result and the original input file under a new folder."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    folder = quarantine_dir / f"{run_name}-{stamp}"
    folder.mkdir(parents=True, exist_ok=False)
    batch.to_csv(folder / "batch.csv", index=False, date_format="%Y-%m-%d")
    (folder / "validation.json").write_text(
        json.dumps(verdict, indent=2, default=str, ensure_ascii=False), encoding="utf-8"
    )
    (folder / "reason.txt").write_text(reason + "\n", encoding="utf-8")
    if origin is not None and origin.is_file():
        shutil.copy2(origin, folder / f"input-{origin.name}")
    return folder
