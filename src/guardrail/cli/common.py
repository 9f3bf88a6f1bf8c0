"""What every command shares: errors as one line, the store, the HTTP client, output."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import httpx
import typer

from guardrail.config import Settings, get_settings
from guardrail.errors import GuardrailError
from guardrail.store.engine import make_engine
from guardrail.store.session import Database

EXIT_USAGE = 2
EXIT_UNREACHABLE = 4


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print one line to stderr and exit (2: usage or input error, 4: server trouble)."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def settings() -> Settings:
    try:
        return get_settings()
    except Exception as exc:  # pydantic's message names the variable that is wrong
        fail(f"the GUARDRAIL_* settings are invalid: {exc}".replace("\n", " "))


def open_db(*, require_current: bool = True) -> Database:
    """The store named by GUARDRAIL_DATABASE_URL (admin commands work on it directly).

    Unless ``require_current`` is off (the ``db`` commands), a database that is missing its
    migrations is refused with the command that fixes it, instead of failing half-way through.
    """
    try:
        db = Database(make_engine(settings().database_url))
    except GuardrailError as exc:
        fail(exc.detail)
    if require_current:
        _check_migrated(db)
    return db


def _check_migrated(db: Database) -> None:
    try:
        from guardrail.store import migrate  # alembic: only for commands that open the store

        current, head = migrate.current_revision(db.engine), migrate.head_revision(db.engine)
    except Exception as exc:
        fail(f"cannot open the database at {db.engine.url.render_as_string()}: {exc}")
    if current != head:
        state = "has no guardrail tables" if current is None else f"is at migration {current}"
        fail(
            f"the database at {db.engine.url.render_as_string()} {state}, not {head}; "
            "run `guardrail db upgrade` (or `guardrail serve`, which upgrades first)"
        )


def print_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, default=str))


def print_table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    """A plain, aligned table; empty cells as '-'."""
    if not rows:
        typer.echo("(none)")
        return
    cells = [[_cell(row.get(col)) for col in columns] for row in rows]
    widths = [max(len(col), *(len(c[i]) for c in cells)) for i, col in enumerate(columns)]
    header = "  ".join(col.upper().ljust(w) for col, w in zip(columns, widths, strict=True))
    typer.echo(header.rstrip())
    for row_cells in cells:
        typer.echo("  ".join(c.ljust(w) for c, w in zip(row_cells, widths, strict=True)).rstrip())


def _cell(value: Any) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, list):
        return ",".join(str(v) for v in value) or "-"
    return str(value)


class ApiClient:
    """Talks to GUARDRAIL_URL with GUARDRAIL_TOKEN; turns problems into one-line errors."""

    def __init__(
        self, url: str | None = None, token: str | None = None, timeout: float = 30
    ) -> None:
        conf = settings()
        self.base = (url or conf.url).rstrip("/")
        token = token or conf.token
        if not token:
            fail("set GUARDRAIL_TOKEN to an API token (create one with `guardrail token create`)")
        self.http = httpx.Client(
            base_url=self.base,
            timeout=timeout,
            headers={"Authorization": f"Bearer {token}", "User-Agent": "guardrail-cli"},
        )

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            fail(
                f"cannot reach guardrail at {self.base}: {exc}; is `guardrail serve` running "
                "and GUARDRAIL_URL right?",
                EXIT_UNREACHABLE,
            )
        if response.status_code >= 400:
            self._problem(response)
        return response.json() if response.content else None

    def _problem(self, response: httpx.Response) -> NoReturn:
        try:
            body = response.json()
            detail = body.get("detail") or body.get("title")
        except ValueError:
            detail = response.text[:200]
        code = EXIT_UNREACHABLE if response.status_code >= 500 else EXIT_USAGE
        fail(f"{detail} (HTTP {response.status_code})", code)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Any:
        return self.request("PATCH", path, **kwargs)


def guard(exc: GuardrailError) -> NoReturn:
    """Report a service error from an admin command."""
    fail(exc.detail)


def stdout_is_tty() -> bool:
    return sys.stdout.isatty()
