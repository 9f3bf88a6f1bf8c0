"""`guardrail gate`, `change`, `policy` and `freeze`: change enablement from pipelines and people.

Client commands talk to the server (GUARDRAIL_URL, GUARDRAIL_TOKEN); `policy validate` and
`policy test` run locally, so teams can test their guardrails in their own CI.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import httpx
import typer

from guardrail.cli.common import EXIT_UNREACHABLE, ApiClient, fail, print_json, print_table
from guardrail.kit.time import parse_duration

EXIT_PROCEED, EXIT_BLOCKED, EXIT_PENDING = 0, 1, 3
POLL_SECONDS = 30
change_app = typer.Typer(
    help="Change records: evidence, approvals, lifecycle.", no_args_is_help=True
)
policy_app = typer.Typer(help="Guardrails files: apply, validate, test.", no_args_is_help=True)
freeze_app = typer.Typer(help="Freeze windows.", no_args_is_help=True)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {path}: {exc}")


def _facts(values: list[str] | None) -> dict[str, str]:
    facts = {}
    for item in values or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            fail(f"--fact {item!r} must be KEY=VALUE")
        facts[key.strip()] = value.strip()
    return facts


def _pipeline_defaults() -> dict[str, str | None]:
    """What GitHub Actions and GitLab CI tell a job about itself."""
    env = os.environ
    run = None
    if env.get("GITHUB_RUN_ID"):
        server = env.get("GITHUB_SERVER_URL", "")
        run = f"{server}/{env.get('GITHUB_REPOSITORY', '')}/actions/runs/{env['GITHUB_RUN_ID']}"
    elif env.get("CI_PIPELINE_URL") or env.get("CI_PIPELINE_ID"):
        run = env.get("CI_PIPELINE_URL") or env.get("CI_PIPELINE_ID")
    commit = env.get("GITHUB_SHA") or env.get("CI_COMMIT_SHA")
    return {"pipeline_run": run, "commit": commit}


# -- the gate -----------------------------------------------------------------------------------


def gate(
    service: str = typer.Option(..., "--service", "-s", help="Service name in the catalogue."),
    environment: str = typer.Option(..., "--env", "-e", help="Target environment."),
    commit: str | None = typer.Option(None, help="Commit SHA (default: GITHUB_SHA/CI_COMMIT_SHA)."),
    version: str | None = typer.Option(None, help="Version or release being deployed."),
    change_type: str = typer.Option("normal", "--type", help="standard, normal or emergency."),
    model: str | None = typer.Option(None, help="Pre-approved model of a standard change."),
    title: str = typer.Option("", help="One line that says what changes."),
    description: str = typer.Option("", help="More about the change."),
    authors: list[str] | None = typer.Option(None, "--author", help="Commit author (repeat)."),
    pull_request: str | None = typer.Option(None, "--pr", help="Pull/merge request URL."),
    pipeline_run: str | None = typer.Option(None, "--pipeline-run", help="Pipeline run URL/id."),
    ticket: str | None = typer.Option(None, help="Ticket reference or URL."),
    evidence: list[Path] | None = typer.Option(
        None, "--evidence", help="JUnit XML, SARIF or `git diff --numstat` file (repeat)."
    ),
    facts: list[str] | None = typer.Option(None, "--fact", help="KEY=VALUE fact (repeat)."),
    key: str | None = typer.Option(
        None, "--idempotency-key", help="Default: service+env+commit+pipeline run."
    ),
    wait: bool = typer.Option(False, "--wait", help="Wait for approval instead of exiting 3."),
    timeout: str = typer.Option("30m", help="How long --wait waits, e.g. 30m or 2h."),
    as_json: bool = typer.Option(False, "--json", help="Print the decision as JSON."),
) -> None:
    """May this change go to production now? Exits 0 proceed, 1 blocked, 2 bad input, 3 waiting."""
    try:
        limit = parse_duration(timeout).total_seconds()
    except ValueError as exc:
        fail(str(exc))
    defaults = _pipeline_defaults()
    links = {
        "pull_request": pull_request,
        "ticket": ticket,
        "pipeline_run": pipeline_run or defaults["pipeline_run"],
    }
    body: dict[str, Any] = {
        "service": service,
        "environment": environment,
        "type": change_type,
        "commit": commit or defaults["commit"],
        "version": version,
        "model": model,
        "title": title,
        "description": description,
        "authors": authors or [],
        "links": {k: v for k, v in links.items() if v},
        "evidence": [{"name": p.name, "content": _read(p)} for p in evidence or []],
        "facts": _facts(facts),
        "idempotency_key": key,
    }
    client = ApiClient(timeout=POLL_SECONDS + 30)
    change = client.post("/api/v1/changes", json={k: v for k, v in body.items() if v is not None})
    decision = _decision_of(change)
    deadline = time.monotonic() + limit
    if wait and not decision["final"]:
        if not as_json:
            _summary(decision, err=True)
        decision = _wait(client, change["id"], deadline, quiet=as_json)
    print_json(decision) if as_json else _summary(decision)
    raise typer.Exit(_exit_code(decision))


def _decision_of(change: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "id",
        "state",
        "decision",
        "proceed",
        "service",
        "environment",
        "risk_level",
        "risk_score",
        "reasons",
        "can_approve",
        "needs_review",
        "url",
        "updated_at",
    )
    decision = {k: change[k] for k in keys}
    decision["final"] = change["state"] not in ("requested", "pending_approval")
    decision["risk_factors"] = change["risk_factors"]
    decision["policy"] = change["policy"]
    return decision


def _wait(client: ApiClient, change_id: str, deadline: float, quiet: bool) -> dict[str, Any]:
    """Long-poll the decision until it is final or the deadline passes."""
    failures = 0
    decision: dict[str, Any] = {}
    while True:
        remaining = deadline - time.monotonic()
        try:
            response = client.http.get(
                f"/api/v1/changes/{change_id}/decision",
                params={"wait": max(0, min(POLL_SECONDS, remaining))},
            )
        except httpx.HTTPError as exc:
            failures += 1  # a blip while waiting is retried; a dead server is reported
            if failures >= 5 or remaining <= 0:
                fail(f"cannot reach guardrail at {client.base}: {exc}", EXIT_UNREACHABLE)
            time.sleep(min(2.0 * failures, 10))
            continue
        if response.status_code >= 400:
            client._problem(response)
        failures, decision = 0, response.json()
        if decision["final"] or deadline - time.monotonic() <= 0:
            return decision
        if not quiet:
            typer.echo(f"… still waiting for approval ({int(remaining)}s left)", err=True)


def _exit_code(decision: dict[str, Any]) -> int:
    if decision["proceed"]:
        return EXIT_PROCEED
    return EXIT_BLOCKED if decision["final"] else EXIT_PENDING


_HEADLINE = {
    "approved": "✔ APPROVED — proceed",
    "implementing": "✔ APPROVED — implementing",
    "completed": "✔ COMPLETED",
    "pending_approval": "… WAITING FOR APPROVAL",
    "requested": "… REQUESTED",
    "blocked": "✘ BLOCKED",
    "rejected": "✘ REJECTED",
}


def _summary(decision: dict[str, Any], err: bool = False) -> None:
    def say(text: str) -> None:
        typer.echo(text, err=err)

    say(
        f"{_HEADLINE.get(decision['state'], decision['state'].upper())}  "
        f"{decision['service']} → {decision['environment']}  {decision['id']}"
    )
    factors = [f for f in decision.get("risk_factors", []) if f["points"]]
    detail = ", ".join(f"{f['name']} +{f['points']}" for f in factors) or "no risk factor"
    say(f"  risk: {decision['risk_level']} ({decision['risk_score']} points: {detail})")
    for reason in decision["reasons"]:
        say(f"  - {reason}")
    if decision["state"] == "pending_approval":
        who = ", ".join(decision["can_approve"]) or "nobody eligible yet (ask an admin)"
        say(f"  who can approve: {who}")
        say(f"  approve with: guardrail change approve {decision['id']} --comment '…'")
    if decision.get("needs_review"):
        say("  flagged for a retrospective review")
    say(f"  {decision['url']}")


# -- change ---------------------------------------------------------------------------------


@change_app.command("list")
def list_changes(
    service: str | None = typer.Option(None, "--service", "-s"),
    state: list[str] | None = typer.Option(None, help="Repeat for several states."),
    environment: str | None = typer.Option(None, "--env"),
    needs_review: bool | None = typer.Option(None, "--needs-review/--reviewed"),
    limit: int = typer.Option(50, min=1, max=500),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """List changes, newest first."""
    params = {
        "service": service,
        "state": state,
        "environment": environment,
        "needs_review": needs_review,
        "limit": limit,
    }
    page = ApiClient().get(
        "/api/v1/changes", params={k: v for k, v in params.items() if v is not None}
    )
    if as_json:
        print_json(page)
        return
    print_table(
        page["items"],
        [
            "id",
            "service",
            "environment",
            "type",
            "state",
            "risk_level",
            "needs_review",
            "created_at",
        ],
    )


@change_app.command("inbox")
def inbox(as_json: bool = typer.Option(False, "--json")) -> None:
    """Changes waiting for your approval."""
    rows = ApiClient().get("/api/v1/changes/inbox")
    if as_json:
        print_json(rows)
        return
    print_table(
        [{**r, "why": "; ".join(r["reasons"])} for r in rows],
        ["id", "service", "environment", "risk_level", "risk_score", "why"],
    )


@change_app.command("show")
def show(change_id: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """One change: decision, risk factors, evidence, approvals."""
    change = ApiClient().get(f"/api/v1/changes/{change_id}")
    if as_json:
        print_json(change)
        return
    _summary(_decision_of(change))
    for factor in change["risk_factors"]:
        typer.echo(f"  {factor['name']:>20} +{factor['points']:<3} {factor['detail']}")
    for step in change["trace"]:
        typer.echo(f"  step {step['name']}: {step['status']} → {step.get('outcome') or '-'}")
    for item in change["evidence"]:
        typer.echo(f"  evidence {item['kind']}: {item['name']}")
    for approval in change["approvals"]:
        typer.echo(
            f"  {approval['decision']} by {approval['actor']} ({approval['via']}) "
            f"{approval['comment']}"
        )


@change_app.command("evidence")
def add_evidence(
    change_id: str,
    items: list[str] = typer.Argument(..., help="Files, or KEY=VALUE facts."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Attach evidence files (JUnit, SARIF, numstat) or KEY=VALUE facts to a change."""
    files, facts = [], []
    for item in items:
        path = Path(item)
        if path.exists():
            files.append({"name": path.name, "content": _read(path)})
        elif "=" in item:
            facts.append(item)
        else:
            fail(f"{item!r} is neither a file nor a KEY=VALUE fact")
    change = ApiClient().post(
        f"/api/v1/changes/{change_id}/evidence", json={"files": files, "facts": _facts(facts)}
    )
    print_json(change) if as_json else _summary(_decision_of(change))


