"""`guardrail deploy` (record, list, show) and `guardrail release` (create, list, show, notes)
talk to the server; `guardrail canary judge` runs locally (it needs no server, only the FILE and,
for queries, Prometheus)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import typer
import yaml
from pydantic import ValidationError

from guardrail.cli.common import EXIT_UNREACHABLE, ApiClient, fail, print_json, print_table
from guardrail.errors import GuardrailError

if TYPE_CHECKING:  # the judge (and scipy) load only when `canary judge` runs
    from guardrail.releases import canary

deploy_app = typer.Typer(help="Deployments (talks to the server).", no_args_is_help=True)
canary_app = typer.Typer(help="The canary judge.", no_args_is_help=True)
release_app = typer.Typer(
    help="Releases and their generated notes (talks to the server).", no_args_is_help=True
)

# The CI run id, when the pipeline has one, makes a retried `deploy record` update, not add.
_RUN_ID_VARIABLES = ("GITHUB_RUN_ID", "CI_PIPELINE_ID", "BUILD_ID", "BUILDKITE_BUILD_ID")
_LIST_COLUMNS = [
    "id",
    "service",
    "environment",
    "version",
    "status",
    "deployed_at",
    "commit_count",
    "failed",
]


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    return (
        f"{days}d{hours:02d}h"
        if days
        else f"{hours}h{minutes:02d}m"
        if hours
        else f"{minutes}m{secs:02d}s"
    )


@deploy_app.command("record")
def record(
    service: str = typer.Option(..., "--service", "-s"),
    environment: str = typer.Option(..., "--env", "-e"),
    version: str = typer.Option("", "--version", "-v"),
    commit: str | None = typer.Option(None, "--commit", help="The deployed commit sha."),
    status: str = typer.Option(
        "success", "--status", help="success, failed, running, pending, cancelled."
    ),
    change: str | None = typer.Option(
        None, "--change", help="The change record that authorised it."
    ),
    strategy: str = typer.Option(
        "rolling", "--strategy", help="rolling, canary, blue-green, feature-flag."
    ),
    key: str | None = typer.Option(
        None, "--key", help="Idempotency key (default: built from the fields)."
    ),
    rollback_of: str | None = typer.Option(
        None, "--rollback-of", help="Deployment this one rolls back."
    ),
    hotfix_for: str | None = typer.Option(
        None, "--hotfix-for", help="Incident this deployment fixes."
    ),
    url: str | None = typer.Option(None, "--url"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Record a deployment from a pipeline that sends no webhooks."""
    run_id = next((os.environ[v] for v in _RUN_ID_VARIABLES if os.environ.get(v)), None)
    body = {
        "service": service,
        "environment": environment,
        "version": version,
        "commit": commit,
        "status": status,
        "strategy": strategy,
        "change_id": change,
        "key": key,
        "run_id": run_id,
        "rollback_of": rollback_of,
        "hotfix_for": hotfix_for,
        "url": url,
    }
    dep = ApiClient().post(
        "/api/v1/releases/deployments", json={k: v for k, v in body.items() if v is not None}
    )
    if as_json:
        print_json(dep)
        return
    typer.echo(
        f"recorded {dep['id']} {dep['service']} {dep['environment']} {dep['version']} "
        f"{dep['status']} "
        f"({dep['commit_count']} commits, attribution {dep['attribution']})"
    )


