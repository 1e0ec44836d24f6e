"""Run the weekly flow in a separate process and SIGKILL it at a chosen point.

Usage: killed_run.py POINT CSV WEEK DATA_DIR [revise]. The process talks to the Prefect server named
by PREFECT_API_URL. POINT is one of: land, build, commit, records, draft, publish (the order a run
reaches them: landing, building, then the release's renames). `revise` allows revisions.
"""

import os
import signal
import sys
from datetime import date
from pathlib import Path

import warehouse.build
from flows.weekly_report import weekly_report

point, csv_path, week, data_dir = sys.argv[1:5]


def die(*_args: object, **_kwargs: object) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


# Every durable step of the pipeline ends in an os.replace; kill just before the chosen one.
real_replace = os.replace
renames_into = {
    "land": lambda dst: dst.name.startswith("batch-") and dst.suffix == ".parquet",  # a lake file
    "commit": lambda dst: dst.parent.name == "commits",  # the release's first rename: the lake commit
    "records": lambda dst: dst.parent.parent.name == "meta",  # a run record, mid-release
    "draft": lambda dst: dst.suffix == ".txt",  # mid-release, the drafts
    "publish": lambda dst: dst.name == "warehouse.duckdb",  # the release's last rename: the warehouse
}


def replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
    if point in renames_into and renames_into[point](Path(dst)):
        die()
    real_replace(src, dst)


os.replace = replace

if point == "build":  # models built into the new file, before docs, tests and publish
    warehouse.build._apply_docs = die
elif point not in renames_into:
    sys.exit(f"unknown point {point}")

revise = sys.argv[5:] == ["revise"]
weekly_report(
    source="csv", csv_path=csv_path, week_ending=date.fromisoformat(week), data_dir=data_dir, allow_revisions=revise
)
sys.exit("not killed: the kill point was never reached")