def _act(change_id: str, verb: str, body: dict[str, Any], as_json: bool) -> None:
    change = ApiClient().post(f"/api/v1/changes/{change_id}/{verb}", json=body)
    print_json(change) if as_json else _summary(_decision_of(change))


@change_app.command("approve")
def approve(
    change_id: str,
    comment: str = typer.Option("", "--comment", "-m"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Approve a change (not your own)."""
    _act(change_id, "approve", {"comment": comment}, as_json)


@change_app.command("reject")
def reject(
    change_id: str,
    comment: str = typer.Option("", "--comment", "-m"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Reject a change; it ends there."""
    _act(change_id, "reject", {"comment": comment}, as_json)


@change_app.command("start")
def start(change_id: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """Mark an approved change as being deployed."""
    _act(change_id, "start", {}, as_json)


@change_app.command("complete")
def complete(
    change_id: str,
    status: str = typer.Option(..., help="success, failed or rolled_back."),
    comment: str = typer.Option("", "--comment", "-m"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Close a change with its outcome."""
    _act(change_id, "complete", {"status": status, "comment": comment}, as_json)


@change_app.command("cancel")
def cancel(change_id: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """Withdraw a change that has not started."""
    _act(change_id, "cancel", {}, as_json)


@change_app.command("review")
def review(
    change_id: str,
    note: str = typer.Option(..., "--note", "-m"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Record the retrospective review of an emergency change."""
    _act(change_id, "review", {"note": note}, as_json)


@change_app.command("calendar")
def calendar(
    ics: bool = typer.Option(False, "--ics", help="Print the iCalendar feed."),
    start: str | None = typer.Option(None, "--from"),
    end: str | None = typer.Option(None, "--to"),
) -> None:
    """Planned changes and freezes, with conflicts."""
    params = {k: v for k, v in {"from": start, "to": end}.items() if v}
    client = ApiClient()
    if ics:
        response = client.http.get("/api/v1/calendar.ics", params=params)
        if response.status_code >= 400:
            client._problem(response)
        typer.echo(response.text, nl=False)
        return
    view = client.get("/api/v1/calendar", params=params)
    print_table(view["freezes"], ["name", "starts_at", "ends_at", "reason"])
    print_table(view["changes"], ["id", "service", "environment", "state", "starts_at"])
    for conflict in view["conflicts"]:
        typer.echo(f"conflict: {conflict['detail']}")


@change_app.command("chat-link")
def chat_link(slack_user: str, person: str) -> None:
    """Link a Slack user id (U…) to a person, for the approve/reject buttons (admin)."""
    ApiClient().post(
        "/api/v1/changes/chat-identities",
        json={"provider": "slack", "external_id": slack_user, "person": person},
    )
    typer.echo(f"linked Slack user {slack_user} to {person}")


from guardrail.cli import changes_policy  # noqa: E402  (policy and freeze commands)


def register(root: typer.Typer) -> None:
    root.command("gate")(gate)
    root.add_typer(change_app, name="change")
    root.add_typer(policy_app, name="policy")
    root.add_typer(freeze_app, name="freeze")
    changes_policy.register(policy_app, freeze_app)
