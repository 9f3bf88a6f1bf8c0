"""`guardrail incident …` (list, show, declare, ack, mitigate, resolve, close, note, cause;
talks to the server); `guardrail alert settings` and `guardrail incident rollback-policy`
(admin, on the store)."""

from __future__ import annotations

import json
from typing import Any

import typer
from pydantic import ValidationError

from guardrail.alerts import service as alerts
from guardrail.alerts.schemas import AlertSettingsIn
from guardrail.cli.common import ApiClient, fail, open_db, print_json, print_table
from guardrail.errors import GuardrailError
from guardrail.incidents import rollback
from guardrail.incidents.schemas import RollbackPolicyIn
from guardrail.kit.context import Actor

app = typer.Typer(help="Incidents (talks to the server).", no_args_is_help=True)
alert_app = typer.Typer(
    help="Alert integrations' grouping and severity settings.", no_args_is_help=True
)
_ACTOR = Actor.system("cli")
_COLUMNS = ["id", "severity", "status", "service", "title", "alert_count", "opened_at", "commander"]


def _show(detail: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(detail)
        return
    typer.echo(f"{detail['id']}  {detail['severity']}  {detail['status']}  {detail['title']}")
    typer.echo(f"service: {detail['service'] or '-'}   commander: {detail['commander'] or '-'}")
    typer.echo(f"runbook: {detail.get('runbook_url') or '-'}")
    for suspect in detail.get("suspects", [])[:5]:
        typer.echo(f"suspect: {suspect['id']}  score {suspect['score']}  {suspect['title']}")
    for entry in detail.get("timeline", []):
        typer.echo(f"  {entry['at']}  {entry['kind']:<15} {entry['text']}")


@app.command("list")
def list_(
    status: list[str] | None = typer.Option(None, "--status", help="Repeat for several."),
    service: str | None = typer.Option(None, "--service", "-s"),
    limit: int = typer.Option(50, "--limit"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List incidents, newest first."""
    params: dict[str, Any] = {"limit": limit, "status": status or []}
    if service:
        params["service"] = service
    page = ApiClient().get("/api/v1/incidents", params=params)
    if as_json:
        print_json(page["items"])
        return
    print_table(page["items"], _COLUMNS)


@app.command("show")
def show(incident_id: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """An incident with its suspects and timeline."""
    _show(ApiClient().get(f"/api/v1/incidents/{incident_id}"), as_json)


@app.command("declare")
def declare(
    title: str = typer.Argument(...),
    severity: str = typer.Option("SEV3", "--severity"),
    service: str | None = typer.Option(None, "--service", "-s"),
    commander: str | None = typer.Option(None, "--commander"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Declare an incident by hand (it pages)."""
    body = {"title": title, "severity": severity, "service": service, "commander": commander}
    _show(ApiClient().post("/api/v1/incidents", json=body), as_json)


def _action(incident_id: str, verb: str, note: str, as_json: bool) -> None:
    detail = ApiClient().post(
        f"/api/v1/incidents/{incident_id}/{verb}", json={"note": note} if note else None
    )
    if as_json:
        print_json(detail)
    else:
        typer.echo(f"{detail['id']} is {detail['status']}")


@app.command("ack")
def ack(incident_id: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """Acknowledge: you are on it; the escalation stops."""
    _action(incident_id, "acknowledge", "", as_json)


@app.command("mitigate")
def mitigate(
    incident_id: str,
    note: str = typer.Option("", "--note"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """The impact is contained."""
    _action(incident_id, "mitigate", note, as_json)


@app.command("resolve")
def resolve(
    incident_id: str,
    note: str = typer.Option("", "--note"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """The service is back to normal."""
    _action(incident_id, "resolve", note, as_json)


@app.command("close")
def close(
    incident_id: str,
    note: str = typer.Option("", "--note"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Close a resolved incident."""
    _action(incident_id, "close", note, as_json)


@app.command("note")
def note(incident_id: str, text: str = typer.Argument(...)) -> None:
    """Add a note; `root cause: <sha>` marks the deployments it names as the cause."""
    entry = ApiClient().post(f"/api/v1/incidents/{incident_id}/notes", json={"text": text})
    typer.echo(f"noted {entry['id']}")


@app.command("cause")
def cause(
    incident_id: str,
    ref: str = typer.Argument(..., help="dep_… or chg_…"),
    note: str = typer.Option("", "--note"),
) -> None:
    """Mark a deployment or change as the cause (a deployment may be rolled back by policy)."""
    row = ApiClient().post(
        f"/api/v1/incidents/{incident_id}/causes", json={"ref": ref, "note": note}
    )
    typer.echo(f"cause of {incident_id}: {row['kind']} {row['ref_id']} ({row['provenance']})")


@app.command("rollback-policy")
def rollback_policy(
    service: str = typer.Argument(...),
    mode: str = typer.Option(..., "--mode", help="off, confirmed or suspected."),
    target: str = typer.Option(
        "", "--target", help="Pipeline target name (guardrail pipeline targets)."
    ),
    ref: str | None = typer.Option(None, "--ref"),
    inputs: list[str] | None = typer.Option(
        None, "--input", help="KEY=VALUE; {version} {sha} … filled in."
    ),
    window: int = typer.Option(30, "--suspect-window", help="Minutes (suspected mode)."),
) -> None:
    """Set a service's automated-rollback policy (admin; works on the store)."""
    pairs = dict(item.split("=", 1) for item in inputs or [] if "=" in item)
    try:
        data = RollbackPolicyIn.model_validate(
            {
                "mode": mode,
                "target": target,
                "ref": ref,
                "inputs": pairs,
                "suspect_window_minutes": window,
            }
        )
        with open_db().unit_of_work() as session:
            out = rollback.set_policy(session, _ACTOR, service, data)
    except GuardrailError as exc:
        fail(exc.detail)
    except ValidationError as exc:
        fail(str(exc).splitlines()[0])
    typer.echo(f"{out.service}: rollback {out.mode} via {out.target or '-'}")


@alert_app.command("settings")
def settings_(
    integration_id: str = typer.Argument(...),
    group_by: str | None = typer.Option(None, "--group-by", help="Comma-separated label names."),
    severity_map: str | None = typer.Option(None, "--severity-map", help='JSON: {"p1": "SEV1"}'),
    service_label: str | None = typer.Option(None, "--service-label"),
    flap_window: int | None = typer.Option(None, "--flap-window", help="Minutes."),
    flap_threshold: int | None = typer.Option(None, "--flap-threshold"),
    mapping: str | None = typer.Option(None, "--mapping", help="JSON (generic integrations)."),
) -> None:
    """Show, or change, an alert integration's settings (admin; works on the store)."""
    try:
        with open_db().unit_of_work() as session:
            current = alerts.get_settings(session, integration_id).model_dump()
            changes = {
                "group_by": group_by.split(",") if group_by is not None else None,
                "severity_map": json.loads(severity_map) if severity_map else None,
                "service_label": service_label,
                "flap_window_minutes": flap_window,
                "flap_threshold": flap_threshold,
                "mapping": json.loads(mapping) if mapping else None,
            }
            if any(v is not None for v in changes.values()):
                merged = {k: current[k] for k in AlertSettingsIn.model_fields}
                merged.update({k: v for k, v in changes.items() if v is not None})
                current = alerts.put_settings(
                    session, _ACTOR, integration_id, AlertSettingsIn(**merged)
                ).model_dump()
    except GuardrailError as exc:
        fail(exc.detail)
    except (ValidationError, ValueError) as exc:
        fail(str(exc).splitlines()[0])
    print_json(current)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="incident")
    root.add_typer(alert_app, name="alert")
