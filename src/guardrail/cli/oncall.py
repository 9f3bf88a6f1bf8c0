"""`guardrail oncall`: who is on call, apply schedules and policies, overrides, feeds, logs."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import typer

from guardrail.cli.common import ApiClient, fail, print_json, print_table

app = typer.Typer(
    help="On-call schedules, escalation policies and notifications.", no_args_is_help=True
)


def _time(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).isoformat()
    except ValueError:
        fail(f"{value!r} is not an ISO 8601 time, e.g. 2025-03-30T09:00+01:00")


def _short(value: Any) -> str:
    return str(value or "")[:16].replace("T", " ")


def _delay(seconds: int) -> str:
    if seconds % 3600 == 0 and seconds:
        return f"{seconds // 3600}h"
    return f"{seconds // 60}m" if seconds % 60 == 0 else f"{seconds}s"


@app.command("who")
def who(
    schedule: str | None = typer.Option(
        None, "--schedule", "-s", help="One schedule (name or id)."
    ),
    at: str | None = typer.Option(
        None, "--at", help="ISO 8601 time (naive = UTC); now if omitted."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Who is on call now (or at --at), per schedule."""
    params = {k: v for k, v in {"schedule": schedule, "at": _time(at)}.items() if v}
    rows = ApiClient().get("/api/v1/oncall/who", params=params)
    if as_json:
        print_json(rows)
        return
    for row in rows:
        row["on_call"] = row["person"] or "(nobody)"
        row["until"] = _short(row["until"])
    print_table(rows, ["schedule", "on_call", "name", "source", "until", "timezone"])


@app.command("apply")
def apply(
    file: Path = typer.Argument(..., help="The on-call YAML file."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Validate only; store nothing."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Create or update the channels, contacts, schedules and policies a file declares."""
    try:
        content = file.read_text(encoding="utf-8")
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror}")
    items = ApiClient().post("/api/v1/oncall/apply", json={"content": content, "dry_run": dry_run})
    if as_json:
        print_json(items)
        return
    print_table(items, ["kind", "name", "change", "id"])


@app.command("schedules")
def schedules(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List schedules."""
    rows = ApiClient().get("/api/v1/oncall/schedules")
    if as_json:
        print_json(rows)
        return
    for row in rows:
        row["layers"] = len(row["layers"])
        row["overrides"] = len(row["overrides"])
    print_table(rows, ["name", "timezone", "layers", "overrides", "id"])


@app.command("shifts")
def shifts(
    schedule: str = typer.Argument(..., help="Schedule name or id."),
    days: int = typer.Option(14, min=1, max=180, help="How many days ahead."),
    start: str | None = typer.Option(None, help="Start (ISO 8601); now if omitted."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Who is on call from now for the next days, shift by shift."""
    params = {k: v for k, v in {"days": days, "start": _time(start)}.items() if v}
    rows = ApiClient().get(f"/api/v1/oncall/schedules/{schedule}/shifts", params=params)
    if as_json:
        print_json(rows)
        return
    for row in rows:
        row["start"], row["end"] = _short(row["start"]), _short(row["end"])
    print_table(rows, ["start", "end", "person", "name", "source"])


@app.command("override")
def override(
    schedule: str = typer.Argument(..., help="Schedule name or id."),
    person: str = typer.Argument(..., help="Who takes over (handle, id or email)."),
    start: str = typer.Option(..., "--start", help="ISO 8601 start."),
    end: str = typer.Option(..., "--end", help="ISO 8601 end."),
    reason: str = typer.Option("", help="Why."),
) -> None:
    """Put someone on call on a schedule for a while, above every layer."""
    body = {"person": person, "starts_at": _time(start), "ends_at": _time(end), "reason": reason}
    row = ApiClient().post(f"/api/v1/oncall/schedules/{schedule}/overrides", json=body)
    typer.echo(
        f"override {row['id']}: {row['person']} on {row['schedule']} "
        f"{_short(row['starts_at'])} → {_short(row['ends_at'])} UTC"
    )


@app.command("feed")
def feed(
    schedule: str | None = typer.Option(None, "--schedule", "-s", help="A schedule's feed."),
    person: str | None = typer.Option(None, "--person", "-p", help="A person's feed."),
) -> None:
    """Make a secret iCalendar URL to subscribe to (printed once)."""
    if bool(schedule) == bool(person):
        fail("give either --schedule or --person")
    row = ApiClient().post("/api/v1/oncall/feeds", json={"schedule": schedule, "person": person})
    typer.echo(row["url"])


@app.command("policies")
def policies(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List escalation policies."""
    rows = ApiClient().get("/api/v1/oncall/policies")
    if as_json:
        print_json(rows)
        return
    for row in rows:
        row["levels"] = " → ".join(
            f"{'+'.join(t['name'] for t in lvl['targets'])} ({_delay(lvl['delay_seconds'])})"
            for lvl in row["levels"]
        )
    print_table(rows, ["name", "default", "version", "repeat", "levels", "services"])


@app.command("runs")
def runs(
    incident: str | None = typer.Option(None, help="One incident's run."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Escalation runs, newest first."""
    rows = ApiClient().get("/api/v1/oncall/runs", params={"incident": incident} if incident else {})
    if as_json:
        print_json(rows)
        return
    for row in rows:
        row["policy"] = f"{row['policy'].get('name')} v{row['policy'].get('version')}"
        row["started_at"] = _short(row["started_at"])
    print_table(rows, ["incident_id", "status", "level", "cycle", "policy", "started_at", "id"])


@app.command("deliveries")
def deliveries(
    incident: str | None = typer.Option(None, help="One incident's notifications."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """The notification delivery log, newest first."""
    params = {"incident": incident} if incident else {}
    rows = ApiClient().get("/api/v1/oncall/deliveries", params=params)
    if as_json:
        print_json(rows)
        return
    print_table(
        rows,
        [
            "incident_id",
            "event",
            "level",
            "target",
            "channel",
            "status",
            "attempts",
            "response_code",
            "last_error",
        ],
    )


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="oncall")
