"""`guardrail policy …` and `guardrail freeze …` (split from cli/changes.py to keep it short)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from guardrail.changes.policy import testing
from guardrail.cli.common import ApiClient, fail, print_json, print_table


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {path}: {exc}")


def _bundle(path: Path) -> dict[str, Any]:
    """The guardrails file and the .rego files its rego steps name."""
    source = _read(path)
    modules = {}
    for name in testing.rego_files(source):
        module = path.parent / name
        if module.is_file():
            modules[name] = _read(module)
    return {"source": source, "modules": modules, "filename": path.name}


def _problems(client: ApiClient, path: Path, response: Any) -> None:
    if response.status_code == 422:
        body = response.json()
        for problem in body.get("problems") or []:
            typer.echo(
                f"{path}:{problem['line']}:{problem['column']}: {problem['message']}", err=True
            )
        if body.get("problems"):
            raise typer.Exit(2)
    client._problem(response)


def apply(
    file: Path = typer.Argument(..., help="The guardrails YAML file."),
    service: str | None = typer.Option(None, "--service", "-s", help="Service it guards."),
    default: bool = typer.Option(False, "--default", help="The organisation default (admin)."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Validate and store a new version of a service's (or the default) guardrails."""
    if bool(service) == default:
        fail("give exactly one of --service NAME or --default")
    client = ApiClient()
    body = {**_bundle(file), "service": service, "default": default}
    response = client.http.post("/api/v1/guardrails", json=body)
    if response.status_code >= 400:
        _problems(client, file, response)
    version = response.json()
    if as_json:
        print_json(version)
        return
    scope = service or "the organisation default"
    typer.echo(
        f"applied {file.name} as version {version['version']} for {scope} "
        f"({version['id']}, {len(version['steps'])} steps)"
    )


def validate(file: Path = typer.Argument(..., help="The guardrails YAML file.")) -> None:
    """Check a guardrails file locally: every problem with its line and column."""
    try:
        document, _ = testing.load_guardrails(file)
    except testing.ScenarioError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    except OSError as exc:
        fail(f"cannot read {file}: {exc}")
    typer.echo(f"{file}: valid, {len(document['steps'])} steps")


def test(
    directory: Path = typer.Argument(..., help="Folder of scenario files and .rego tests."),
    guardrails: Path | None = typer.Option(None, help="Default: DIR/guardrails.yaml."),
    verbose: bool = typer.Option(False, "-v", "--verbose", help="Show passing tests too."),
) -> None:
    """Run guardrails scenarios and Rego test_ rules, like `opa test`."""
    if not directory.is_dir():
        fail(f"{directory} is not a folder")
    try:
        results = testing.run_directory(directory, guardrails)
    except testing.ScenarioError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    for result in results:
        if verbose or not result.passed:
            typer.echo(f"{'PASS' if result.passed else 'FAIL'}: {result.file}: {result.name}")
            for failure in result.failures:
                typer.echo(f"    {failure}")
    passed = sum(r.passed for r in results)
    typer.echo("-" * 40)
    typer.echo(f"{passed} passed, {len(results) - passed} failed")
    if not results:
        fail(f"no scenario file or .rego test found in {directory}")
    raise typer.Exit(0 if passed == len(results) else 1)


def show(
    service: str | None = typer.Option(None, "--service", "-s"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """The guardrails in force for a service (or the default)."""
    params = {"service": service} if service else {}
    current = ApiClient().get("/api/v1/guardrails/current", params=params)
    if as_json:
        print_json(current)
        return
    typer.echo(f"# {current['filename']} — version {current['version']} ({current['id']})")
    typer.echo(current["source"], nl=False)


def history(
    service: str | None = typer.Option(None, "--service", "-s"),
    default: bool = typer.Option(False, "--default"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Stored versions, newest first."""
    params: dict[str, Any] = {"service": service} if service else {}
    if default:
        params["default"] = True
    rows = ApiClient().get("/api/v1/guardrails", params=params)
    print_json(rows) if as_json else print_table(
        rows, ["id", "scope", "version", "filename", "created_by", "created_at"]
    )


def freeze_create(
    name: str = typer.Option(..., help="What people will see, e.g. 'Black Friday'."),
    start: str = typer.Option(..., "--start", help="ISO 8601 start, e.g. 2026-11-27T00:00Z."),
    end: str = typer.Option(..., "--end", help="ISO 8601 end of the (first) window."),
    rrule: str | None = typer.Option(None, help="RFC 5545 RRULE, e.g. FREQ=WEEKLY;BYDAY=FR."),
    reason: str = typer.Option("", help="Why changes stop."),
    environments: list[str] | None = typer.Option(None, "--env", help="Repeat; default all."),
    services: list[str] | None = typer.Option(None, "--service", help="Repeat; default all."),
    tiers: list[int] | None = typer.Option(None, "--tier", help="Repeat; default all."),
    no_emergency: bool = typer.Option(False, "--no-emergency", help="Block emergencies too."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Add a freeze window."""
    body = {
        "name": name,
        "starts_at": start,
        "ends_at": end,
        "rrule": rrule,
        "reason": reason,
        "environments": environments or [],
        "services": services or [],
        "tiers": tiers or [],
        "allow_emergency": not no_emergency,
    }
    window = ApiClient().post("/api/v1/freezes", json=body)
    print_json(window) if as_json else typer.echo(f"created freeze {window['id']} {name}")


def freeze_list(
    as_json: bool = typer.Option(False, "--json"),
    include_cancelled: bool = typer.Option(False, "--all"),
) -> None:
    """Freeze windows and their next occurrences."""
    rows = ApiClient().get("/api/v1/freezes", params={"include_cancelled": include_cancelled})
    if as_json:
        print_json(rows)
        return
    print_table(
        [{**r, "next": r["next"][0]["starts_at"] if r["next"] else None} for r in rows],
        ["id", "name", "rrule", "environments", "services", "tiers", "next", "reason"],
    )


def freeze_cancel(freeze_id: str) -> None:
    """End a freeze window early."""
    ApiClient().post(f"/api/v1/freezes/{freeze_id}/cancel")
    typer.echo(f"cancelled {freeze_id}")


def register(policy_app: typer.Typer, freeze_app: typer.Typer) -> None:
    policy_app.command("apply")(apply)
    policy_app.command("validate")(validate)
    policy_app.command("test")(test)
    policy_app.command("show")(show)
    policy_app.command("history")(history)
    freeze_app.command("create")(freeze_create)
    freeze_app.command("list")(freeze_list)
    freeze_app.command("cancel")(freeze_cancel)
