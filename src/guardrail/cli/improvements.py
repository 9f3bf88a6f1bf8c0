"""`guardrail improvement …`: the continual improvement register (talks to the server)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import typer

from guardrail.cli.common import ApiClient, fail, print_json, print_table
from guardrail.kit.time import isoformat, parse_duration, utcnow

app = typer.Typer(
    help="Improvements: baseline, target and review (talks to the server).", no_args_is_help=True
)
_COLUMNS = ["id", "status", "metric", "scope", "baseline", "target", "result", "review_at", "title"]
_DURATION = re.compile(r"^\s*\d+\s*[smhdw]\s*$")
QUESTIONS = (
    ("vision", "What is the vision?"),
    ("current_state", "Where are we now?"),
    ("target", "Where do we want to be?"),
    ("plan", "How do we get there?"),
    ("actions", "Take action"),
    ("reviews", "Did we get there?"),
    ("momentum", "How do we keep the momentum?"),
)


def parse_target(text: str) -> float:
    """``0.1``, ``10%`` (a ratio) or ``2h`` / ``3d`` (seconds); exit 2 on anything else."""
    raw = text.strip()
    try:
        if raw.endswith("%"):
            return float(raw[:-1]) / 100
        if _DURATION.match(raw):
            return parse_duration(raw).total_seconds()
        return float(raw)
    except ValueError:
        fail(f"--target {text!r} is not a number; write e.g. 0.1, 10% or 2h")


def review_date(at: str | None, within: str | None) -> str:
    """The review date from --review-at (ISO 8601) or --review-in (a duration from now)."""
    if bool(at) == bool(within):
        fail("give one of --review-at (e.g. 2026-06-30) and --review-in (e.g. 30d)")
    if within:
        try:
            return str(isoformat(utcnow() + parse_duration(within)))
        except ValueError as exc:
            fail(f"--review-in: {exc}")
    try:
        return datetime.fromisoformat(str(at)).isoformat()
    except ValueError:
        fail(f"--review-at {at!r} is not a date; write e.g. 2026-06-30 or 2026-06-30T12:00Z")


def _scope(row: dict[str, Any]) -> str:
    who = row["service"] or (f"team {row['team']}" if row["team"] else "organisation")
    return f"{who}/{row['environment']}/{row['window']}"


def _line(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **row,
        "scope": _scope(row),
        "baseline": row["baseline_display"],
        "target": row["target_display"],
        "result": row["result_display"] if row["result"] is not None else None,
        "review_at": row["review_at"][:16],
    }


def _show(detail: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(detail)
        return
    typer.echo(f"{detail['id']}  {detail['status']}  {detail['title']}")
    current = detail.get("current") or {}
    typer.echo(
        f"{detail['metric_label']} for {detail['scope']['description']}: baseline "
        f"{detail['baseline_display']} → now {current.get('display', '—')} → target "
        f"{detail['target_display']}; review at {detail['review_at'][:16]}"
    )
    for key, question in QUESTIONS:
        typer.echo(f"\n{question}")
        for line in _answer(detail, key):
            typer.echo(f"  {line}")


def _answer(detail: dict[str, Any], key: str) -> list[str]:
    if key == "target":
        return [f"{detail['target_display']} ({detail['metric_label'].lower()})"]
    if key == "actions":
        return [
            f"{a['at'][:16]}  {a['text']}" + (f"  [{', '.join(a['refs'])}]" if a["refs"] else "")
            for a in detail["actions"]
        ] or ["-"]
    if key == "reviews":
        return [f"{r['review_at'][:16]}  {r['summary']}" for r in detail["reviews"]] or [
            "not reviewed yet"
        ]
    if key == "current_state":
        return [f"baseline {detail['baseline_display']}", *detail["current_state"].splitlines()]
    if key == "momentum" and detail.get("next_review_at"):
        return [*detail["momentum"].splitlines(), f"next review {detail['next_review_at'][:10]}"]
    return detail[key].splitlines() or ["-"]


@app.command("create")
def create(
    title: str = typer.Argument(..., help="What the improvement is, in a line."),
    metric: str = typer.Option(..., "--metric", help="A scoreboard key, e.g. lead_time."),
    target: str = typer.Option(..., "--target", help="e.g. 0.1, 10% or 2h"),
    service: str | None = typer.Option(None, "--service", "-s"),
    team: str | None = typer.Option(None, "--team"),
    env: str = typer.Option("production", "--env"),
    window: str = typer.Option("30d", "--window", help="Measured period, e.g. 30d."),
    review_at: str | None = typer.Option(None, "--review-at", help="e.g. 2026-06-30"),
    review_in: str | None = typer.Option(None, "--review-in", help="e.g. 30d"),
    vision: str = typer.Option("", "--vision"),
    current_state: str = typer.Option("", "--current-state"),
    plan: str = typer.Option("", "--plan"),
    momentum: str = typer.Option("", "--momentum"),
    owner: str = typer.Option("", "--owner"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Register an improvement; guardrail measures the baseline from the scoreboard."""
    body = {
        "title": title,
        "metric": metric,
        "target": parse_target(target),
        "service": service,
        "team": team,
        "environment": env,
        "window": window,
        "review_at": review_date(review_at, review_in),
        "vision": vision,
        "current_state": current_state,
        "plan": plan,
        "momentum": momentum,
        "owner": owner,
    }
    _show(ApiClient().post("/api/v1/improvements", json=body), as_json)


