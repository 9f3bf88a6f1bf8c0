"""`guardrail slo`: apply SLO specs, export Prometheus rules, show budgets, push events."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from guardrail.cli.common import ApiClient, fail, print_json, print_table
from guardrail.errors import GuardrailError

app = typer.Typer(help="SLOs, error budgets and burn rates.", no_args_is_help=True)


def _read(paths: list[Path]) -> list[dict[str, str]]:
    files = []
    for path in paths:
        try:
            files.append({"name": str(path), "content": path.read_text(encoding="utf-8")})
        except OSError as exc:
            fail(f"cannot read {path}: {exc.strerror}")
    return files


@app.command("apply")
def apply(
    files: list[Path] = typer.Argument(..., help="OpenSLO / Sloth / policy YAML files."),
    default_period: str = typer.Option(
        "30d", "--default-slo-period", help="Period of Sloth SLOs (Sloth's default)."
    ),
    prometheus_url: str | None = typer.Option(None, help="Prometheus for SLOs without one."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Validate only."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Validate spec files and store their SLOs and budget policies (talks to the server)."""
    body = {
        "files": _read(files),
        "default_period": default_period,
        "prometheus_url": prometheus_url,
        "dry_run": dry_run,
    }
    result = ApiClient().post("/api/v1/slos/apply", json=body)
    if as_json:
        print_json(result)
        return
    print_table(result["items"], ["kind", "service", "name", "version", "change", "id"])


@app.command("rules")
def rules(
    file: list[Path] = typer.Argument(..., help="OpenSLO / Sloth files (with AlertWindows)."),
    default_period: str = typer.Option("30d", "--default-slo-period", help="Period of Sloth SLOs."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write here, not stdout."),
) -> None:
    """Write Prometheus recording and alerting rules for the SLOs (Sloth's shape; offline)."""
    from guardrail.slo.documents import parse_files
    from guardrail.slo.rules import render

    try:
        specs = parse_files(
            [(f["name"], f["content"]) for f in _read(file)], default_period=default_period
        )
        if not specs.slos:
            fail("the files define no SLO")
        text = render(specs.slos)
    except GuardrailError as exc:
        fail(exc.detail)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {len(specs.slos)} SLO(s) to {output}", err=True)


def _pct(value: Any) -> str | None:
    return None if value is None else f"{value * 100:.1f}%"


def _rate(value: Any) -> str | None:
    return None if value is None else f"{value:.2f}x"


@app.command("status")
def status(
    service: str | None = typer.Option(None, "--service", "-s", help="Service name or id."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """SLOs with budget remaining and burn rates."""
    params = {"service": service, "limit": 500} if service else {"limit": 500}
    page = ApiClient().get("/api/v1/slos", params=params)
    if as_json:
        print_json(page)
        return
    rows = [_status_row(item) for item in page["items"]]
    print_table(
        rows,
        [
            "service",
            "slo",
            "objective",
            "sli",
            "budget_left",
            "burn_1h",
            "burn_6h",
            "alerts",
            "status",
        ],
    )


def _status_row(item: dict[str, Any]) -> dict[str, Any]:
    burn = item.get("burn_rates") or {}
    state = item["status"] or "not evaluated"
    if state == "no_data":
        state = f"no data since {item['data_at']}" if item["data_at"] else "no data yet"
    return {
        "service": item["service"],
        "slo": item["name"],
        "objective": f"{item['objective'] * 100:g}% / {item['window']}",
        "sli": _pct(item.get("sli")),
        "budget_left": _pct(item.get("remaining")),
        "burn_1h": _rate(burn.get("1h")),
        "burn_6h": _rate(burn.get("6h")),
        "alerts": item.get("alerts") or None,
        "status": state,
    }


@app.command("report")
def report(
    slo: str = typer.Argument(..., help="SLO id or name."),
    service: str | None = typer.Option(None, "--service", "-s", help="When the name is shared."),
    months: int = typer.Option(3, "--months", "-m", min=1, max=24, help="Calendar months."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """The SLA view: attainment over the SLO window and per calendar month."""
    params: dict[str, Any] = {"months": months}
    if service:
        params["service"] = service
    result = ApiClient().get(f"/api/v1/slos/{slo}/report", params=params)
    if as_json:
        print_json(result)
        return
    typer.echo(
        f"{result['service']} / {result['slo']}: objective {result['objective'] * 100:g}% "
        f"over {result['window']}, months in {result['zone']} ({result['source']})"
    )
    print_table([_report_row(row) for row in result["rows"]], list(_REPORT_COLUMNS))


_REPORT_COLUMNS = ("period", "from", "to", "attainment", "objective", "met")


def _report_row(row: dict[str, Any]) -> dict[str, Any]:
    met = {True: "yes", False: "NO", None: None}[row["met"]]
    sli = f"{row['sli'] * 100:.3f}%" if row["sli"] is not None else None
    if sli is None:
        sli = f"no data ({row['error']})" if row.get("error") else "no data"
    return {
        "period": row["period"],
        "from": _second(row["start"]),
        "to": _second(row["end"]),
        "attainment": sli,
        "objective": f"{row['objective'] * 100:g}%",
        "met": met,
    }


def _second(when: str | None) -> str | None:
    """``2026-11-22T09:21:07.120000Z`` → ``2026-11-22T09:21:07Z`` (the table needs no more)."""
    return None if when is None else when.split(".")[0].removesuffix("Z") + "Z"


@app.command("push")
def push(
    slo: str = typer.Argument(..., help="SLO id (or unique name)."),
    file: Path = typer.Argument(..., help='JSON: {"events": [{"start", "good", "total"}]}.'),
) -> None:
    """Push good/total counts for an event-sourced SLO (a repeated interval replaces its counts)."""
    try:
        body = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        fail(f"cannot read {file}: {exc}")
    result = ApiClient().post(f"/api/v1/slos/{slo}/events", json=body)
    typer.echo(
        f"inserted {result['inserted']}, replaced {result['replaced']}, "
        f"unchanged {result['unchanged']}"
    )


@app.command("evaluate")
def evaluate() -> None:
    """Evaluate every SLO now, on the store directly (admin; the worker does this each minute)."""
    from guardrail.cli.common import open_db
    from guardrail.slo import service as slo_service

    with open_db().unit_of_work() as session:
        summary = slo_service.evaluate(session)
    typer.echo(
        f"evaluated {summary.evaluated} SLO(s): {summary.no_data} without data, "
        f"{summary.fired} alert(s) fired, {summary.resolved} resolved"
    )


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="slo")
