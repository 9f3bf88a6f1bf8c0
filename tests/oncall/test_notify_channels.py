"""Notifications out: Slack pages acknowledged through signed interactions, email over real SMTP."""

from __future__ import annotations

import json
import mailbox
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
from oncall_helpers import Receiver, apply, escalation_file, make_people, start, work

from guardrail.integrations.outbound.slack import incident_actions, signature
from guardrail.oncall import repository
from guardrail.oncall import service as oncall

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "slack"
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


@pytest.fixture
def receivers(db):
    slack, hook = Receiver(), Receiver()
    make_people(db)
    apply(db, escalation_file(slack.url("/slack"), hook.url("/bob")))
    yield slack, hook
    slack.close()
    hook.close()


@pytest.fixture
def without_incidents(monkeypatch):
    """Dispatch as if the incidents practice were not installed (the fallback path)."""
    monkeypatch.setattr(incident_actions, "incidents_service", lambda: None)


def _press(block: dict, user: str = "U00FAKEUSER1") -> bytes:
    """A block_actions payload (Slack's recorded shape) pressing ``block``'s first button."""
    if CORPUS.is_dir():
        payload = json.loads(
            (CORPUS / "block_actions.replay-fixture.vercel-chat.json").read_text()
        )["action"]
    else:  # the corpus lives beside the repository; the shape below is the same payload, cut down
        payload = {
            "type": "block_actions",
            "user": {"id": user, "username": "testuser"},
            "actions": [{"type": "button", "block_id": "x"}],
        }
    payload["user"]["id"] = user
    button = block["elements"][0]
    payload["actions"][0].update(action_id=button["action_id"], value=button["value"])
    return urlencode({"payload": json.dumps(payload)}).encode()


def _post(client, body: bytes, *, timestamp: int | None = None):
    ts = str(timestamp or int(time.time()))
    headers = {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature.sign(SECRET, ts, body),
        "Content-Type": "application/x-www-form-urlencoded",
    }
    return client.post("/hooks/slack", content=body, headers=headers)


