"""`guardrail worker` and `guardrail jobs`: run the background worker, inspect and retry jobs.

Admin commands: they work on the database named by GUARDRAIL_DATABASE_URL directly.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum

import typer
from sqlalchemy.exc import SQLAlchemyError

from guardrail.cli.common import fail, open_db, print_json, print_table, settings
from guardrail.errors import GuardrailError
from guardrail.kit.context import Actor
from guardrail.kit.logs import configure_logging
from guardrail.worker import admin, selftest
from guardrail.worker.runner import install_signal_handlers, run_workers

app = typer.Typer(help="Background jobs: list, retry, self-test.", no_args_is_help=True)
_ACTOR = Actor.system("cli")
ERROR_WIDTH = 80


class StatusFilter(StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    dead = "dead"


@contextmanager
def _errors() -> Iterator[None]:
    """Service and database errors as one line on stderr, exit 2."""
    try:
        yield
    except GuardrailError as exc:
        fail(exc.detail)
    except SQLAlchemyError as exc:
        first = (str(getattr(exc, "orig", None) or exc).splitlines() or ["(no message)"])[0]
        fail(f"database error: {first} (is the database migrated? `guardrail db upgrade`)")


def worker(
    until_empty: bool = typer.Option(
        False, "--until-empty", help="Exit when no job is due instead of waiting for more."
    ),
    concurrency: int = typer.Option(
        1, "--concurrency", "-c", min=1, max=64, help="Worker loops to run in this process."
    ),
    log_format: str | None = typer.Option(None, "--log-format", help="text or json."),
) -> None:
    """Run the background worker alone (scale out by starting more of them)."""
    conf = settings()
    if log_format not in (None, "text", "json"):
        fail(f"--log-format must be text or json, not {log_format!r}")
    if not logging.getLogger().handlers:  # `serve` or a test may have set logging up already
        configure_logging(log_format or conf.log_format, conf.log_level)
    db = open_db()
    stop_event = threading.Event()
    restore = install_signal_handlers(stop_event)
    try:
        with _errors():
            ran = run_workers(
                db, conf, count=concurrency, until_empty=until_empty, stop_event=stop_event
            )
    finally:
        restore()
        db.dispose()
    typer.echo(f"worker ran {ran} jobs", err=True)


@app.command("list")
def list_(
    status: StatusFilter | None = typer.Option(None, "--status", help="Only jobs in this state."),
    kind: str | None = typer.Option(None, "--kind", help="Only jobs of this kind."),
    limit: int = typer.Option(50, "--limit", min=1, max=1000, help="At most this many."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List jobs, newest first, with their last error."""
    with _errors(), open_db().reader() as session:
        jobs = admin.list_jobs(
            session, status=status.value if status else None, kind=kind, limit=limit
        )
        rows = [admin.to_dict(job) for job in jobs]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        row["last_error"] = _short(row["last_error"])
    print_table(rows, ["id", "kind", "status", "attempts", "run_at", "last_error"])


def _short(error: str | None) -> str | None:
    if error is None or len(error) <= ERROR_WIDTH:
        return error
    return error[: ERROR_WIDTH - 1] + "…"


@app.command("retry")
def retry(job_id: str = typer.Argument(..., help="The dead job's id (job_…).")) -> None:
    """Queue a dead job again, with a fresh set of attempts."""
    with _errors(), open_db().unit_of_work() as session:
        job = admin.retry(session, _ACTOR, job_id)
    typer.echo(f"queued {job.id} ({job.kind}) again")


@app.command("selftest")
def selftest_(
    count: int = typer.Argument(..., help="How many selftest.tick jobs to enqueue."),
) -> None:
    """Enqueue COUNT diagnostic jobs; each leaves one audit event when it runs."""
    with _errors(), open_db().unit_of_work() as session:
        ids = selftest.enqueue_ticks(session, _ACTOR, count)
    typer.echo(f"enqueued {len(ids)} {selftest.KIND} jobs; run them with `guardrail worker`")


def register(root: typer.Typer) -> None:
    root.command("worker")(worker)
    root.add_typer(app, name="jobs")
