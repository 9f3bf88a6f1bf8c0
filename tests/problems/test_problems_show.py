"""Issue 9's show: incident -> problem -> postmortem draft with the real timeline -> action items
exported (dry run) -> a change blocked by an overdue P0 item -> the fixing change allowed."""

from __future__ import annotations

import json
from typing import Any

from problem_helpers import days
from sqlalchemy import event

from guardrail.kit.time import utcnow
from guardrail.problems import jobs
from guardrail.store import outbox
from guardrail.store.session import Database
from guardrail.worker.registry import load_job_modules
from guardrail.worker.runner import Worker

GUARDRAILS = """\
- step: open_action_items
  if: change.type == 'normal'
  priority: P0
  overdue_only: true
- step: risk_threshold
  max: critical
  on_pass: auto_approve
"""


def _resolved_incident(api: Any) -> tuple[str, str]:
    """A SEV1 incident on checkout caused by a change, acknowledged then resolved."""
    cause = api.gate(commit="bad0001", title="raise connection pool")["id"]
    incident = api.incident("checkout returns 502 on payment")
    api.call("POST", f"/incidents/{incident}/causes", 201, json={"ref": cause, "note": "pool"})
    api.call("POST", f"/incidents/{incident}/notes", 201, json={"text": "db pool exhausted"})
    api.call("POST", f"/incidents/{incident}/acknowledge")
    api.call("POST", f"/incidents/{incident}/resolve", json={"note": "pool size restored"})
    return incident, cause