def test_slack_acknowledge_button_stops_escalation(
    client, db, settings, receivers, monkeypatch, without_incidents
):
    slack, hook = receivers
    monkeypatch.setenv("GUARDRAIL_SLACK_SIGNING_SECRET", SECRET)
    start(db)
    work(db, settings)
    page = slack.requests[0]["json"]
    buttons = next(b for b in page["blocks"] if b["type"] == "actions")
    body = _press(buttons)
    # A stale request (ten minutes old) and a wrong signature are refused before anything is read.
    assert _post(client, body, timestamp=int(time.time()) - 600).status_code == 401
    bad = client.post(
        "/hooks/slack",
        content=body,
        headers={
            "X-Slack-Request-Timestamp": str(int(time.time())),
            "X-Slack-Signature": "v0=00",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    assert bad.status_code == 401
    response = _post(client, body)
    assert response.status_code == 200
    # The Slack user is linked to alice, so the press is hers, whatever Slack calls her.
    assert response.json()["text"] == "alice acknowledged incident inc_test1."
    work(db, settings, ahead=timedelta(hours=1))
    assert hook.requests == []  # level 2 never paged
    with db.reader() as session:
        run = repository.run_for_incident(session, "inc_test1")
        assert run is not None and run.status == "acknowledged"
        assert "slack:alice" in run.stop_reason
        alice = next(p for p in _people(session) if p.handle == "alice")
        linked = oncall.person_for_slack_user(session, "U00FAKEUSER1")
        assert linked is not None and linked.id == alice.id


def _people(session):
    from guardrail.identity import service as identity_service

    return identity_service.list_people(session)


def test_slack_buttons_call_the_incidents_practice(client, db, receivers, monkeypatch):
    calls = []

    class FakeIncidents:
        @staticmethod
        def acknowledge(session, actor, incident_id, *, via, by):
            calls.append(("acknowledge", incident_id, via, by, actor.name, actor.person_id))

        @staticmethod
        def resolve(session, actor, incident_id, *, via, by):
            calls.append(("resolve", incident_id, via, by, actor.name, actor.person_id))

    monkeypatch.setattr(incident_actions, "incidents_service", lambda: FakeIncidents)
    monkeypatch.setenv("GUARDRAIL_SLACK_SIGNING_SECRET", SECRET)
    # By default a Slack user who is nobody in guardrail is told so, and nothing happens.
    refused = _post(
        client,
        _press(
            {"elements": [{"action_id": "incident.acknowledge", "value": "inc_9"}]},
            user="U_NOT_LINKED",
        ),
    )
    assert refused.status_code == 200 and refused.json()["response_type"] == "ephemeral"
    assert "U_NOT_LINKED is not linked to a guardrail person" in refused.json()["text"]
    assert calls == []
    # A linked user's press is recorded as the person.
    alice_press = {"elements": [{"action_id": "incident.acknowledge", "value": "inc_8"}]}
    assert _post(client, _press(alice_press)).json()["text"] == "alice acknowledged incident inc_8."
    with db.reader() as session:
        alice = next(p for p in _people(session) if p.handle == "alice")
    assert calls.pop() == ("acknowledge", "inc_8", "slack", "slack:alice", "slack:alice", alice.id)
    # A team that lets anyone in the channel press the buttons says so.
    monkeypatch.setenv("GUARDRAIL_SLACK_LINKED_USERS_ONLY", "false")
    for action in ("incident.resolve", "incident.acknowledge"):
        block = {"elements": [{"action_id": action, "value": "inc_9"}]}
        assert _post(client, _press(block, user="U_NOT_LINKED")).status_code == 200
    # Unlinked presses name the Slack user id, so a Slack name cannot pass for a person's handle.
    unlinked = "slack:testuser (unlinked U_NOT_LINKED)"
    assert calls == [
        ("resolve", "inc_9", "slack", unlinked, unlinked, None),
        ("acknowledge", "inc_9", "slack", unlinked, unlinked, None),
    ]


def test_other_buttons_are_left_to_the_change_practice(client, monkeypatch):
    monkeypatch.setenv("GUARDRAIL_SLACK_SIGNING_SECRET", SECRET)
    block = {"elements": [{"action_id": "info", "value": "x"}]}
    assert incident_actions.parse(_press(block)) is None
    assert _post(client, _press(block)).json().get("ignored")


@pytest.fixture
def smtp_server(tmp_path):
    """aiosmtpd as a separate process, storing what it receives in a Maildir."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    maildir = tmp_path / "maildir"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            f"127.0.0.1:{port}",
            "-c",
            "aiosmtpd.handlers.Mailbox",
            str(maildir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 15
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail(
                    f"aiosmtpd did not start: {process.stderr.read() if process.stderr else ''}"
                )
            time.sleep(0.05)
    yield port, maildir
    process.terminate()
    process.wait(10)


def test_email_page_over_a_real_smtp_server(db, settings, receivers, smtp_server, monkeypatch):
    port, maildir = smtp_server
    monkeypatch.setenv("GUARDRAIL_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("GUARDRAIL_SMTP_PORT", str(port))
    monkeypatch.setenv("GUARDRAIL_SMTP_SENDER", "oncall@guardrail.test")
    start(db)
    work(db, settings)
    messages = list(mailbox.Maildir(str(maildir)))
    assert len(messages) == 1
    message = messages[0]
    assert message["To"] == "alice@example.com"
    assert message["From"] == "oncall@guardrail.test"
    assert message["Subject"] == "[SEV2] Checkout errors (inc_test1)"
    text = message.get_payload(decode=True).decode()
    assert "https://runbooks.example.com/checkout" in text and "checkout v2.3.1" in text
    with db.reader() as session:
        row = next(d for d in oncall.list_deliveries(session) if d.channel == "email")
    assert (row.status, row.attempts, row.response_code, row.target) == (
        "sent",
        1,
        250,
        "person:alice",
    )
    assert message["X-Guardrail-Delivery"] == row.id


def test_email_refused_by_the_server_is_logged(db, settings, receivers, smtp_server, monkeypatch):
    port, _ = smtp_server
    monkeypatch.setenv("GUARDRAIL_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("GUARDRAIL_SMTP_PORT", str(port + 1 if port < 65535 else port - 1))
    start(db)
    work(db, settings)
    with db.reader() as session:
        row = next(d for d in oncall.list_deliveries(session) if d.channel == "email")
    assert row.status == "retrying" and row.attempts == 1
    assert "ConnectionRefused" in (row.last_error or "")
