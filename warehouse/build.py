"""Build the warehouse from the lake into a new file, check it, then swap it in atomically.

Readers never see a half-built warehouse and never block a build: a connected reader keeps the
file it opened (the old inode) until it reconnects, and a failed build leaves the last good
warehouse exactly as it was.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import yaml

from smallcap.indices import RATIO_PAIR
from smallcap.lake.paths import literals
from smallcap.lake.records import SCHEMAS as record_schemas
from smallcap.publish import fsync

MODELS_DIR = Path(__file__).parent

# Build order: each model reads only from models above it.
MODELS: tuple[str, ...] = (
    "raw/raw_daily_close",
    "staging/stg_daily_close",
    "staging/stg_trading_week",
    "marts/dim_index",
    "marts/daily_close",
    "staging/stg_daily_ratio",  # reads marts.daily_close: the deduplicated closes, materialized once
    "marts/weekly_close",
    "marts/relative_strength",
)
SCHEMAS = ("raw", "staging", "marts", "meta")

# Analysts may open the file with DuckDB 1.x tools, which cannot read the 2.0 storage format.
# The memory limit keeps a big rebuild (10 M rows stay under 1 GB of RSS) from taking the machine:
# beyond it DuckDB spills to a temporary folder next to the file. Tables without an order by need
# not keep their input's order, which lets DuckDB write them without buffering.
_CONNECT_CONFIG = {
    "storage_compatibility_version": "v1.4.0",
    "memory_limit": "700MB",
    "preserve_insertion_order": False,
}


class WarehouseTestFailed(Exception):
    """A model's declared test (from its .yml) found bad rows; the build is discarded."""


class WarehouseSpecError(WarehouseTestFailed):
    """A .yml names a model the build did not make, or a test the builder does not know: a typo there would
    otherwise turn the model's tests off without a word. The build is discarded."""


@dataclass(frozen=True)
class Relationship:
    """Every non-null value of the column is found in `to`.`field` (e.g. marts.dim_index.index_code)."""

    to: str
    field: str


@dataclass(frozen=True)
class ModelDoc:
    schema: str
    name: str
    description: str
    columns: dict[str, str]
    column_tests: dict[str, list[str]]  # not_null, unique
    unique_combinations: list[list[str]]
    relationships: dict[str, Relationship] = field(default_factory=dict)
    accepted_values: dict[str, list[Any]] = field(default_factory=dict)
    spec_file: str = ""  # the .yml it was declared in, relative to the warehouse folder


def model_docs() -> list[ModelDoc]:
    """Docs and tests declared in each layer's .yml, beside the SQL; an unknown test kind raises WarehouseSpecError."""
    docs: list[ModelDoc] = []
    for schema in SCHEMAS:
        for spec_file in sorted((MODELS_DIR / schema).glob("*.yml")):
            where = str(spec_file.relative_to(MODELS_DIR))
            for model in yaml.safe_load(spec_file.read_text(encoding="utf-8"))["models"]:
                docs.append(_model_doc(schema, model, where))
    return docs


def _model_doc(schema: str, model: dict[str, Any], where: str) -> ModelDoc:
    """One model's entry. The tests it may declare carry dbt's names: on a column `not_null`, `unique`,
    `relationships: {to: schema.table, field: column}`, `accepted_values: {values: [...]}`; on the model
    `unique_combination: [columns]`. Anything else is refused, not skipped."""
    table = f"{schema}.{model['name']}"
    simple: dict[str, list[str]] = {}
    relationships: dict[str, Relationship] = {}
    accepted: dict[str, list[Any]] = {}
    cols = model.get("columns", [])
    for col in cols:
        column = col["name"]
        simple[column] = []
        for test in col.get("tests", []):
            kind, args = (test, None) if isinstance(test, str) else _single_key(test, f"{where}: {table}.{column}")
            if kind in ("not_null", "unique") and args is None:
                simple[column].append(kind)
            elif kind == "relationships" and isinstance(args, dict) and {"to", "field"} <= set(args):
                relationships[column] = Relationship(to=str(args["to"]), field=str(args["field"]))
            elif kind == "accepted_values" and isinstance(args, dict) and isinstance(args.get("values"), list):
                accepted[column] = list(args["values"])
            else:
                raise WarehouseSpecError(
                    f"{where}: {table}.{column}: unknown test {test!r}: choose not_null, unique, "
                    "relationships: {to: schema.table, field: column} or accepted_values: {values: [...]}"
                )
    combinations: list[list[str]] = []
    for test in model.get("tests", []):
        kind, args = _single_key(test, f"{where}: {table}")
        if kind != "unique_combination" or not isinstance(args, list):
            raise WarehouseSpecError(f"{where}: {table}: unknown test {test!r}: choose unique_combination: [columns]")
        combinations.append([str(c) for c in args])
    return ModelDoc(
        schema=schema,
        name=model["name"],
        description=model.get("description", ""),
        columns={c["name"]: c.get("description", "") for c in cols},
        column_tests=simple,
        unique_combinations=combinations,
        relationships=relationships,
        accepted_values=accepted,
        spec_file=where,
    )


