"""`smallcap`: the command line. Failures end with one line on stderr and a non-zero exit: 2 for a
command given wrong (found before anything runs), 1 for a run or query that failed."""

from __future__ import annotations

import logging
import os
import re
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, Optional

import typer

if TYPE_CHECKING:  # imported where used: the CLI starts Prefect's server before the heavy imports
    from smallcap.settings import Settings

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Weekly US small-cap growth report pipeline.")

# No network beyond data sources: Prefect's telemetry stays off unless a user turns it on.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


# Options several commands share.
DataDirOption = Annotated[Path | None, typer.Option(help="Data folder (env SMALLCAP_DATA_DIR, default ./data).")]
SourceOption = Annotated[str | None, typer.Option(help="yahoo, fred, sample (bundled data) or csv (default sample).")]
CheckSourceOption = Annotated[
    str | None, typer.Option(help="Cross-check the closes against fred (or yahoo) before landing.")
]
CsvOption = Annotated[Path | None, typer.Option(help="Long CSV date,index_code,close for --source csv.")]


def _quiet_shutdown() -> None:
    # Keep the result (or error) the last line: Prefect's temporary server logs its shutdown at exit,
    # and its workers still sending events or logs then say so ("Still processing items").
    if "prefect" in sys.modules:
        from prefect.events.worker import EventsWorker
        from prefect.logging.handlers import APILogWorker

        EventsWorker.drain_all(timeout=10)
        APILogWorker.drain_all(timeout=10)
    logging.getLogger("prefect").setLevel(logging.WARNING)


def _fail(message: str, code: int = 1) -> NoReturn:
    _quiet_shutdown()
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=code)


def _end(message: str) -> NoReturn:
    """A run that did not complete: stopped by a signal (named, with the shell's code 130 or 143), or failed."""
    from smallcap import stop

    if stop.asked() is not None:
        _fail(stop.line(), code=stop.exit_code())
    _fail(message)


def _usage(message: str) -> NoReturn:
    """The command was given wrong: exit 2, as for any usage error, before anything has run."""
    _fail(message, code=2)


def _iso_date(option: str, value: str | None) -> date | None:
    if value is None:
        return None
    # Exactly YYYY-MM-DD: strptime alone takes 2026-2-13, and fromisoformat takes 20260213 or 2026-W07-5.
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value, flags=re.ASCII) is None:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        _usage(f"{option} must be an ISO date YYYY-MM-DD, got {value!r}")


def _run_settings(**overrides: str | Path | None) -> Settings:
    """A run's settings, and a source it can use, checked before any Prefect run exists (else exit 2)."""
    from smallcap.errors import SmallcapError
    from smallcap.settings import Settings
    from smallcap.sources import refuse_unusable

    try:
        settings = Settings.for_run(**overrides)
        refuse_unusable(settings.source, settings.csv_path)
    except SmallcapError as exc:
        _usage(str(exc))
    return settings


@app.callback()
def main() -> None:
    """Weekly US small-cap growth report pipeline."""


@app.command()
def run(
    week_ending: Annotated[
        str | None, typer.Option(help="Report the NYSE week ending on or before this ISO date.")
    ] = None,  # noqa: UP045
    source: SourceOption = None,
    check_source: CheckSourceOption = None,
    csv: CsvOption = None,
    data_dir: DataDirOption = None,
    allow_revisions: Annotated[
        bool, typer.Option(help="Accept changed closes for dates the lake already holds (recorded).")
    ] = False,
) -> None:
    """Run one weekly report: extract, validate, land, build the warehouse, draft."""
    week = _iso_date("--week-ending", week_ending)
    if csv is not None and source is None:
        source = "csv"
    settings = _run_settings(source=source, csv_path=csv, data_dir=data_dir, check_source=check_source)

    from smallcap import stop

    stop.install()  # from here Ctrl-C and SIGTERM stop the run at its next safe point
    try:
        from app import temporary_server

        server = temporary_server.start()  # boots on another core while the imports below run

        from prefect.exceptions import FailedRun

        from flows.weekly_report import weekly_report
        from smallcap.errors import SmallcapError, one_line
        from smallcap.quality import gate

        gate.preload()  # GX's import overlaps Prefect's start-up instead of following it
        with temporary_server.prefect_api(server):
            try:
                outputs = weekly_report(
                    week_ending=week,
                    source=source,
                    csv_path=None if csv is None else str(csv),
                    data_dir=None if data_dir is None else str(data_dir),
                    check_source=check_source,
                    allow_revisions=allow_revisions,
                )
            except (SmallcapError, FailedRun) as exc:
                _end(str(exc))
            except Exception as exc:  # noqa: BLE001  (anything else still ends in one line, not a traceback)
                _end(one_line(exc, settings.data_dir))
    except stop.Interrupted:
        _end("")
    _quiet_shutdown()
    typer.echo(f"week ending  {outputs['week_ending']}")
    typer.echo(f"draft        {outputs['draft']}")
    typer.echo(f"draft-en     {outputs['draft_en']}")
    typer.echo(f"chart        {outputs['chart']}")
    typer.echo(f"chart-svg    {outputs['chart_svg']}")
    typer.echo(f"page         {outputs['page']}")
    if outputs.get("notes"):
        typer.echo(f"note         {outputs['notes']}")  # an edited draft kept, a fund shown without figures
    typer.echo(f"warehouse    {outputs['warehouse']}")
    typer.echo(f"lake         {outputs['lake']}")
    if stop.asked() is not None:  # it came after the commit point: the run completed its publish first
        _fail(f"{stop.line()} after the run had published the outputs above", code=stop.exit_code())


