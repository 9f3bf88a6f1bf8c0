"""Slack: the v0 signature (Slack's worked example), stale requests, approve buttons."""

from __future__ import annotations

import json
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
from changes_fixtures import BIG_DIFF, files

from guardrail.integrations.outbound.slack import messages, signature

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "slack"
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


def test_signature_matches_slacks_worked_example():
    vector = json.loads((CORPUS / "signature-test-vector.json").read_text())
    body = vector["body"].encode()
    assert (
        signature.sign(vector["signing_secret"], vector["timestamp"], body)
        == vector["expected_signature"]
    )
    signature.verify(
        vector["signing_secret"],
        vector["timestamp"],
        vector["expected_signature"],
        body,
        now=int(vector["timestamp"]) + 10,
    )
    with pytest.raises(signature.BadSignature, match="older than five minutes"):
        signature.verify(
            vector["signing_secret"], vector["timestamp"], vector["expected_signature"], body
        )
    with pytest.raises(signature.BadSignature, match="does not match"):
        signature.verify(
            vector["signing_secret"],
            vector["timestamp"],
            vector["expected_signature"],
            body + b"x",
            now=int(vector["timestamp"]),
        )


def _press(change_id: str, user: str, action: str = messages.APPROVE) -> bytes:
    sample = json.loads((CORPUS / "block_actions.replay-fixture.vercel-chat.json").read_text())
    payload = sample["action"]
    payload["user"]["id"] = user
    payload["actions"][0].update(action_id=action, value=change_id)
    return urlencode({"payload": json.dumps(payload)}).encode()


def _post(client, body: bytes, *, timestamp: int | None = None, secret: str = SECRET):
    ts = str(timestamp or int(time.time()))
    headers = {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature.sign(secret, ts, body),
        "Content-Type": "application/x-www-form-urlencoded",
    }
    return client.post("/hooks/slack", content=body, headers=headers)


def test_approve_button_from_a_linked_approver(client, org, monkeypatch):
    monkeypatch.setenv("GUARDRAIL_SLACK_SIGNING_SECRET", SECRET)
    change = client.post(
        "/api/v1/changes",
        json={
            "service": "checkout-api",
            "environment": "production",
            "commit": "s1",
            "evidence": files(("d", BIG_DIFF)),
        },
        headers=org.headers("ci"),
    ).json()
    assert change["state"] == "pending_approval"
    unlinked = _post(client, _press(change["id"], "U0BOB"))
    assert unlinked.status_code == 200 and "not linked" in unlinked.json()["text"]
    link = client.post(
        "/api/v1/changes/chat-identities",
        json={"external_id": "U0BOB", "person": "bob"},
        headers=org.headers("admin"),
    )
    assert link.status_code == 200
    stale = _post(client, _press(change["id"], "U0BOB"), timestamp=int(time.time()) - 600)
    assert stale.status_code == 401
    forged = _post(client, _press(change["id"], "U0BOB"), secret="not-the-secret")
    assert forged.status_code == 401
    done = _post(client, _press(change["id"], "U0BOB"))
    assert done.status_code == 200 and "bob approved" in done.json()["text"]
    after = client.get(f"/api/v1/changes/{change['id']}", headers=org.headers("ci")).json()
    assert after["state"] == "approved" and after["approvals"][0]["via"] == "slack"


def test_pending_message_has_buttons_and_evidence(client, org):
    from guardrail.changes.schemas import ChangeOut

    change = client.post(
        "/api/v1/changes",
        json={
            "service": "checkout-api",
            "environment": "production",
            "commit": "s2",
            "evidence": files(("d", BIG_DIFF)),
        },
        headers=org.headers("ci"),
    ).json()
    message = messages.pending_change(ChangeOut.model_validate(change))
    actions = message["blocks"][-1]["elements"]
    assert [a["action_id"] for a in actions] == [messages.APPROVE, messages.REJECT]
    assert all(a["value"] == change["id"] for a in actions)
    assert "diff 3 files" in message["blocks"][2]["text"]["text"]
