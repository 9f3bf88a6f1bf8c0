"""`guardrail metrics`: the scoreboard in a terminal, as JSON or as CSV (talks to the server)."""

from __future__ import annotations

import csv
import sys
from typing import Any

import typer

from guardrail.cli.common import ApiClient, fail, print_json, print_table

CSV_COLUMNS = ["group", "key", "label", "value", "unit", "display", "previous", "trend", "level"]


def metrics(
    service: str | None = typer.Option(None, "--service", help="One service (name or id)."),
    team: str | None = typer.Option(None, "--team", help="The services a team owns."),
    env: str = typer.Option("production", "--env", help="Environment."),
    since: str = typer.Option("90d", "--since", help="Period, e.g. 30d or 12w."),
    as_json: bool = typer.Option(False, "--json", help="Print the scoreboard as JSON."),
    as_csv: bool = typer.Option(False, "--csv", help="Print one CSV row per metric."),
) -> None:
    """DORA metrics and ITIL KPIs side by side, with levels and trends."""
    if as_json and as_csv:
        fail("choose one of --json and --csv")
    params = {k: v for k, v in {"service": service, "team": team}.items() if v}
    board = ApiClient().get("/api/v1/metrics", params={**params, "env": env, "since": since})
    if as_json:
        print_json(board)
    elif as_csv:
        _csv(board)
    else:
        _table(board)


def _rows(board: dict[str, Any]) -> list[dict[str, Any]]:
    return [*board["dora"], *board["itil"]]


def _csv(board: dict[str, Any]) -> None:
    writer = csv.DictWriter(sys.stdout, CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in _rows(board):
        writer.writerow({k: "" if row.get(k) is None else row.get(k) for k in CSV_COLUMNS})


_ARROWS = {"up": "↑", "down": "↓", "flat": "→", None: ""}


def _table(board: dict[str, Any]) -> None:
    scope = board["scope"]
    what = scope["service"] or (f"team {scope['team']}" if scope["team"] else "all services")
    typer.echo(f"{what} · {scope['environment']} · last {scope['since']} (vs the period before)")
    rows = [
        {
            "metric": row["label"],
            "value": row["display"] if row["tracked"] else row["note"].split(":")[0],
            "previous": row["previous_display"] if row["tracked"] else "",
            "trend": _ARROWS[row["trend"]],
            "level": row["level"],
        }
        for row in _rows(board)
    ]
    print_table(rows, ["metric", "value", "previous", "trend", "level"])
    typer.echo(f"levels: {board['bands']}", err=True)


def register(root: typer.Typer) -> None:
    root.command("metrics")(metrics)
