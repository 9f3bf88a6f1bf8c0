"""Escalation: levels paged on time by durable jobs, stopped by an acknowledgement, never twice."""

from __future__ import annotations

import socket
import threading
from datetime import timedelta

import pytest
from oncall_helpers import ACTOR, Receiver, apply, escalation_file, make_people, start, work

from guardrail.oncall import escalation, repository
from guardrail.oncall import service as oncall
from guardrail.store.engine import make_engine
from guardrail.store.session import Database


@pytest.fixture
def slack():
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture
def hook():
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture
def setup(db, slack, hook):
    make_people(db)
    apply(db, escalation_file(slack.url("/slack"), hook.url("/bob")))


def deliveries(db, incident="inc_test1"):
    with db.reader() as session:
        return oncall.list_deliveries(session, incident_id=incident)


def test_level_one_pages_then_level_two_after_its_delay(db, settings, setup, slack, hook):
    run_id = start(db)
    work(db, settings)
    # Level 1: the Slack channel got the Block Kit page; alice (on the schedule) got an email try.
    assert len(slack.requests) == 1
    message = slack.requests[0]["json"]
    assert "Checkout errors" in message["text"]
    actions = next(b for b in message["blocks"] if b["type"] == "actions")
    assert [(e["action_id"], e["value"]) for e in actions["elements"]] == [
        ("incident.acknowledge", "inc_test1"),
        ("incident.resolve", "inc_test1"),
    ]
    text = "\n".join(b["text"]["text"] for b in message["blocks"] if b["type"] == "section")
    assert "https://runbooks.example.com/checkout" in text
    assert "checkout v2.3.1" in text and "dep_1" in text
    assert hook.requests == []
    # Four minutes on: nothing more. Six minutes on: level 2 pages bob's webhook.
    work(db, settings, ahead=timedelta(minutes=4))
    assert hook.requests == []
    work(db, settings, ahead=timedelta(minutes=6))
    assert len(hook.requests) == 1
    event = hook.requests[0]["json"]
    assert hook.requests[0]["headers"]["Content-Type"].startswith("application/cloudevents+json")
    assert event["specversion"] == "1.0" and event["type"] == "dev.guardrail.incident.page"
    assert event["subject"] == "inc_test1" and event["data"]["level"] == 2
    assert event["data"]["summary"]["runbook_url"] == "https://runbooks.example.com/checkout"
    with db.reader() as session:
        run = repository.run(session, run_id)
        assert run is not None and (run.status, run.level) == ("active", 2)


def test_acknowledgement_stops_escalation(db, settings, setup, slack, hook):
    start(db)
    work(db, settings)
    with db.unit_of_work() as session:
        oncall.stop_escalation(
            session, ACTOR, incident_id="inc_test1", reason="acknowledged by alice"
        )
        oncall.stop_escalation(
            session, ACTOR, incident_id="inc_test1", reason="again"
        )  # idempotent
    work(db, settings, ahead=timedelta(hours=2))
    assert hook.requests == []
    with db.reader() as session:
        run = repository.run_for_incident(session, "inc_test1")
        assert run is not None and (run.status, run.level) == ("acknowledged", 1)
        assert run.stop_reason == "acknowledged by alice"


def test_policy_is_copied_onto_the_run(db, settings, setup, slack, hook):
    start(db)
    apply(db, escalation_file(slack.url("/slack"), hook.url("/bob"), delay="30m"))
    with db.reader() as session:
        run = repository.run_for_incident(session, "inc_test1")
        assert run is not None
        assert run.policy["version"] == 1
        assert [lvl["delay_seconds"] for lvl in run.policy["levels"]] == [300, 300]
        assert [p.version for p in oncall.list_policies(session)] == [2]
    work(db, settings, ahead=timedelta(minutes=6))  # the run keeps its 5-minute snapshot
    assert len(hook.requests) == 1


def test_replayed_start_pages_once(db, settings, setup, slack):
    assert start(db) == start(db)
    work(db, settings)
    assert len(slack.requests) == 1


def test_repeat_runs_the_levels_again(db, settings, slack, hook):
    make_people(db)
    apply(db, escalation_file(slack.url("/slack"), hook.url("/bob"), repeat=1))
    start(db)
    work(db, settings, ahead=timedelta(minutes=21))
    assert len(slack.requests) == 2 and len(hook.requests) == 2
    assert sorted((d.level, d.cycle) for d in deliveries(db) if d.channel == "webhook") == [
        (2, 0),
        (2, 1),
    ]