def _settings(data_dir: Path | None = None) -> Settings:
    """The environment's settings with --data-dir; an invalid setting ends the command in one line."""
    from smallcap.errors import SmallcapError
    from smallcap.settings import Settings

    try:
        return Settings.for_run(data_dir=data_dir)
    except SmallcapError as exc:
        _fail(str(exc))


def _warehouse(data_dir: Path | None) -> Path:
    return _settings(data_dir).warehouse_path


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="SQL to run, e.g. 'from marts.weekly_close limit 5'.")],
    data_dir: DataDirOption = None,
    csv: Annotated[bool, typer.Option("--csv", help="Print CSV instead of a table.")] = False,
) -> None:
    """Query the warehouse read-only (a run may publish while you read)."""
    from smallcap.errors import SmallcapError
    from warehouse import analyst

    try:
        typer.echo(analyst.query(_warehouse(data_dir), query, "csv" if csv else "table"), nl=not csv)
    except SmallcapError as exc:
        _fail(str(exc))


@app.command()
def shell(
    data_dir: DataDirOption = None,
) -> None:
    """Interactive SQL on the warehouse, read-only. End statements with ';', quit with Ctrl-D."""
    from smallcap.errors import SmallcapError
    from warehouse import analyst

    warehouse = _warehouse(data_dir)
    try:
        con = analyst.connect_readonly(warehouse)
    except SmallcapError as exc:
        _fail(str(exc))
    typer.echo(
        f"{warehouse} (read-only). Tables: marts.dim_index, marts.daily_close, marts.weekly_close, "
        "marts.relative_strength, meta.pipeline_runs. End with ';'."
    )
    buffer = ""
    with con:
        while True:
            try:
                line = input("smallcap> " if not buffer else "     ...> ")
            except EOFError:
                typer.echo("")
                break
            buffer += line + "\n"
            if not buffer.rstrip().endswith(";"):
                continue
            statement, buffer = buffer, ""
            try:
                result = con.sql(statement)
                if result is not None:
                    typer.echo(str(analyst.readable(result)))
            except Exception as exc:  # noqa: BLE001  (show the error, keep the session)
                typer.echo(f"error: {str(exc).splitlines()[0]}", err=True)


quarantine_app = typer.Typer(no_args_is_help=True, help="Batches the quality gate rejected, kept with the reason.")
app.add_typer(quarantine_app, name="quarantine")


def _quarantine_dir(data_dir: Path | None) -> Path:
    return _settings(data_dir).quarantine_dir


@quarantine_app.command("list")
def quarantine_list(data_dir: DataDirOption = None) -> None:
    """One line per quarantined batch, oldest first: its id and the expectations it failed."""
    from smallcap.quality import quarantine

    kept = quarantine.listing(_quarantine_dir(data_dir))
    if not kept:
        typer.echo("no quarantined batches")
        return
    for k in kept:
        failed = "; ".join(c["expectation"] for c in k.failed) or k.reason
        typer.echo(f"{k.id}  {failed}")