@deploy_app.command("list")
def list_(
    service: str | None = typer.Option(None, "--service", "-s"),
    environment: str | None = typer.Option(None, "--env", "-e"),
    status: str | None = typer.Option(None, "--status"),
    limit: int = typer.Option(50, min=1, max=500),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List deployments, newest first."""
    params = {
        k: v
        for k, v in {
            "service": service,
            "environment": environment,
            "status": status,
            "limit": limit,
        }.items()
        if v is not None
    }
    page = ApiClient().get("/api/v1/releases/deployments", params=params)
    if as_json:
        print_json(page)
        return
    print_table(page["items"], _LIST_COLUMNS)


@deploy_app.command("show")
def show(
    deployment_id: str = typer.Argument(..., help="The deployment's id (dep_…)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show a deployment, the commits it delivered and each commit's lead time."""
    dep = ApiClient().get(f"/api/v1/releases/deployments/{deployment_id}")
    if as_json:
        print_json(dep)
        return
    for key in (
        "id",
        "service",
        "environment",
        "version",
        "sha",
        "status",
        "strategy",
        "deployed_at",
        "change_id",
        "attribution",
        "failed",
        "failure_reasons",
        "rework",
    ):
        typer.echo(f"{key:>16}: {dep.get(key) if dep.get(key) not in (None, '', []) else '-'}")
    rows = [
        {
            "sha": c["sha"][:12],
            "committed_at": c["committed_at"],
            "lead_time": _duration(c["lead_time_seconds"]),
            "merge_to_deploy": _duration(c["merge_to_deploy_seconds"]),
            "pr": c["pull_request"],
            "message": c["message"][:50],
        }
        for c in dep["commits"]
    ]
    typer.echo(f"\ncommits delivered ({len(rows)}):")
    print_table(rows, ["sha", "committed_at", "lead_time", "merge_to_deploy", "pr", "message"])


def load_spec(path: Path) -> canary.CanarySpec:
    """The canary FILE (YAML or JSON)."""
    from guardrail.api.problems import validation_errors
    from guardrail.releases import canary

    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror}")
    except yaml.YAMLError as exc:
        fail(f"{path} is not valid YAML or JSON: {str(exc).splitlines()[0]}")
    try:
        return canary.CanarySpec.model_validate(raw)
    except ValidationError as exc:
        errors = validation_errors([dict(e) for e in exc.errors()])
        fail(f"{path}: " + "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5]))


@canary_app.command("judge")
def judge(
    file: Path = typer.Argument(
        ..., help="YAML or JSON: metrics with samples or Prometheus queries."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Judge a canary run: exit 0 on pass, 1 on marginal or fail, 2 on bad input."""
    from guardrail.releases import canary, canary_sources

    spec = load_spec(file)
    try:
        result = canary.judge(spec, canary_sources.fetch(spec))
    except GuardrailError as exc:
        fail(exc.detail)
    if as_json:
        typer.echo(json.dumps(result.model_dump(mode="json"), indent=2))
    else:
        rows = [
            {
                "metric": m.name,
                "class": m.classification,
                "critical": m.critical,
                "baseline": _num(m.baseline_mean),
                "canary": _num(m.canary_mean),
                "ratio": _num(m.ratio),
                "p": _num(m.p_value),
            }
            for m in result.metrics
        ]
        print_table(rows, ["metric", "class", "critical", "baseline", "canary", "ratio", "p"])
        typer.echo(f"\n{result.result.upper()}: {result.reason}")
    raise typer.Exit(0 if result.result == "pass" else 1)


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


@release_app.command("create")
def release_create(
    service: str = typer.Option(..., "--service", "-s"),
    version: str = typer.Option(..., "--version", "-v", help="The version its deployments carry."),
    name: str = typer.Option("", "--name", help="A title (default: the version)."),
    body_file: Path | None = typer.Option(
        None, "--body-file", help="A text or Markdown file to keep with the release."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Name a release: the deployments of VERSION of SERVICE (again: updates it)."""
    body = ""
    if body_file is not None:
        try:
            body = body_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"cannot read {body_file}: {exc}; give a UTF-8 text file")
    data = {"service": service, "version": version, "name": name, "body": body}
    row = ApiClient().post("/api/v1/releases/releases", json=data)
    if as_json:
        print_json(row)
        return
    typer.echo(f"release {row['id']} {row['service']} {row['version']}")
    typer.echo(f"notes: guardrail release notes {row['id']}")


@release_app.command("list")
def release_list(
    service: str | None = typer.Option(None, "--service", "-s"),
    limit: int = typer.Option(50, min=1, max=500),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List releases, newest first."""
    params: dict[str, Any] = {"limit": limit}
    if service:
        params["service"] = service
    page = ApiClient().get("/api/v1/releases/releases", params=params)
    if as_json:
        print_json(page)
        return
    print_table(page["items"], ["id", "service", "version", "name", "published_at", "created_at"])


@release_app.command("show")
def release_show(
    release_id: str = typer.Argument(..., help="The release's id (rls_…)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show a release and the deployments of its version."""
    row = ApiClient().get(f"/api/v1/releases/releases/{release_id}")
    if as_json:
        print_json(row)
        return
    typer.echo(f"{row['id']} {row['service']} {row['version']} {row['name']}".rstrip())
    print_table(row["deployments"], _LIST_COLUMNS)


@release_app.command("notes")
def release_notes(
    release_id: str = typer.Argument(..., help="The release's id (rls_…)."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to FILE, not stdout."),
) -> None:
    """Print a release's notes (Markdown), generated from the commits it delivered."""
    text = _get_text(f"/api/v1/releases/releases/{release_id}/notes")
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror}; choose a writable path")
    typer.echo(f"wrote {output}")


def _get_text(path: str) -> str:
    """GET a text (not JSON) answer; problems become the same one-line errors as JSON calls."""
    client = ApiClient()
    try:
        response = client.http.get(path)
    except httpx.HTTPError as exc:
        fail(
            f"cannot reach guardrail at {client.base}: {exc}; is `guardrail serve` running "
            "and GUARDRAIL_URL right?",
            EXIT_UNREACHABLE,
        )
    if response.status_code >= 400:
        try:
            detail = response.json().get("detail") or response.json().get("title")
        except ValueError:
            detail = response.text[:200]
        code = EXIT_UNREACHABLE if response.status_code >= 500 else 2
        fail(f"{detail} (HTTP {response.status_code})", code)
    return response.text


def register(root: typer.Typer) -> None:
    root.add_typer(deploy_app, name="deploy")
    root.add_typer(release_app, name="release")
    root.add_typer(canary_app, name="canary")