def _single_key(test: Any, where: str) -> tuple[str, Any]:
    if isinstance(test, dict) and len(test) == 1:
        ((kind, args),) = test.items()
        return str(kind), args
    raise WarehouseSpecError(f"{where}: unknown test {test!r}")


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _literal(value: Any) -> str:
    """A .yml value as a SQL literal (accepted_values)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return _quote(str(value))


def _existing(con: duckdb.DuckDBPyConnection, docs: Iterable[ModelDoc]) -> list[tuple[ModelDoc, str]]:
    """The documented models the build created, each with its kind (table or view).

    A documented model the build did not create fails the build (WarehouseSpecError): its tests would
    otherwise be skipped silently. The one exception is a run-record table (meta.*), loaded only when
    the build is given records.
    """
    kinds = dict.fromkeys(con.sql("select schema_name, table_name from duckdb_tables()").fetchall(), "table")
    kinds |= dict.fromkeys(
        con.sql("select schema_name, view_name from duckdb_views() where not internal").fetchall(), "view"
    )
    docs = list(docs)
    missing = [
        d for d in docs if (d.schema, d.name) not in kinds and not (d.schema == "meta" and d.name in record_schemas)
    ]
    if missing:
        raise WarehouseSpecError(
            "warehouse .yml declares models the build did not make: "
            + "; ".join(f"{d.schema}.{d.name} ({d.spec_file})" for d in missing)
        )
    return [(d, kinds[(d.schema, d.name)]) for d in docs if (d.schema, d.name) in kinds]


def _apply_docs(con: duckdb.DuckDBPyConnection, docs: Iterable[tuple[ModelDoc, str]]) -> None:
    for doc, kind in docs:
        con.sql(f"comment on {kind} {doc.schema}.{doc.name} is {_quote(doc.description)}")
        for column, text in doc.columns.items():
            con.sql(f"comment on column {doc.schema}.{doc.name}.{column} is {_quote(text)}")


def _run_tests(con: duckdb.DuckDBPyConnection, docs: Iterable[ModelDoc]) -> None:
    failures: list[str] = []
    for doc in docs:
        table = f"{doc.schema}.{doc.name}"
        # (name, query): the query returns the number of bad rows and, for some tests, an example value.
        checks: list[tuple[str, str]] = []
        for column, tests in doc.column_tests.items():
            if "not_null" in tests:
                checks.append((f"{table}.{column} not null", f"select count(*) from {table} where {column} is null"))
            if "unique" in tests:
                checks.append((f"{table}.{column} unique", f"select count(*) - count(distinct {column}) from {table}"))
        for column, rel in doc.relationships.items():
            checks.append(
                (
                    f"{table}.{column} relationships (every value in {rel.to}.{rel.field})",
                    f"select count(*), min(c.{column}) from {table} as c where c.{column} is not null"
                    f" and not exists (select 1 from {rel.to} as p where p.{rel.field} = c.{column})",
                )
            )
        for column, values in doc.accepted_values.items():
            listed = ", ".join(_literal(v) for v in values)
            checks.append(
                (
                    f"{table}.{column} accepted_values ({', '.join(str(v) for v in values)})",
                    f"select count(*), min({column}) from {table} where {column} is not null"
                    f" and {column} not in ({listed})",
                )
            )
        for cols in doc.unique_combinations:
            key = ", ".join(cols)
            checks.append(
                (
                    f"{table} unique ({key})",
                    f"select count(*) from (select {key} from {table} group by all having count(*) > 1)",
                )
            )
        for name, query in checks:
            try:
                (bad, *example) = con.sql(query).fetchall()[0]
            except duckdb.Error as exc:  # e.g. a relationship to a table that does not exist
                failures.append(f"{name}: could not run ({str(exc).splitlines()[0]})")
                continue
            if bad:
                failures.append(f"{name}: {bad} row(s)" + (f", e.g. {example[0]!r}" if example else ""))
    if failures:
        raise WarehouseTestFailed("warehouse tests failed: " + "; ".join(failures))


def build(
    files: pd.DataFrame,
    target: Path,
    indices: pd.DataFrame,
    sessions_between: Callable[[date, date], list[date]],
    meta: Mapping[str, pa.Table] | None = None,
    pairs: Sequence[tuple[str, str] | tuple[str, str, int]] = (RATIO_PAIR,),
    timings: MutableMapping[str, float] | None = None,
) -> Path:
    """Build every model from the committed lake files into a fresh file and publish it as `target`.

    `files` lists the committed daily-close files (file: absolute path, seq: the commit that last
    listed it; the latest commit wins a day held twice). `indices` is the index dimension
    (index_code, name_en, name_ja); `sessions_between` gives the NYSE sessions for the lake's
    date range (the trading calendar stays outside SQL);
    `meta` holds the run records loaded as meta.<name>; `pairs` are the (numerator, denominator)
    index codes of marts.relative_strength, with the moving average's window in weeks (default 26).
    `timings`, if given, receives the seconds spent per phase: raw (inputs and the lake), staging,
    marts, checks (docs and tests), publish.
    """
    clock = _Clock(timings)
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned_builds(target)
    building = target.with_name(f".{target.name}.{os.getpid()}.building")
    building.unlink(missing_ok=True)
    try:
        con = duckdb.connect(str(building), config=_CONNECT_CONFIG)
        try:
            con.sql("set enable_progress_bar = false")  # a long build must not draw on the run's output
            for schema in SCHEMAS:
                con.sql(f"create schema if not exists {schema}")
            # An explicit list of files, never a glob: only committed files are read.
            con.register("file_frame", files[["file", "seq"]])
            con.sql("create table raw.lake_file as select file, seq::bigint as commit_seq from file_frame")
            con.execute("set variable lake_files = ?", [literals(files["file"])])  # paths, never patterns
            (first, last) = con.sql(
                "select min(trade_date), max(trade_date) from read_parquet(getvariable('lake_files'))"
            ).fetchall()[0]
            session_frame = pd.DataFrame({"session_date": pd.to_datetime(sessions_between(first, last)).date})
            con.register("session_frame", session_frame)
            con.sql("create table raw.nyse_session as select session_date::date as session_date from session_frame")
            con.register("index_frame", indices)
            con.sql("create table raw.index as select index_code, name_en, name_ja from index_frame")
            pair_frame = pd.DataFrame(
                [(p[0], p[1], p[2] if len(p) > 2 else 26) for p in pairs],
                columns=["numerator", "denominator", "window_weeks"],
            ).astype({"numerator": "str", "denominator": "str", "window_weeks": "int64"})
            con.register("pair_frame", pair_frame)
            con.sql(
                "create table raw.ratio_pair as select numerator || '/' || denominator as pair, numerator,"
                " denominator, window_weeks::integer as window_weeks from pair_frame"
            )
            for name, records in (meta or {}).items():
                con.register("records", records)
                con.sql(f"create table meta.{name} as select * from records")
                con.unregister("records")
            for model in MODELS:
                con.sql((MODELS_DIR / f"{model}.sql").read_text(encoding="utf-8"))
                clock.lap(model.split("/")[0])
            docs = _existing(con, model_docs())
            _apply_docs(con, docs)
            _run_tests(con, [doc for doc, _ in docs])
            clock.lap("checks")
            con.sql("checkpoint")
        finally:
            con.close()
        # The publish: one rename, so readers see the old warehouse or the new one, never a mix.
        os.replace(building, target)
        fsync(target.parent)  # the rename itself is durable
        clock.lap("publish")
    finally:
        building.unlink(missing_ok=True)
        building.with_name(building.name + ".wal").unlink(missing_ok=True)
    return target


class _Clock:
    """Adds the time since the last lap to a named phase (a no-op without a mapping)."""

    def __init__(self, timings: MutableMapping[str, float] | None) -> None:
        self.timings = timings
        self.last = time.perf_counter()

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        if self.timings is not None:
            self.timings[phase] = self.timings.get(phase, 0.0) + now - self.last
        self.last = now


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_abandoned_builds(target: Path) -> None:
    """Delete half-built files left by a build that was killed (its process is gone)."""
    for leftover in target.parent.glob(f".{target.name}.*.building*"):
        pid = leftover.name.removeprefix(f".{target.name}.").split(".")[0]
        if pid.isdigit() and not _pid_alive(int(pid)):
            if leftover.is_dir():  # DuckDB's spill folder (<file>.tmp)
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink(missing_ok=True)
