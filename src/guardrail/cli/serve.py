"""`guardrail serve`, `guardrail demo`: API, web and worker in one process."""

from __future__ import annotations

import logging
import os
from typing import Literal

import typer

from guardrail.cli.common import fail, open_db, settings
from guardrail.config import Settings
from guardrail.identity import service as identity
from guardrail.identity.enums import Role
from guardrail.identity.schemas import TokenCreate
from guardrail.kit.context import Actor
from guardrail.kit.logs import configure_logging
from guardrail.store import migrate
from guardrail.store.session import Database

log = logging.getLogger("guardrail.serve")

LogFormat = Literal["text", "json"]


def _prepare(db: Database, conf: Settings, *, announce: bool = True) -> None:
    """Migrate, then on an empty database create the first admin token and print it once."""
    try:
        migrate.upgrade(db.engine)
    except Exception as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        fail(f"cannot migrate the database at {db.engine.url.render_as_string()}: {reason}")
    with db.unit_of_work() as session:
        secret = identity.bootstrap_admin(session, conf.bootstrap_token)
    if secret is not None and conf.bootstrap_token is None and announce:
        typer.echo(
            "\n  First start: an admin API token was created. It is shown only this once:\n\n"
            f"      {secret}\n\n"
            f"  Sign in with it at the web page, or export GUARDRAIL_TOKEN={secret}\n",
            err=True,
        )


def _run(
    db: Database,
    conf: Settings,
    host: str,
    port: int,
    worker: bool,
    processes: int = 1,
    log_format: LogFormat = "text",
) -> None:
    import uvicorn

    from guardrail.worker.runner import start_background

    stop_worker = start_background(db, conf) if worker else None
    log.info(
        "guardrail listening on http://%s:%s (database: %s, %d server process%s)",
        host,
        port,
        db.engine.dialect.name,
        processes,
        "" if processes == 1 else "es",
    )
    try:
        if processes == 1:
            from guardrail.api.app import create_app  # the web app loads only to be served

            app = create_app(conf, db)
            uvicorn.run(app, host=host, port=port, log_config=None, access_log=False)
        else:
            # Each server process builds its own app and engine from the same GUARDRAIL_*
            # environment; this process supervises them and runs the worker (when asked).
            os.environ["GUARDRAIL_LOG_FORMAT"] = log_format
            os.environ["GUARDRAIL_LOG_LEVEL"] = conf.log_level
            uvicorn.run(
                "guardrail.api.app:create_server_process_app",
                factory=True,
                workers=processes,
                host=host,
                port=port,
                log_config=None,
                access_log=False,
            )
    finally:
        if stop_worker is not None:
            stop_worker()
        db.dispose()


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8080, min=1, max=65535, help="Port to listen on."),
    worker: bool = typer.Option(True, "--worker/--no-worker", help="Run the worker in-process."),
    processes: int = typer.Option(
        1,
        "--processes",
        "-p",
        min=1,
        max=64,
        help="HTTP server processes (the number of cores for throughput; one worker runs).",
    ),
    log_format: LogFormat | None = typer.Option(None, "--log-format", help="text or json."),
) -> None:
    """Run the API, the web dashboard and the worker, after applying migrations."""
    conf = settings()
    configure_logging(log_format or conf.log_format, conf.log_level)
    db = open_db(require_current=False)
    _prepare(db, conf)
    _run(db, conf, host, port, worker, processes, log_format or conf.log_format)


def demo(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8080, min=1, max=65535, help="Port to listen on."),
    log_format: LogFormat | None = typer.Option(None, "--log-format", help="text or json."),
) -> None:
    """Seed a sample organisation (on an empty catalogue) and serve it."""
    conf = settings()
    configure_logging(log_format or conf.log_format, conf.log_level)
    db = open_db(require_current=False)
    _prepare(db, conf, announce=False)  # the demo prints its own sign-in token below
    with db.unit_of_work() as session:
        from guardrail.demo import seed  # the sample organisation's history (and scipy)

        seeded = seed.seed(session)
        _, secret = identity.create_token(
            session,
            Actor.system("demo"),
            TokenCreate(
                name="demo sign-in",
                role=Role.admin,
                expires_in_days=7,
                person=seed.sign_in_person(session),  # so the demo user can approve changes
            ),
        )
    what = "seeded a sample organisation" if seeded else "(data already present)"
    typer.echo(
        f"\n  guardrail demo {what}"
        f"\n  Open http://{host}:{port}/ and sign in with this token (valid 7 days):\n\n"
        f"      {secret}\n",
        err=True,
    )
    _run(db, conf, host, port, worker=True)


def register(root: typer.Typer) -> None:
    root.command("serve")(serve)
    root.command("demo")(demo)