@quarantine_app.command("show")
def quarantine_show(
    batch: Annotated[str, typer.Argument(help="Id from `smallcap quarantine list` (a unique prefix will do).")],
    data_dir: DataDirOption = None,
) -> None:
    """Why a batch was rejected: every failed and warned expectation with sample rows, and what is kept."""
    from smallcap.errors import SmallcapError
    from smallcap.quality import quarantine
    from smallcap.quality.gate import Finding

    try:
        k = quarantine.find(_quarantine_dir(data_dir), batch)
    except SmallcapError as exc:
        _fail(str(exc))
    verdict = k.verdict
    typer.echo(f"id        {k.id}")
    typer.echo(f"folder    {k.path}")
    typer.echo(f"reason    {k.reason}")
    if verdict.get("summary"):
        typer.echo(f"gate      {verdict['summary']}")
    for label, checks in (("failed", k.failed), ("warned", k.warned)):
        for c in checks:
            typer.echo(f"{label}    [{c['suite']}] {Finding(**c).line()}")
    pages = verdict.get("docs") or {}
    failed_suites = {c["suite"] for c in k.failed}
    for suite, page in pages.items():
        if suite in failed_suites:
            typer.echo(f"docs      {page}")
    typer.echo(f"files     {', '.join(k.files)}")


@app.command()
def backfill(
    start: Annotated[str, typer.Option(help="First day to fill, ISO date (e.g. 2022-01-01).")],
    end: Annotated[Optional[str], typer.Option(help="Last day, ISO date (default: the source's latest).")] = None,  # noqa: UP045
    source: SourceOption = None,
    check_source: CheckSourceOption = None,
    csv: CsvOption = None,
    data_dir: DataDirOption = None,
    chunk_weeks: Annotated[int, typer.Option(help="NYSE weeks per chunk (one gate run and one checkpoint each).")] = 13,
    allow_revisions: Annotated[
        bool, typer.Option(help="Accept changed closes for dates the lake already holds (recorded).")
    ] = False,
    index: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option("--index", help="Fill only this index of the universe (repeatable), e.g. one just added."),
    ] = None,
) -> None:
    """Fill history from --start: chunk by chunk through the gate into the lake, then build the warehouse.

    Interrupted, the same command resumes after the last chunk it landed.
    """
    first, last = _iso_date("--start", start), _iso_date("--end", end)
    if csv is not None and source is None:
        source = "csv"

    import threading

    from prefect.exceptions import FailedRun
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from flows.backfill import backfill as backfill_flow
    from flows.backfill import plan_for
    from smallcap.backfill import selected_indices, source_ref
    from smallcap.errors import SmallcapError, one_line
    from smallcap.quality import gate
    from smallcap.universe import read
    from tasks.backfill import done_chunks

    args = {
        "source": source,
        "csv_path": None if csv is None else str(csv),
        "data_dir": None if data_dir is None else str(data_dir),
        "check_source": check_source,
    }
    settings = _run_settings(**args)
    universe = read(settings.universe)
    try:
        only = selected_indices(universe.codes, index or [], universe.path) if index else ()
    except SmallcapError as exc:
        _usage(str(exc))
    try:
        chunks = plan_for(settings, first, last, chunk_weeks)
    except SmallcapError as exc:
        _fail(str(exc))  # e.g. no complete NYSE week between the dates, or the source cannot say its latest
    ref = source_ref(settings.source, settings.csv_path, only)
    from app import temporary_server

    server = temporary_server.start()  # boots on another core while the flow is imported, as for `run`
    by_key = {c.key(ref): c for c in chunks}

    def done() -> list:
        return sorted((by_key[k] for k in done_chunks(settings.lake_dir, ref) if k in by_key), key=lambda c: c.number)

    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("chunks"), TimeElapsedColumn()
    )
    bar = progress.add_task(f"backfill {chunks[0].start} to {chunks[-1].end}", total=len(chunks))
    stop = threading.Event()

    def follow() -> None:
        # Progress is read from the checkpoint itself: what is counted done is what a resume would skip.
        while True:
            landed = done()
            label = f"landed {landed[-1].label}" if landed else f"backfill {chunks[0].start} to {chunks[-1].end}"
            progress.update(bar, completed=len(landed), description=label)
            if stop.wait(0.25):
                return

    watcher = threading.Thread(target=follow, daemon=True)
    failure = None
    gate.preload()  # GX's import overlaps Prefect's start-up instead of following it
    with progress, temporary_server.prefect_api(server):
        watcher.start()
        try:
            outputs = backfill_flow(
                start=first,
                end=last,
                chunk_weeks=chunk_weeks,
                allow_revisions=allow_revisions,
                indices=list(only) or None,
                **args,
            )
        except (SmallcapError, FailedRun) as exc:
            failure = str(exc)
        except Exception as exc:  # noqa: BLE001  (anything else still ends in one line, not a traceback)
            failure = one_line(exc, settings.data_dir)
        finally:
            stop.set()
            watcher.join()
    if failure is not None:
        _fail(failure)
    _quiet_shutdown()
    typer.echo(f"weeks        {outputs['start']} to {outputs['end']} ({outputs['chunks']} chunks)")
    typer.echo(f"landed rows  {outputs['landed_rows']}")
    typer.echo(f"warehouse    {outputs['warehouse']}")
    typer.echo(f"lake         {outputs['lake']}")


