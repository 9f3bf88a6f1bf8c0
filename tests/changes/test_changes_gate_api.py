"""The gate over HTTP with the DESIGN.md guardrails (built in until a file is applied)."""

from __future__ import annotations

import threading

from changes_fixtures import (
    BIG_DIFF,
    JUNIT_FAIL,
    JUNIT_PASS,
    SARIF_ERROR,
    SMALL_DIFF,
    files,
    gate_body,
)


def _gate(client, org, who="ci", **body):
    return client.post("/api/v1/changes", json=gate_body(**body), headers=org.headers(who))


def test_sarif_error_blocks_and_names_the_finding(client, org):
    response = _gate(
        client, org, evidence=files(("scan.sarif", SARIF_ERROR), ("j.xml", JUNIT_PASS))
    )
    assert response.status_code == 201, response.text
    change = response.json()
    assert change["state"] == "blocked" and change["proceed"] is False
    assert "python.lang.security.audit.eval-detected" in change["reasons"][0]
    assert "app/views.py:42" in change["reasons"][0]
    assert change["policy"]["scope"] == "builtin"


def test_low_risk_with_passing_tests_is_auto_approved_in_one_call(client, org):
    change = _gate(client, org, evidence=files(("j.xml", JUNIT_PASS), ("d.txt", SMALL_DIFF))).json()
    assert change["state"] == "approved" and change["proceed"] is True
    assert change["risk_level"] == "low"
    assert change["reasons"][0].startswith("auto-approved by compliance_check")
    names = {f["name"] for f in change["risk_factors"]}
    assert {"service_tier", "blast_radius", "change_size", "sensitive_paths", "timing"} <= names


def test_failing_tests_block_a_low_risk_change(client, org):
    change = _gate(client, org, evidence=files(("j.xml", JUNIT_FAIL), ("d.txt", SMALL_DIFF))).json()
    assert change["state"] == "blocked"
    assert "t.api.test_refund" in change["reasons"][0]


def test_high_risk_waits_then_someone_else_approves(client, org):
    body = dict(
        service="checkout-api",
        authors=["alice@example.com"],
        evidence=files(("j.xml", JUNIT_PASS), ("d.txt", BIG_DIFF)),
    )
    change = _gate(client, org, who="dave", **body).json()
    assert change["state"] == "pending_approval" and change["risk_level"] in ("high", "critical")
    # dave requested, alice wrote the commits: neither may approve; bob and carol may.
    assert change["can_approve"] == ["bob", "carol"]
    url = f"/api/v1/changes/{change['id']}"
    own = client.post(f"{url}/approve", json={}, headers=org.headers("alice"))
    assert own.status_code == 403 and "authored" in own.json()["detail"]
    ok = client.post(f"{url}/approve", json={"comment": "ok"}, headers=org.headers("bob"))
    assert ok.status_code == 200 and ok.json()["state"] == "approved"
    assert ok.json()["reasons"] == ["approved by bob"]
    decision = client.get(f"{url}/decision", headers=org.headers("ci")).json()
    assert decision["proceed"] and decision["final"]


def test_requester_cannot_approve_own_change(client, org):
    body = dict(service="checkout-api", evidence=files(("d.txt", BIG_DIFF)))
    change = _gate(client, org, who="alice", **body).json()
    refused = client.post(
        f"/api/v1/changes/{change['id']}/approve", json={}, headers=org.headers("alice")
    )
    assert refused.status_code == 403
    assert "alice requested this change" in refused.json()["detail"]


def test_approving_needs_the_approver_role_and_a_person(client, org):
    change = _gate(client, org, service="checkout-api", evidence=files(("d.txt", BIG_DIFF))).json()
    url = f"/api/v1/changes/{change['id']}/approve"
    assert client.post(url, json={}, headers=org.headers("dave")).status_code == 403
    no_person = client.post(url, json={}, headers=org.headers("admin"))
    assert no_person.status_code == 403 and "personal" in no_person.json()["detail"]


def test_rejection_ends_the_change(client, org):
    change = _gate(client, org, service="checkout-api", evidence=files(("d.txt", BIG_DIFF))).json()
    url = f"/api/v1/changes/{change['id']}"
    rejected = client.post(
        f"{url}/reject", json={"comment": "not during sales"}, headers=org.headers("bob")
    ).json()
    assert rejected["state"] == "rejected"
    assert rejected["reasons"] == ["rejected by bob: not during sales"]
    late = client.post(f"{url}/approve", json={}, headers=org.headers("carol"))
    assert late.status_code == 409