@app.command("list")
def list_(
    status: list[str] | None = typer.Option(None, "--status", help="Repeat for several."),
    service: str | None = typer.Option(None, "--service", "-s"),
    team: str | None = typer.Option(None, "--team"),
    limit: int = typer.Option(50, "--limit"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """List improvements, newest first."""
    params: dict[str, Any] = {"limit": limit, "status": status or []}
    params.update({k: v for k, v in {"service": service, "team": team}.items() if v})
    page = ApiClient().get("/api/v1/improvements", params=params)
    if as_json:
        print_json(page["items"])
        return
    print_table([_line(row) for row in page["items"]], _COLUMNS)


@app.command("show")
def show(improvement_id: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """An improvement and its answers to the seven questions."""
    _show(ApiClient().get(f"/api/v1/improvements/{improvement_id}"), as_json)


@app.command("review")
def review(
    improvement_id: str,
    now: bool = typer.Option(False, "--now", help="Before the review date: measure now."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Measure "did we get there?" now (the worker does it at the review date by itself)."""
    result = ApiClient().post(f"/api/v1/improvements/{improvement_id}/review", json={"early": now})
    if as_json:
        print_json(result)
        return
    again = "" if result["recorded"] else " (reviewed already; nothing recorded again)"
    typer.echo(f"{improvement_id}: {result['review']['summary']}{again}")


@app.command("act")
def act(
    improvement_id: str,
    text: str = typer.Argument(..., help="What was done."),
    ref: list[str] | None = typer.Option(None, "--ref", help="act_…, chg_…; repeatable."),
) -> None:
    """Log a step taken ("take action")."""
    body = {"text": text, "refs": ref or []}
    row = ApiClient().post(f"/api/v1/improvements/{improvement_id}/actions", json=body)
    typer.echo(f"logged {row['id']}")


@app.command("update")
def update(
    improvement_id: str,
    status: str | None = typer.Option(None, "--status", help="in_progress or review"),
    target: str | None = typer.Option(None, "--target"),
    review_in: str | None = typer.Option(None, "--review-in", help="Move the review date."),
    momentum: str | None = typer.Option(None, "--momentum"),
    next_review_in: str | None = typer.Option(None, "--next-review-in", help="e.g. 90d"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Move the status, the target or the review date; note how to keep the momentum."""
    body: dict[str, Any] = {"status": status, "momentum": momentum}
    if target is not None:
        body["target"] = parse_target(target)
    if review_in:
        body["review_at"] = review_date(None, review_in)
    if next_review_in:
        body["next_review_at"] = review_date(None, next_review_in)
    body = {k: v for k, v in body.items() if v is not None}
    if not body:
        fail(
            "nothing to change; give --status, --target, --review-in, --momentum or "
            "--next-review-in"
        )
    _show(ApiClient().patch(f"/api/v1/improvements/{improvement_id}", json=body), as_json)


@app.command("follow-up")
def follow_up(
    improvement_id: str,
    review_in: str = typer.Option(..., "--review-in", help="e.g. 30d"),
    target: str | None = typer.Option(None, "--target"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Carry on from an improvement not achieved: same metric and scope, a fresh baseline."""
    body: dict[str, Any] = {"review_at": review_date(None, review_in)}
    if target is not None:
        body["target"] = parse_target(target)
    _show(ApiClient().post(f"/api/v1/improvements/{improvement_id}/follow-up", json=body), as_json)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="improvement")
