"""`guardrail integration` (inbound senders) and `guardrail pipeline` (targets guardrail starts).

Admin commands: they work on the store directly (GUARDRAIL_DATABASE_URL). The URL printed for a
new integration starts with GUARDRAIL_PUBLIC_URL (else GUARDRAIL_URL).
"""

from __future__ import annotations

import typer

from guardrail.cli.common import fail, open_db, print_json, print_table, settings
from guardrail.errors import GuardrailError
from guardrail.integrations.inbound.core import service as inbound
from guardrail.integrations.inbound.core.schemas import IntegrationCreate
from guardrail.integrations.inbound.core.types import types
from guardrail.integrations.outbound.pipelines import service as pipelines
from guardrail.kit.context import Actor

app = typer.Typer(
    help="Inbound integrations: create, list, revoke (works on the store).", no_args_is_help=True
)
pipeline_app = typer.Typer(
    help="Pipelines guardrail may start (works on the store).", no_args_is_help=True
)
_ACTOR = Actor.system("cli")


def _base_url() -> str:
    conf = settings()
    return conf.public_url or conf.url


@app.command("create")
def create(
    kind: str = typer.Option(..., "--type", "-t", help=f"One of: {', '.join(sorted(types()))}."),
    service: str | None = typer.Option(
        None, "--service", "-s", help="Service the sender speaks for."
    ),
    name: str | None = typer.Option(None, "--name", help="A label."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Create an integration and print the URL to configure and its secret (shown once)."""
    try:
        data = IntegrationCreate(type=kind, service=service, name=name)
        with open_db().unit_of_work() as session:
            created = inbound.create_integration(session, _ACTOR, data, base_url=_base_url())
    except GuardrailError as exc:
        fail(exc.detail)
    except ValueError as exc:
        fail(str(exc).splitlines()[0])
    if as_json:
        print_json(created.model_dump(mode="json"))
        return
    typer.echo(f"created {created.id} ({created.type})")
    typer.echo(f"url:    {created.url}")
    typer.echo(f"secret: {created.secret}")
    if created.routing_key:
        typer.echo(f"routing key: {created.routing_key}")
    typer.echo(created.setup)
    typer.echo("store the secret now: it is not shown again", err=True)


@app.command("list")
def list_(
    include_revoked: bool = typer.Option(False, "--all", help="Include revoked integrations."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List integrations (never their secrets)."""
    with open_db().reader() as session:
        rows = [
            inbound.to_out(session, r, base_url=_base_url()).model_dump(mode="json")
            for r in inbound.list_integrations(session, include_revoked=include_revoked)
        ]
    if as_json:
        print_json(rows)
        return
    print_table(rows, ["id", "type", "service", "url", "secret_hint", "revoked_at"])


@app.command("revoke")
def revoke(integration_id: str = typer.Argument(..., help="The integration's id (int_…).")) -> None:
    """Revoke an integration; its deliveries are refused from now on."""
    try:
        with open_db().unit_of_work() as session:
            row = inbound.revoke_integration(session, _ACTOR, integration_id)
    except GuardrailError as exc:
        fail(exc.detail)
    typer.echo(f"revoked {row.id} ({row.type})")


@pipeline_app.command("add")
def add_target(
    name: str = typer.Argument(..., help="A name to trigger it by."),
    kind: str = typer.Option(..., "--kind", help="github, gitlab or webhook."),
    url: str = typer.Option(..., "--url", help="API base (GitHub, GitLab) or the webhook URL."),
    repository: str = typer.Option(
        "", "--repo", help="owner/name (GitHub) or project id/path (GitLab)."
    ),
    workflow: str = typer.Option("", "--workflow", help="GitHub workflow file name or id."),
    ref: str = typer.Option("main", "--ref", help="Default branch or tag to run on."),
    secret: str | None = typer.Option(
        None,
        "--secret",
        envvar="GUARDRAIL_PIPELINE_SECRET",
        help="API token, trigger token or signing key.",
    ),
    service: str | None = typer.Option(None, "--service"),
) -> None:
    """Register a pipeline guardrail may start (for approved changes and incident actions)."""
    try:
        with open_db().unit_of_work() as session:
            target = pipelines.add_target(
                session,
                _ACTOR,
                name=name,
                kind=kind,
                url=url,
                repository=repository,
                workflow=workflow,
                ref=ref,
                secret=secret,
                service=service,
            )
    except GuardrailError as exc:
        fail(exc.detail)
    typer.echo(f"added {target.id} {target.name} ({target.kind})")


@pipeline_app.command("targets")
def list_targets(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List pipeline targets (never their secrets)."""
    with open_db().reader() as session:
        rows = [
            {
                "id": t.id,
                "name": t.name,
                "kind": t.kind,
                "url": t.url,
                "repository": t.repository,
                "workflow": t.workflow,
                "ref": t.ref,
            }
            for t in pipelines.list_targets(session)
        ]
    if as_json:
        print_json(rows)
        return
    print_table(rows, ["id", "name", "kind", "url", "repository", "workflow", "ref"])


@pipeline_app.command("trigger")
def trigger(
    target: str = typer.Argument(..., help="Target name or id."),
    ref: str | None = typer.Option(None, "--ref"),
    inputs: list[str] | None = typer.Option(None, "--input", help="KEY=VALUE; repeat."),
    reason: str = typer.Option("", "--reason"),
    subject: str | None = typer.Option(
        None, "--for", help="The change or incident (chg_…, inc_…)."
    ),
) -> None:
    """Queue a pipeline start; the worker sends it."""
    pairs = dict(item.split("=", 1) for item in inputs or [] if "=" in item)
    try:
        with open_db().unit_of_work() as session:
            trigger_id = pipelines.trigger(
                session, _ACTOR, target, ref=ref, inputs=pairs, reason=reason, subject=subject
            )
    except GuardrailError as exc:
        fail(exc.detail)
    typer.echo(f"queued {trigger_id}")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="integration")
    root.add_typer(pipeline_app, name="pipeline")