def test_idempotency_key_returns_the_same_change(client, org):
    first = _gate(client, org, links={"pipeline_run": "run-1"})
    again = _gate(client, org, links={"pipeline_run": "run-1"})
    other = _gate(client, org, links={"pipeline_run": "run-2"})
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["id"] == again.json()["id"] != other.json()["id"]
    keyed = _gate(client, org, commit="zzz", idempotency_key="deploy-42").json()
    assert _gate(client, org, commit="yyy", idempotency_key="deploy-42").json()["id"] == keyed["id"]


def test_unknown_service_and_bad_evidence_are_input_errors(client, org):
    missing = _gate(client, org, service="nope")
    assert missing.status_code == 404 and "no service 'nope'" in missing.json()["detail"]
    broken = _gate(
        client, org, evidence=files(("scan.sarif", '{"version": "2.1.0", "runs": [{}]}'))
    )
    assert broken.status_code == 422 and "scan.sarif" in broken.json()["detail"]
    assert client.get("/api/v1/changes", headers=org.headers("ci")).json()["total"] == 0


def test_evidence_attached_later_decides_again(client, org):
    change = _gate(client, org, service="checkout-api", evidence=files(("d.txt", BIG_DIFF))).json()
    assert change["state"] == "pending_approval"
    url = f"/api/v1/changes/{change['id']}/evidence"
    scan = {"files": files(("scan.sarif", SARIF_ERROR)), "facts": {"coverage": 81.5}}
    again = client.post(url, json=scan, headers=org.headers("ci")).json()
    assert again["state"] == "blocked" and "eval-detected" in again["reasons"][0]
    kinds = sorted(e["kind"] for e in again["evidence"])
    assert kinds == ["diff", "fact", "sarif"]


def test_missing_tests_fail_compliance_for_a_low_risk_change(client, org):
    change = _gate(client, org, evidence=files(("d.txt", SMALL_DIFF))).json()
    assert change["state"] == "blocked"
    assert "required evidence missing: tests" in change["reasons"][0]


def test_lifecycle_and_audit_trail(client, org, auth):
    change = _gate(client, org, evidence=files(("j.xml", JUNIT_PASS), ("d.txt", SMALL_DIFF))).json()
    url = f"/api/v1/changes/{change['id']}"
    done = client.post(f"{url}/complete", json={"status": "success"}, headers=org.headers("ci"))
    assert done.json()["state"] == "completed"
    events = client.get(
        "/api/v1/audit/events", params={"object_id": change["id"]}, headers=auth
    ).json()
    actions = [e["action"] for e in reversed(events["items"])]
    assert actions == [
        "change.request",
        "change.approved",
        "change.implementing",
        "change.completed",
    ]


def test_recent_failures_raise_risk(client, org):
    lenient = "default: auto_approve\nsteps:\n  - step: tests_passed\n"
    applied = client.post(
        "/api/v1/guardrails",
        json={"service": "catalog", "source": lenient},
        headers=org.headers("dave"),
    )
    assert applied.status_code == 201, applied.text
    for n in range(3):
        c = _gate(client, org, commit=f"c{n}", evidence=files(("j.xml", JUNIT_PASS))).json()
        client.post(
            f"/api/v1/changes/{c['id']}/complete",
            json={"status": "failed"},
            headers=org.headers("ci"),
        )
    change = _gate(client, org, commit="next", evidence=files(("j.xml", JUNIT_PASS))).json()
    factor = next(f for f in change["risk_factors"] if f["name"] == "change_failure_rate")
    assert factor["points"] == 15 and "100% of the last 3" in factor["detail"]


def test_long_poll_returns_when_approved_elsewhere(client, org):
    change = _gate(client, org, service="checkout-api", evidence=files(("d.txt", BIG_DIFF))).json()
    url = f"/api/v1/changes/{change['id']}"
    timer = threading.Timer(
        0.5, lambda: client.post(f"{url}/approve", json={}, headers=org.headers("bob"))
    )
    timer.start()
    decision = client.get(f"{url}/decision", params={"wait": 20}, headers=org.headers("ci")).json()
    timer.join()
    assert decision["state"] == "approved" and decision["proceed"] is True


def test_inbox_shows_only_what_i_may_approve(client, org):
    change = _gate(
        client, org, who="bob", service="checkout-api", evidence=files(("d.txt", BIG_DIFF))
    ).json()
    bob = client.get("/api/v1/changes/inbox", headers=org.headers("bob")).json()
    carol = client.get("/api/v1/changes/inbox", headers=org.headers("carol")).json()
    assert bob == [] and [c["id"] for c in carol] == [change["id"]]