def test_incident_to_fixing_change(api: Any, db: Database, settings: Any, cli: Any, cli_env: Any):
    incident, cause = _resolved_incident(api)

    # A problem from the incident; its service comes along; the root cause makes a known error.
    body = {"title": "Connection pool exhaustion under payment load", "incidents": [incident]}
    problem = api.call("POST", "/problems", 201, json=body)
    assert {(link["kind"], link["label"]) for link in problem["links"]} == {
        ("incident", "checkout returns 502 on payment"),
        ("service", "checkout"),
    }
    update = {"root_cause": "pool of 10 connections", "workaround": "restart the pods"}
    api.call("PATCH", f"/problems/{problem['id']}", json=update)
    known = api.call(
        "POST", f"/problems/{problem['id']}/transition", json={"status": "known_error"}
    )
    assert known["status"] == "known_error" and known["known_error_at"]

    # The postmortem draft carries the incident's real timeline, impact and contributing change.
    draft = api.call("POST", f"/postmortems/incidents/{incident}")
    text = draft["body"]
    assert draft["problem_id"] == problem["id"] and draft["status"] == "draft"
    for expected in (
        "# Postmortem: checkout returns 502 on payment",
        "## Impact",
        "- Duration:",
        "| opened | SEV1 incident opened on checkout",
        "| note | db pool exhausted |",
        "| status | acknowledged by token:test admin via api |",
        "| status | resolved by token:test admin via api: pool size restored |",
        f"| cause | cause: change {cause}",
        f"- change {cause} 'raise connection pool' (explicit): pool",
        "## What went well",
        f"Problem record: {problem['id']}",
    ):
        assert expected in text, text

    # Policy: a resolved SEV1 requires its postmortem, with a due date (the worker's job).
    with db.unit_of_work() as session:
        assert jobs.queue_checks(session, utcnow()) == 1
    load_job_modules()
    Worker(db, settings, worker_id="test:problems").run_until_empty()
    required = api.call("GET", f"/postmortems/{incident}")
    assert required["required"] is True and "SEV1 incidents require" in required["required_reason"]
    assert required["due_at"] is not None

    # An overdue P0 action item from the postmortem lands on the incident's service.
    item = api.call(
        "POST",
        "/action-items",
        201,
        json={
            "title": "Size the pool from load tests",
            "priority": "P0",
            "owner": "alice",
            "due_at": days(-1),
            "postmortem": draft["id"],
        },
    )
    assert item["service"] == "checkout" and item["problem_id"] == problem["id"]
    assert item["overdue"] is True

    # Exported as a dry run: the exact request, no token, nothing queued.
    result = cli(
        "action-item", "export", item["id"], "--tracker", "github", "--dry-run", env=cli_env
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "POST https://api.github.com/repos/acme/checkout/issues" in lines
    assert "Authorization: Bearer <GUARDRAIL_GITHUB_TOKEN>" in lines
    assert "X-GitHub-Api-Version: 2022-11-28" in lines
    assert (
        "Content-Type: application/json" in lines and "Accept: application/vnd.github+json" in lines
    )
    start = lines.index("{")
    end = lines.index("}", start)
    sent = json.loads("\n".join(lines[start : end + 1]))
    assert sent["title"] == "Size the pool from load tests"
    assert sent["labels"] == ["guardrail", "priority:P0"]
    assert f"guardrail action item {item['id']}" in sent["body"]
    assert "dry run: 1 request(s) shown, nothing sent" in result.output
    with db.reader() as session:
        assert not outbox.list_jobs(
            session, status=None, kind="problems.export_action_item", limit=5
        )
    assert api.call("GET", f"/action-items/{item['id']}")["export_status"] == "none"

    # The gate: a normal change to checkout is blocked by the overdue P0 item...
    api.call("POST", "/guardrails", 201, json={"service": "checkout", "source": GUARDRAILS})
    blocked = api.gate(commit="c0ffee1", title="unrelated feature")
    assert blocked["decision"] == "blocked"
    assert item["id"] in blocked["reasons"][0] and "fixes=" in blocked["reasons"][0]
    factor = next(f for f in blocked["risk_factors"] if f["name"] == "overdue_actions")
    assert factor["points"] == 10 and item["id"] in factor["detail"]

    # ...and the change that says it fixes the item goes ahead.
    fixing = api.gate(commit="f1x0001", title="pool from load tests", facts={"fixes": item["id"]})
    assert fixing["decision"] == "approved", fixing["reasons"]
    step = next(s for s in fixing["trace"] if s["step"] == "open_action_items")
    assert step["status"] == "pass" and item["id"] in step["messages"][0]

    # Done: the item no longer blocks; the problem is resolved by the fixing change.
    api.call("PATCH", f"/action-items/{item['id']}", json={"status": "done"})
    assert api.gate(commit="c0ffee2", title="next feature")["decision"] == "approved"
    api.call("POST", f"/problems/{problem['id']}/links", json={"ref": fixing["id"]})
    resolved = api.call(
        "POST", f"/problems/{problem['id']}/transition", json={"status": "resolved"}
    )
    assert resolved["status"] == "resolved"
    assert ("change", fixing["id"]) in {(x["kind"], x["ref_id"]) for x in resolved["links"]}

    # Published, and exported as Markdown with the action item in its table.
    api.call("POST", f"/postmortems/{draft['id']}/publish")
    markdown = api.call("GET", f"/postmortems/{draft['id']}/postmortem.md")
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert f"| {item['id']} | P0 | alice |" in markdown.text and "| done |" in markdown.text


def test_a_p1_item_or_one_not_yet_due_does_not_block(api: Any):
    api.call("POST", "/guardrails", 201, json={"service": "checkout", "source": GUARDRAILS})
    for priority, due in (("P1", -3), ("P0", 3)):
        body = {"title": f"{priority} item", "priority": priority, "due_at": days(due)}
        api.call("POST", "/action-items", 201, json={**body, "service": "checkout"})
    change = api.gate(commit="abc0001")
    assert change["decision"] == "approved", change["reasons"]
    factor = next(f for f in change["risk_factors"] if f["name"] == "overdue_actions")
    assert factor["points"] == 10  # the overdue P1 still counts for risk


def test_the_gate_reads_action_items_once_and_only_when_asked(api: Any, db: Database) -> None:
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "FROM action_items" in statement:
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        api.call("POST", "/guardrails", 201, json={"service": "checkout", "source": GUARDRAILS})
        api.gate(commit="abc0001")
        assert len(statements) == 1  # the risk factor and the step share one query
        assert "action_items.service_id =" in statements[0]
        statements.clear()
        quiet = (
            "risk:\n  overdue_action_points: 0\n"
            "steps:\n  - step: tests_passed\n    required: false\n"
        )
        api.call("POST", "/guardrails", 201, json={"service": "checkout", "source": quiet})
        change = api.gate(commit="abc0002")
        assert statements == []  # neither the step nor the factor: no query at all
        assert {f["name"]: f["points"] for f in change["risk_factors"]}["overdue_actions"] == 0
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


SCENARIOS = """\
scenarios:
  - name: an overdue P0 item blocks a normal change
    context: {action_items: [{id: act_1, priority: P0, overdue: true, title: pool}]}
    expect: {decision: blocked, reasons: ["act_1 (P0) 'pool'"]}
  - name: the change that fixes it goes ahead
    facts: {fixes: act_1}
    context: {action_items: [{id: act_1, priority: P0, overdue: true}]}
    expect: {decision: approved}
  - name: an emergency change is not held by it
    change: {type: emergency}
    context: {action_items: [{id: act_1, priority: P0, overdue: true}]}
    expect: {decision: approved}
"""


def test_policy_test_scenarios_describe_action_items(cli: Any, tmp_path: Any) -> None:
    (tmp_path / "guardrails.yaml").write_text(GUARDRAILS)
    (tmp_path / "scenarios.yaml").write_text(SCENARIOS)
    result = cli("policy", "test", str(tmp_path), "-v")
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("3 passed, 0 failed")
    bad = GUARDRAILS.replace("priority: P0", "priority: P7")
    (tmp_path / "guardrails.yaml").write_text(bad)
    refused = cli("policy", "validate", str(tmp_path / "guardrails.yaml"))
    assert refused.exit_code != 0 and "expected one of P0, P1, P2, P3, found 'P7'" in (
        refused.output
    )
