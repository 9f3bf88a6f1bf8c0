"""`guardrail db`: migrations."""

from __future__ import annotations

import typer

from guardrail.cli.common import fail, open_db
from guardrail.store import migrate

app = typer.Typer(help="Database migrations.", no_args_is_help=True)


@app.command("upgrade")
def upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Apply migrations up to REVISION (the newest by default)."""
    db = open_db(require_current=False)
    try:
        migrate.upgrade(db.engine, revision)
    except Exception as exc:
        fail(f"migration failed: {exc}".splitlines()[0])
    typer.echo(f"database at {migrate.current_revision(db.engine)}")


@app.command("current")
def current() -> None:
    """Print the database's migration and the newest one."""
    db = open_db(require_current=False)
    typer.echo(
        f"current: {migrate.current_revision(db.engine)}  head: {migrate.head_revision(db.engine)}"
    )


@app.command("check")
def check() -> None:
    """Fail (exit 1) when the database is behind or the models and migrations disagree."""
    db = open_db(require_current=False)
    if not migrate.is_current(db.engine):
        typer.echo(
            f"database is at {migrate.current_revision(db.engine)}, migrations end at "
            f"{migrate.head_revision(db.engine)}: run `guardrail db upgrade`",
            err=True,
        )
        raise typer.Exit(1)
    differences = migrate.drift(db.engine)
    if differences:
        typer.echo("models and migrations disagree; add a migration for:", err=True)
        for diff in differences:
            typer.echo(f"  {diff}", err=True)
        raise typer.Exit(1)
    typer.echo(
        f"ok: database at {migrate.current_revision(db.engine)}, models match the migrations"
    )


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="db")