lake_app = typer.Typer(no_args_is_help=True, help="The Parquet lake's commit log and the files it lists.")
app.add_typer(lake_app, name="lake")


@lake_app.command("verify")
def lake_verify(data_dir: DataDirOption = None) -> None:
    """Check every committed lake file against the checksum recorded at its commit (read-only)."""
    from smallcap.lake import commits
    from smallcap.settings import Settings

    lake = (Settings() if data_dir is None else Settings(data_dir=data_dir)).lake_dir
    log = commits.read_log(lake)
    live = commits.live_files(log)
    found = commits.problems(lake, live)
    for problem in found:
        typer.echo(problem.line())
    if found:
        _fail(f"{len(found)} of {len(live)} committed lake file(s) damaged: run `smallcap lake repair`")
    typer.echo(f"ok: {len(live)} committed file(s) in {len(log)} commit(s) match their checksums")


@lake_app.command("repair")
def lake_repair(data_dir: DataDirOption = None) -> None:
    """Take damaged or missing files out of the lake's truth (a repair commit); they are moved to lake/damaged/."""
    from smallcap import writer
    from smallcap.errors import SmallcapError
    from smallcap.lake import recovery, repair
    from smallcap.settings import Settings

    settings = Settings() if data_dir is None else Settings(data_dir=data_dir)
    try:
        with writer.exclusive(settings.data_dir, "lake repair", settings.writer_wait_seconds, typer.echo):
            done = recovery.recover(settings.data_dir, settings.lake_dir, settings.quarantine_dir)
            result = done + repair.repair(settings.lake_dir)
    except SmallcapError as exc:
        _fail(str(exc))
    for line in result:
        typer.echo(line)


def _require_server(command: str) -> None:
    # Schedules and automations live on a Prefect server; a temporary one would vanish with this process.
    from prefect.settings import get_current_settings

    if not get_current_settings().api.url:
        _fail(
            f"smallcap {command} needs a running Prefect server: start one with `prefect server start` and set "
            "PREFECT_API_URL=http://127.0.0.1:4200/api"
        )


@app.command()
def serve(
    data_dir: Annotated[Path | None, typer.Option(help="Data folder for the served runs.")] = None,  # noqa: UP045
) -> None:
    """Serve the Friday deployment from this process, without a work pool (Ctrl-C stops it)."""
    _require_server("serve")
    from prefect import serve as prefect_serve

    from flows.deployment import served_deployment
    from smallcap.errors import SmallcapError

    try:
        deployment = served_deployment({} if data_dir is None else {"data_dir": str(data_dir.resolve())})
    except SmallcapError as exc:
        _fail(str(exc))
    prefect_serve(deployment)


alerts_app = typer.Typer(no_args_is_help=True, help="Alerts to a Slack-compatible webhook when a run fails or is late.")
app.add_typer(alerts_app, name="alerts")


@alerts_app.command("setup")
def alerts_setup(
    url: Annotated[Optional[str], typer.Option(help="Webhook URL (env SMALLCAP_ALERT_WEBHOOK_URL).")] = None,  # noqa: UP045
    deadline: Annotated[str, typer.Option(help="Alert when a run is still going this long after it started.")] = "2h",
) -> None:
    """Create the Prefect automations (failed, crashed, late, overdue runs → webhook) on the Prefect server."""
    _require_server("alerts setup")
    from flows.alerts import setup_alerts
    from smallcap.alerts import parse_duration
    from smallcap.errors import SmallcapError

    url = url or _settings().alert_webhook_url
    if not url:
        _fail("no webhook URL: pass --url or set SMALLCAP_ALERT_WEBHOOK_URL")
    try:
        created = setup_alerts(url, parse_duration(deadline))
    except SmallcapError as exc:
        _fail(str(exc))
    _quiet_shutdown()
    typer.echo(f"block        {created['block']} → {url}")
    for name in created["automations"]:
        typer.echo(f"automation   {name}")


if __name__ == "__main__":
    sys.exit(app())
