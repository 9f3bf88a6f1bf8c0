"""What goes wrong in the demo's history: incidents caused by deployments (paged, escalated,
acknowledged, rolled back or fixed forward by an emergency change) and incidents nothing
changed caused, and the SLO event counts that show them."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from guardrail.changes import lifecycle
from guardrail.changes import service as changes
from guardrail.changes.enums import ChangeState, ChangeType, CompletionStatus
from guardrail.changes.schemas import GateRequest
from guardrail.demo.org import ENGINEERS, EXHAUSTED, PROFILES, Profile
from guardrail.demo.story import (
    HOUR,
    MINUTE,
    REQUESTS_PER_HOUR,
    Story,
    evidence_files,
    next_version,
    pipeline,
    record,
    sha_of,
)
from guardrail.incidents import causes
from guardrail.incidents import service as incidents
from guardrail.incidents.enums import Severity
from guardrail.incidents.schemas import IncidentCreate
from guardrail.kit.context import Actor
from guardrail.oncall import service as oncall
from guardrail.releases import ingest
from guardrail.releases.facts import CommitFact, PushFact
from guardrail.slo import service as slo_service
from guardrail.slo.schemas import EventIn, EventsIn

# --- incidents ---


def _severity(story: Story, p: Profile) -> str:
    weights = {1: (0.15, 0.45, 0.3, 0.1), 2: (0.05, 0.35, 0.45, 0.15), 3: (0.0, 0.2, 0.5, 0.3)}
    return story.rng.choices(("SEV1", "SEV2", "SEV3", "SEV4"), weights[min(p.tier, 3)])[0]


def open_incident(
    story: Story, p: Profile, title: str, severity: str, started: datetime
) -> tuple[Any, Actor]:
    oncall_engineer = story.rng.choice(ENGINEERS[p.team])
    incident = incidents.create_incident(
        story.session,
        Actor.system("alertmanager"),
        IncidentCreate(
            title=title,
            severity=Severity(severity),
            service=p.name,
            commander=oncall_engineer,
            started_at=started,
        ),
    )
    story.count("incident")
    return incident, story.person(oncall_engineer, "engineer")


def _page(story: Story, incident: Any, ack_after: timedelta) -> None:
    """The escalation pages its first level now, and the second if nobody answers in 5 min."""
    run_id = incident.escalation_run_id
    if not run_id or incident.severity not in ("SEV1", "SEV2"):
        return
    oncall.escalate(story.session, run_id, 1, 0, story.clock.now)
    if ack_after > 5 * MINUTE:
        story.count("escalation")
        later = story.clock.now + 5 * MINUTE
        story.at(later, lambda: oncall.escalate(story.session, run_id, 2, 0, later))


def change_incident(
    story: Story,
    p: Profile,
    dep_id: str,
    previous: tuple[str, str, str] | None,
    version: str,
) -> None:
    """A deployment hurts: alert, incident, page, acknowledgement, then rollback or hotfix."""
    started = story.clock.now
    detect = timedelta(minutes=story.rng.uniform(1, 12))
    story.at(
        started + detect,
        lambda: _respond(story, p, dep_id, previous, version, started),
    )


def _respond(
    story: Story,
    p: Profile,
    dep_id: str,
    previous: tuple[str, str, str] | None,
    version: str,
    started: datetime,
) -> None:
    severity = _severity(story, p)
    title = f"{p.name}: error rate above SLO after {version}"
    incident, responder = open_incident(story, p, title, severity, started)
    ack = timedelta(minutes=story.rng.lognormvariate(1.6, 0.8))
    _page(story, incident, ack)
    story.at(story.clock.now + ack, lambda: _ack(story, incident.id, responder))
    fix_at = story.clock.now + ack + timedelta(minutes=story.rng.uniform(8, 50))
    if previous is not None and story.rng.random() < 0.65:
        story.at(fix_at, lambda: rollback(story, p, incident.id, dep_id, previous, responder))
    else:
        story.at(fix_at, lambda: hotfix(story, p, incident.id, dep_id, responder))
    story.outages.append(
        (p.name, started, fix_at + 10 * MINUTE, 0.04 if severity < "SEV3" else 0.01)
    )


def _ack(story: Story, incident_id: str, responder: Actor) -> None:
    incidents.acknowledge(story.session, responder, incident_id, by=responder.name[6:], quiet=True)


def rollback(
    story: Story,
    p: Profile,
    incident_id: str,
    dep_id: str,
    previous: tuple[str, str, str],
    responder: Actor,
) -> None:
    """Roll back to the version that ran before, and name the deployment as the cause."""
    now = story.clock.now
    causes.mark_cause(story.session, responder, incident_id, dep_id, note="errors started with it")
    _, prev_sha, prev_version = previous
    record(
        story,
        p.name,
        "production",
        prev_version,
        prev_sha,
        now,
        now + 4 * MINUTE,
        rollback_of=dep_id,
    )
    story.live[p.name] = previous
    story.count("rollback")
    story.at(now + 12 * MINUTE, lambda: _resolve(story, incident_id, responder, "rolled back"))


def hotfix(story: Story, p: Profile, incident_id: str, dep_id: str, responder: Actor) -> None:
    """Fix forward: an emergency change with one commit, deployed as rework for the incident."""
    now = story.clock.now
    causes.mark_cause(story.session, responder, incident_id, dep_id, note="fixed forward")
    parent = story.heads.get(p.name)
    sha = sha_of(p.name, "hotfix", now.isoformat())
    fact = CommitFact(
        sha=sha,
        repository=f"{p.team}/{p.name}",
        message=f"{p.name}: hotfix for {incident_id}",
        author_name=responder.name[6:],
        author_email=f"{responder.name[6:]}@example.com",
        authored_at=now - 5 * MINUTE,
        committed_at=now - 5 * MINUTE,
        branch="main",
    )
    ingest.apply(
        story.session, pipeline(p.name), PushFact(f"{p.team}/{p.name}", "main", parent, sha, [fact])
    )
    story.heads[p.name] = sha
    version = next_version(story, p.name) + "-hotfix"
    change, _ = changes.gate(
        story.session,
        pipeline(p.name),
        GateRequest(
            service=p.name,
            environment="production",
            commit=sha,
            version=version,
            type=ChangeType.emergency,
            title=f"hotfix for {incident_id}",
            authors=[fact.author_email],
            links={"ticket": incident_id},
            evidence=evidence_files(story, p)[:1],
        ),
        now=now,
    )
    story.count(f"change.{change.state}")
    if change.state != ChangeState.approved:
        story.at(
            now + 20 * MINUTE, lambda: _resolve(story, incident_id, responder, "mitigated by hand")
        )
        return
    lifecycle.start(story.session, pipeline(p.name), change.id, now=now + MINUTE)
    dep = record(
        story,
        p.name,
        "production",
        version,
        sha,
        now + MINUTE,
        now + 8 * MINUTE,
        change_id=change.id,
        hotfix_for=incident_id,
    )
    story.live[p.name] = (dep, sha, version)
    lifecycle.complete(
        story.session, pipeline(p.name), change.id, CompletionStatus.success, now=now + 9 * MINUTE
    )
    story.count("hotfix")
    story.at(now + 15 * MINUTE, lambda: _resolve(story, incident_id, responder, "hotfix deployed"))


def _resolve(story: Story, incident_id: str, responder: Actor, note: str) -> None:
    incidents.resolve(story.session, responder, incident_id, by=responder.name[6:], note=note)
    if story.clock.now < story.end - timedelta(days=3):
        later = story.clock.now + timedelta(days=story.rng.uniform(1, 3))
        story.at(later, lambda: incidents.close(story.session, responder, incident_id, "reviewed"))


def background_incident(story: Story, p: Profile) -> None:
    """An incident no change caused: it is acknowledged, mitigated and resolved."""
    started = story.clock.now
    detect = timedelta(minutes=story.rng.uniform(2, 20))
    story.at(started + detect, lambda: _background(story, p, started))


def _background(story: Story, p: Profile, started: datetime) -> None:
    severity = story.rng.choice(("SEV2", "SEV3", "SEV3", "SEV4"))
    title = story.rng.choice(_BACKGROUND).format(p.name)
    incident, responder = open_incident(story, p, title, severity, started)
    ack = timedelta(minutes=story.rng.lognormvariate(1.8, 0.9))
    _page(story, incident, ack)
    story.at(story.clock.now + ack, lambda: _ack(story, incident.id, responder))
    fixed = story.clock.now + ack + timedelta(minutes=story.rng.uniform(20, 240))
    story.at(fixed, lambda: _resolve(story, incident.id, responder, "provider recovered"))
    story.outages.append((p.name, started, fixed, 0.01))


_BACKGROUND = (
    "{}: upstream provider timeouts",
    "{}: disk pressure on a node",
    "{}: certificate about to expire",
    "{}: elevated latency in one zone",
)


# --- SLO events ---


def push_slo_events(story: Story, only_outages: bool = False) -> None:
    """Hourly good/total counts per service; outages and the exhausted budget raise errors."""
    start = (story.end - timedelta(days=story.days)).replace(minute=0, second=0, microsecond=0)
    hours = int((story.end - start) / HOUR)
    for p in PROFILES:
        spans = [(a, b, r) for s, a, b, r in story.outages if s == p.name]
        if only_outages and not spans:
            continue
        events = []
        for h in range(hours):
            at = start + h * HOUR
            ratio = _ratio(story, p, at, spans)
            if only_outages and ratio == _ratio(story, p, at, []):
                continue
            total = int(REQUESTS_PER_HOUR * (0.5 + 0.5 * (7 <= at.hour <= 20)))
            bad = min(total, round(total * ratio))
            events.append(EventIn(start=at, interval_seconds=3600, good=total - bad, total=total))
        if events:
            slo_service.push_events(
                story.session,
                Actor.system("demo"),
                f"{p.name}-availability",
                EventsIn(events=events),
            )


def _ratio(
    story: Story, p: Profile, at: datetime, spans: list[tuple[datetime, datetime, float]]
) -> float:
    # A deterministic wobble per hour, so re-pushing an hour gives the same counts.
    wobble = 0.6 + 0.8 * random.Random(f"{p.name}:{at.isoformat()}").random()
    ratio = p.error_ratio * wobble
    if p.name == EXHAUSTED and at > story.end - timedelta(days=20):
        ratio = 0.012 * wobble
    for a, b, extra in spans:
        if a - HOUR < at <= b:
            ratio += extra
    return ratio