def test_timers_survive_a_restart(settings, slack, hook, database_url):
    # First lifetime: the incident opens and level 1 pages; then everything is closed.
    first = Database(make_engine(database_url))
    make_people(first)
    apply(first, escalation_file(slack.url("/slack"), hook.url("/bob")))
    start(first)
    work(first, settings)
    first.dispose()
    assert len(slack.requests) == 1 and hook.requests == []
    # Second lifetime, new engine and worker: the level 2 timer is in the database.
    second = Database(make_engine(database_url))
    work(second, settings, ahead=timedelta(minutes=6))
    second.dispose()
    assert len(hook.requests) == 1 and len(slack.requests) == 1


def test_concurrent_steps_never_page_twice(db, settings, setup, slack, hook):
    run_id = start(db)
    errors: list[BaseException] = []
    queued: list[int] = []

    def step() -> None:
        try:
            other = Database(make_engine(settings.database_url))
            with other.unit_of_work() as session:
                queued.append(escalation.escalate(session, run_id, 1, 0, _now()))
            other.dispose()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=step) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(queued)[-1] > 0 and sorted(queued)[:-1] == [0, 0, 0]
    # Two workers drain the queue at once: the level 1 job finds the step done and pages no one.
    workers = [threading.Thread(target=work, args=(db, settings)) for _ in range(2)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    assert len(slack.requests) == 1


def _now():
    from guardrail.kit.time import utcnow

    return utcnow()


def test_retries_with_backoff_then_sent(db, settings, setup, slack):
    slack.codes = [503, 500]
    start(db)
    work(db, settings, ahead=timedelta(minutes=3))
    slack_rows = [d for d in deliveries(db) if d.channel == "slack"]
    assert len(slack_rows) == 1
    row = slack_rows[0]
    assert (row.status, row.attempts, row.response_code, row.last_error) == ("sent", 3, 200, None)
    assert len(slack.requests) == 3


def test_permanent_failure_is_not_retried(db, settings, setup, slack):
    slack.codes = [404]
    start(db)
    work(db, settings, ahead=timedelta(minutes=3))
    row = next(d for d in deliveries(db) if d.channel == "slack")
    assert (row.status, row.attempts, row.response_code) == ("failed", 1, 404)
    assert "HTTP 404" in (row.last_error or "")


def test_unreachable_target_retries_then_fails(db, settings, setup, slack, monkeypatch):
    # alice's identity email, with nothing listening at the SMTP address: every attempt is logged.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    monkeypatch.setenv("GUARDRAIL_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("GUARDRAIL_SMTP_PORT", str(closed_port))
    start(db)
    work(db, settings, ahead=timedelta(hours=1))
    emails = {d.target: d for d in deliveries(db) if d.channel == "email"}
    row = emails["person:alice"]  # and bob's, at level 2
    assert (row.status, row.attempts) == ("failed", 5)
    assert "ConnectionRefused" in (row.last_error or "")


def test_identity_email_is_paged_only_where_email_is_set_up(db, settings, slack, hook, monkeypatch):
    monkeypatch.delenv("GUARDRAIL_SMTP_HOST", raising=False)
    make_people(db)
    apply(db, escalation_file(slack.url("/slack"), hook.url("/bob")))
    start(db)
    work(db, settings)
    # No SMTP server: alice's identity email would never arrive, so it is not tried at all.
    assert [d.channel for d in deliveries(db)] == ["slack"]
    # An email contact named in the on-call file is paged regardless, so the missing server shows.
    contacts = "contacts:\n  - person: alice\n    slack_user: U00FAKEUSER1\n"
    apply(db, contacts + "    email: alice@oncall.example.com\n")
    start(db, "inc_test2")
    work(db, settings)
    row = next(d for d in deliveries(db, "inc_test2") if d.channel == "email")
    assert (row.target, row.status) == ("person:alice", "retrying")
    assert "GUARDRAIL_SMTP_HOST" in (row.last_error or "")


def test_update_goes_to_the_destinations_paged(db, settings, setup, slack, hook):
    start(db)
    work(db, settings)
    with db.unit_of_work() as session:
        oncall.stop_escalation(session, ACTOR, incident_id="inc_test1", reason="resolved")
        for _ in range(2):  # a repeated update is sent once
            oncall.notify_incident_update(
                session, ACTOR, incident_id="inc_test1", event="resolved", summary={"by": "alice"}
            )
    work(db, settings)
    assert len(slack.requests) == 2
    assert "is now resolved" in slack.requests[1]["json"]["text"]
    assert hook.requests == []  # bob was never paged
