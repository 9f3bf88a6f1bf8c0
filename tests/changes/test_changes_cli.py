"""`guardrail gate` and friends against a live server: exit codes, --json, --wait, policy test."""

from __future__ import annotations

import json
import threading
import time

from changes_fixtures import BIG_DIFF, JUNIT_PASS, SARIF_ERROR, SMALL_DIFF


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def _env(url, token):
    return {"GUARDRAIL_URL": url, "GUARDRAIL_TOKEN": token}


def test_gate_exit_codes(cli, live_server, org, tmp_path):
    env = _env(live_server, org.tokens["ci"])
    sarif = _write(tmp_path, "scan.sarif", SARIF_ERROR)
    junit = _write(tmp_path, "junit.xml", JUNIT_PASS)
    small = _write(tmp_path, "small.numstat", SMALL_DIFF)
    big = _write(tmp_path, "big.numstat", BIG_DIFF)
    common = ["gate", "--service", "catalog", "--env", "production"]

    blocked = cli(*common, "--commit", "c1", "--evidence", sarif, "--evidence", junit, env=env)
    assert blocked.exit_code == 1, blocked.output
    assert "BLOCKED" in blocked.output and "eval-detected" in blocked.output

    ok = cli(*common, "--commit", "c2", "--evidence", junit, "--evidence", small, "--json", env=env)
    assert ok.exit_code == 0, ok.output
    decision = json.loads(ok.output)
    assert decision["state"] == "approved" and decision["proceed"] and decision["final"]

    pending = cli(
        "gate",
        "--service",
        "checkout-api",
        "--env",
        "production",
        "--commit",
        "c3",
        "--evidence",
        big,
        env=env,
    )
    assert pending.exit_code == 3 and "who can approve: alice, bob, carol" in pending.output

    unknown = cli("gate", "--service", "nope", "--env", "production", "--commit", "c4", env=env)
    assert unknown.exit_code == 2 and "no service 'nope'" in unknown.output
    missing = cli("gate", "--env", "production", env=env)
    assert missing.exit_code == 2
    broken = cli(
        *common,
        "--commit",
        "c5",
        "--evidence",
        _write(tmp_path, "bad.sarif", '{"version": "2.1.0"}'),
        env=env,
    )
    assert broken.exit_code == 2 and "bad.sarif" in broken.output
    gone = cli(*common, "--commit", "c6", env=_env("http://127.0.0.1:9", org.tokens["ci"]))
    assert gone.exit_code == 4


def test_gate_wait_exits_0_when_someone_else_approves(cli, live_server, org, tmp_path, client):
    env = _env(live_server, org.tokens["alice"])
    big = _write(tmp_path, "big.numstat", BIG_DIFF)

    def approve_when_waiting():
        for _ in range(100):
            rows = client.get(
                "/api/v1/changes", params={"state": "pending_approval"}, headers=org.headers("bob")
            ).json()["items"]
            if rows:
                mine = client.post(
                    f"/api/v1/changes/{rows[0]['id']}/approve",
                    json={},
                    headers=org.headers("alice"),
                )
                assert mine.status_code == 403  # the requester may not approve
                client.post(
                    f"/api/v1/changes/{rows[0]['id']}/approve",
                    json={"comment": "ok"},
                    headers=org.headers("bob"),
                )
                return
            time.sleep(0.1)

    helper = threading.Thread(target=approve_when_waiting)
    helper.start()
    result = cli(
        "gate",
        "--service",
        "checkout-api",
        "--env",
        "production",
        "--commit",
        "w1",
        "--evidence",
        big,
        "--wait",
        "--timeout",
        "2m",
        "--json",
        env=env,
    )
    helper.join()
    assert result.exit_code == 0, result.output
    decision = json.loads(result.output[result.output.index("{") :])
    assert decision["state"] == "approved" and decision["reasons"] == ["approved by bob"]


def test_change_commands(cli, live_server, org, tmp_path):
    env = _env(live_server, org.tokens["ci"])
    big = _write(tmp_path, "big.numstat", BIG_DIFF)
    gate = cli(
        "gate",
        "--service",
        "checkout-api",
        "--env",
        "production",
        "--commit",
        "x1",
        "--evidence",
        big,
        "--json",
        env=env,
    )
    change_id = json.loads(gate.output)["id"]
    own = cli("change", "approve", change_id, env=_env(live_server, org.tokens["dave"]))
    assert own.exit_code == 2 and "approver role" in own.output
    approved = cli(
        "change",
        "approve",
        change_id,
        "--comment",
        "fine",
        env=_env(live_server, org.tokens["bob"]),
    )
    assert approved.exit_code == 0 and "APPROVED" in approved.output
    added = cli("change", "evidence", change_id, "coverage=88", env=env)
    assert added.exit_code == 0
    done = cli("change", "complete", change_id, "--status", "success", env=env)
    assert done.exit_code == 0 and "COMPLETED" in done.output
    listed = cli("change", "list", "--json", env=env)
    assert json.loads(listed.output)["items"][0]["state"] == "completed"


def test_policy_commands(cli, live_server, org, tmp_path):
    env = _env(live_server, org.tokens["dave"])
    bad = _write(tmp_path, "bad.yaml", "- step: static_security_scan\n  on_fail: explode\n")
    result = cli("policy", "apply", "--service", "catalog", bad, env=env)
    assert result.exit_code == 2
    assert f"{bad}:2:12: unknown outcome 'explode'" in result.output
    assert cli("policy", "validate", bad).exit_code == 2
    good = _write(tmp_path, "guardrails.yaml", "- step: tests_passed\n  on_pass: auto_approve\n")
    applied = cli("policy", "apply", "--service", "catalog", good, env=env)
    assert applied.exit_code == 0 and "version 1" in applied.output
    shown = cli("policy", "show", "--service", "catalog", env=env)
    assert "tests_passed" in shown.output


def test_freeze_then_emergency(cli, live_server, org, tmp_path):
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    env = _env(live_server, org.tokens["bob"])
    created = cli(
        "freeze",
        "create",
        "--name",
        "Black Friday",
        "--start",
        (now - timedelta(hours=1)).isoformat(),
        "--end",
        (now + timedelta(hours=2)).isoformat(),
        "--env",
        "production",
        "--reason",
        "peak trading",
        env=env,
    )
    assert created.exit_code == 0, created.output
    junit = _write(tmp_path, "junit.xml", JUNIT_PASS)
    small = _write(tmp_path, "small.numstat", SMALL_DIFF)
    ci = _env(live_server, org.tokens["ci"])
    args = [
        "gate",
        "--service",
        "catalog",
        "--env",
        "production",
        "--evidence",
        junit,
        "--evidence",
        small,
    ]
    frozen = cli(*args, "--commit", "f1", env=ci)
    assert frozen.exit_code == 1 and "freeze window 'Black Friday' (peak trading)" in frozen.output
    emergency = cli(*args, "--commit", "f2", "--type", "emergency", env=ci)
    assert emergency.exit_code == 0, emergency.output
    assert "retrospective review" in emergency.output
    listed = cli("change", "list", "--needs-review", "--json", env=ci)
    assert [c["type"] for c in json.loads(listed.output)["items"]] == ["emergency"]
