"""`guardrail token`: API tokens (admin: works on the store directly)."""

from __future__ import annotations

import typer

from guardrail.cli.common import fail, open_db, print_json, print_table
from guardrail.errors import GuardrailError
from guardrail.identity import service as identity
from guardrail.identity.enums import Role
from guardrail.identity.schemas import TokenCreate, TokenOut
from guardrail.kit.context import Actor

app = typer.Typer(help="API tokens: create, list, revoke.", no_args_is_help=True)
_ACTOR = Actor.system("cli")


@app.command("create")
def create(
    name: str = typer.Option(..., "--name", "-n", help="What the token is for."),
    role: Role = typer.Option(..., "--role", "-r", help="What it may do."),
    person: str | None = typer.Option(None, help="Person handle the token acts for."),
    expires_in_days: int | None = typer.Option(None, "--expires-in-days", min=1, max=3650),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Create a token and print its secret (shown once)."""
    try:
        data = TokenCreate(name=name, role=role, person=person, expires_in_days=expires_in_days)
        with open_db().unit_of_work() as session:
            token, secret = identity.create_token(session, _ACTOR, data)
    except GuardrailError as exc:
        fail(exc.detail)
    except ValueError as exc:
        fail(str(exc).splitlines()[0])
    if as_json:
        print_json({**TokenOut.model_validate(token).model_dump(mode="json"), "token": secret})
        return
    typer.echo(f"created {token.id} ({token.role}): {secret}")
    typer.echo("store it now: guardrail keeps only a hash and cannot show it again", err=True)


@app.command("list")
def list_(
    include_revoked: bool = typer.Option(False, "--all", help="Include revoked tokens."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List tokens (never their secrets)."""
    with open_db().reader() as session:
        rows = [
            TokenOut.model_validate(t).model_dump(mode="json")
            for t in identity.list_tokens(session, include_revoked=include_revoked)
        ]
    if as_json:
        print_json(rows)
        return
    print_table(rows, ["id", "name", "role", "hint", "expires_at", "revoked_at", "last_used_at"])


@app.command("revoke")
def revoke(token_id: str = typer.Argument(..., help="The token's id (tok_…).")) -> None:
    """Revoke a token; requests with it are refused from now on."""
    try:
        with open_db().unit_of_work() as session:
            token = identity.revoke_token(session, _ACTOR, token_id)
    except GuardrailError as exc:
        fail(exc.detail)
    typer.echo(f"revoked {token.id} ({token.name})")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="token")
