"""`guardrail service`: the service catalogue, through the API (GUARDRAIL_URL, GUARDRAIL_TOKEN)."""

from __future__ import annotations

from typing import Any

import typer

from guardrail.cli.common import ApiClient, print_json, print_table

app = typer.Typer(help="The service catalogue (talks to the server).", no_args_is_help=True)

_COLUMNS = ["name", "owner_team", "tier", "lifecycle", "environments", "runbook_url"]


def _fields(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


@app.command("list")
def list_(
    team: str | None = typer.Option(None, help="Owner team slug."),
    tier: int | None = typer.Option(None, min=1, max=4),
    lifecycle: str | None = typer.Option(None),
    environment: str | None = typer.Option(None, "--env"),
    query: str | None = typer.Option(None, "--search", "-q", help="Substring of name or title."),
    limit: int = typer.Option(50, min=1, max=500),
    offset: int = typer.Option(0, min=0),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List services, filtered."""
    params = _fields(
        team=team,
        tier=tier,
        lifecycle=lifecycle,
        environment=environment,
        q=query,
        limit=limit,
        offset=offset,
    )
    page = ApiClient().get("/api/v1/services", params=params)
    if as_json:
        print_json(page)
        return
    print_table(page["items"], _COLUMNS)
    if page["total"] > len(page["items"]):
        typer.echo(f"({len(page['items'])} of {page['total']}; use --offset for more)", err=True)


@app.command("show")
def show(
    ref: str = typer.Argument(..., help="Service name or id."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show one service."""
    service = ApiClient().get(f"/api/v1/services/{ref}")
    if as_json:
        print_json(service)
        return
    for key, value in service.items():
        typer.echo(f"{key:>16}: {value if value not in (None, '', []) else '-'}")


@app.command("create")
def create(
    name: str = typer.Argument(..., help="Lowercase slug, unique."),
    display_name: str | None = typer.Option(None, "--title"),
    description: str | None = typer.Option(None),
    owner_team: str | None = typer.Option(None, "--team", help="Owner team slug."),
    tier: int | None = typer.Option(None, min=1, max=4, help="1 = most critical … 4."),
    lifecycle: str | None = typer.Option(None),
    runbook_url: str | None = typer.Option(None, "--runbook"),
    repository_url: str | None = typer.Option(None, "--repo"),
    environments: list[str] | None = typer.Option(None, "--env", help="Repeat for each."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Register a service."""
    body = _fields(
        name=name,
        display_name=display_name,
        description=description,
        owner_team=owner_team,
        tier=tier,
        lifecycle=lifecycle,
        runbook_url=runbook_url,
        repository_url=repository_url,
        environments=environments or None,
    )
    service = ApiClient().post("/api/v1/services", json=body)
    print_json(service) if as_json else typer.echo(f"created {service['id']} {service['name']}")


@app.command("update")
def update(
    ref: str = typer.Argument(..., help="Service name or id."),
    display_name: str | None = typer.Option(None, "--title"),
    description: str | None = typer.Option(None),
    owner_team: str | None = typer.Option(None, "--team"),
    tier: int | None = typer.Option(None, min=1, max=4),
    lifecycle: str | None = typer.Option(None),
    runbook_url: str | None = typer.Option(None, "--runbook"),
    repository_url: str | None = typer.Option(None, "--repo"),
    environments: list[str] | None = typer.Option(None, "--env", help="Repeat for each."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Change fields of a service."""
    body = _fields(
        display_name=display_name,
        description=description,
        owner_team=owner_team,
        tier=tier,
        lifecycle=lifecycle,
        runbook_url=runbook_url,
        repository_url=repository_url,
        environments=environments or None,
    )
    if not body:
        typer.echo("error: nothing to change; pass at least one option (see --help)", err=True)
        raise typer.Exit(2)
    service = ApiClient().patch(f"/api/v1/services/{ref}", json=body)
    print_json(service) if as_json else typer.echo(f"updated {service['id']} {service['name']}")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="service")
