"""Ninety days of history, written through the practices' services in time order.

A seeded random generator plans each working day's production deployments per service; a heap
of timed steps then plays them out on the simulated clock: commits pushed, staging deployed, the
change gate (with evidence, risk, freeze and error-budget checks), a person's approval where the
guardrails ask for one, the production deployment, and — for the unlucky ones — a failed
deployment, or an incident with its page, acknowledgement, rollback or hotfix and resolution.
Throughput rises and the change failure rate falls over the period (the trend the scoreboard
shows), except for ``search``, whose error budget runs out in the last weeks.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from guardrail.changes import lifecycle
from guardrail.changes import service as changes
from guardrail.changes.enums import ChangeState, ChangeType, CompletionStatus
from guardrail.changes.schemas import EvidenceFile, GateRequest
from guardrail.demo.clock import Clock
from guardrail.demo.org import ENGINEERS, EXHAUSTED, LEADS, PROFILES, Profile
from guardrail.incidents import causes
from guardrail.incidents import service as incidents
from guardrail.incidents.enums import Severity
from guardrail.incidents.schemas import IncidentCreate
from guardrail.kit.context import Actor
from guardrail.oncall import service as oncall
from guardrail.releases import ingest
from guardrail.releases import service as releases
from guardrail.releases.facts import CommitFact, PushFact
from guardrail.releases.schemas import DeploymentRecord
from guardrail.slo import service as slo_service
from guardrail.slo.schemas import EventIn, EventsIn

Step = Callable[[], object]
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
REQUESTS_PER_HOUR = 12_000


@dataclass
class Story:
    """The simulation's state: the clock, the queue of timed steps, and what happened so far."""

    session: Session
    clock: Clock
    rng: random.Random
    end: datetime
    days: int
    people: dict[str, str]  # handle -> person id
    queue: list[tuple[datetime, int, Step]] = field(default_factory=list)
    seq: itertools.count[int] = field(default_factory=itertools.count)
    heads: dict[str, str | None] = field(default_factory=dict)  # service -> branch head sha
    live: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # service -> dep, sha, ver
    versions: dict[str, int] = field(default_factory=dict)
    outages: list[tuple[str, datetime, datetime, float]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def at(self, when: datetime, step: Step) -> None:
        """Run ``step`` when the clock reaches ``when``."""
        heapq.heappush(self.queue, (when, next(self.seq), step))

    def run(self) -> None:
        """Play every step in time order (steps may schedule later steps)."""
        while self.queue:
            when, _, step = heapq.heappop(self.queue)
            if when > self.end:
                continue  # the story stops at the demo's "now"
            self.clock.set(when)
            step()

    def count(self, what: str) -> None:
        self.counts[what] = self.counts.get(what, 0) + 1

    def progress(self, when: datetime) -> float:
        """0 at the start of the history, 1 at its end."""
        span = self.days * 86400
        return min(1.0, max(0.0, 1 - (self.end - when).total_seconds() / span))

    def person(self, handle: str, role: str) -> Actor:
        return Actor(name=f"token:{handle}", role=role, person_id=self.people[handle])


def pipeline(service: str) -> Actor:
    return Actor(name=f"token:ci-{service}", role="pipeline")


# --- planning ---


def plan(story: Story) -> None:
    """Plan every production deployment, background incident and budget evaluation."""
    start_day = (story.end - timedelta(days=story.days)).date()
    for offset in range(story.days + 1):
        day = datetime.combine(start_day + timedelta(days=offset), datetime.min.time(), UTC)
        for profile in PROFILES:
            _plan_day(story, profile, day)
    for hours in range(0, 28 * 24, 24):  # daily: the SLO pages' burn-down over the window
        when = story.end - timedelta(hours=28 * 24 - hours)
        story.at(when.replace(minute=0, second=0, microsecond=0), lambda: _evaluate(story))


def _plan_day(story: Story, p: Profile, day: datetime) -> None:
    weekday = day.weekday() < 5
    growth = 0.7 + 0.6 * story.progress(day)
    rate = p.deploys_per_weekday * growth * (1.0 if weekday else 0.08)
    n = int(rate) + (1 if story.rng.random() < rate - int(rate) else 0)
    for _ in range(n):
        when = day + timedelta(hours=story.rng.uniform(7.5, 16.5))
        if when < story.end - 2 * HOUR:
            story.at(when - 40 * MINUTE, partial(push_and_stage, story, p, when))
    if story.rng.random() < 1 / 22:  # an incident no change caused (capacity, a provider)
        when = day + timedelta(hours=story.rng.uniform(0, 24))
        if when < story.end - 3 * HOUR:
            story.at(when, partial(background_incident, story, p))


def _evaluate(story: Story) -> None:
    slo_service.evaluate(story.session, now=story.clock.now)


# --- one delivery: commits, staging, gate, approval, production ---


def _sha(*parts: object) -> str:
    return hashlib.sha1("/".join(str(x) for x in parts).encode()).hexdigest()


def push_and_stage(story: Story, p: Profile, deploy_at: datetime) -> None:
    """Commits land on main, staging gets them, then the change is asked for."""
    now = story.clock.now
    lead_days = 3.0 - 2.2 * story.progress(now)  # lead times shrink over the period
    commits = []
    parent = story.heads.get(p.name)
    for i in range(story.rng.randint(1, 5)):
        at = now - timedelta(hours=story.rng.uniform(0.3, 24 * lead_days))
        author = story.rng.choice(ENGINEERS[p.team])
        sha = _sha(p.name, now.isoformat(), i)
        commits.append((at, sha, author))
    commits.sort()
    facts = [
        CommitFact(
            sha=sha,
            repository=f"{p.team}/{p.name}",
            message=f"{p.name}: {story.rng.choice(_MESSAGES)}",
            author_name=author,
            author_email=f"{author}@example.com",
            authored_at=at,
            committed_at=at,
            branch="main",
        )
        for at, sha, author in commits
    ]
    ingest.apply(
        story.session,
        pipeline(p.name),
        PushFact(f"{p.team}/{p.name}", "main", parent, facts[-1].sha, facts),
    )
    story.heads[p.name] = facts[-1].sha
    version = _next_version(story, p.name)
    if p.tier == 1 or story.rng.random() < 0.3:  # staging is recorded for tier 1 and some others
        _record(story, p.name, "staging", version, facts[-1].sha, now - 5 * MINUTE, now)
    authors = sorted({f"{a}@example.com" for _, _, a in commits})
    story.at(
        now + 20 * MINUTE,
        lambda: request_change(story, p, version, facts[-1].sha, authors, deploy_at),
    )


_MESSAGES = (
    "tidy the retry loop",
    "add a metric for slow requests",
    "bump the HTTP client",
    "fix the timezone in receipts",
    "cache the catalogue lookups",
    "validate the request body earlier",
    "split the handler",
    "log the upstream status",
)


def _next_version(story: Story, service: str) -> str:
    story.versions[service] = story.versions.get(service, 0) + 1
    return f"1.{story.versions[service] // 10}.{story.versions[service] % 10}"


def _evidence(story: Story, p: Profile) -> list[EvidenceFile]:
    failures = 1 if story.rng.random() < 0.03 else 0
    junit = (
        f'<testsuite name="{p.name}" tests="120" failures="{failures}" errors="0">'
        + (
            '<testcase name="t_checkout_total"><failure message="off by one"/></testcase>'
            * failures
        )
        + "</testsuite>"
    )
    lines = int(story.rng.lognormvariate(3.6, 1.0))
    diff = f"{lines}\t{lines // 3}\tsrc/{p.name.replace('-', '_')}/handler.py\n"
    if story.rng.random() < 0.05:
        diff += "12\t0\tmigrations/0042_add_index.sql\n"
    return [
        EvidenceFile(name="junit.xml", content=junit),
        EvidenceFile(name="diff.txt", content=diff),
    ]


def request_change(
    story: Story, p: Profile, version: str, sha: str, authors: list[str], deploy_at: datetime
) -> None:
    """The pipeline asks the gate; an approval or the deployment follows."""
    if p.name == EXHAUSTED and story.clock.now > story.end - timedelta(days=16):
        _evaluate(story)  # the gate reads the budget's last evaluation, which must be fresh
    standard = story.rng.random() < 0.1
    data = GateRequest(
        service=p.name,
        environment="production",
        commit=sha,
        version=version,
        type=ChangeType.standard if standard else ChangeType.normal,
        model="dependency-bump" if standard else None,
        authors=authors,
        links={"pipeline_run": f"https://ci.example.com/{p.name}/{version}"},
        evidence=_evidence(story, p),
    )
    change, _ = changes.gate(story.session, pipeline(p.name), data, now=story.clock.now)
    story.count(f"change.{change.state}")
    if change.state == ChangeState.pending_approval:
        if story.clock.now > story.end - 3 * HOUR:
            return  # still waiting in the inbox when the demo starts
        wait = timedelta(minutes=story.rng.lognormvariate(3.3 - story.progress(deploy_at), 0.9))
        story.at(
            story.clock.now + wait, lambda: approve(story, p, change.id, version, sha, authors)
        )
    elif change.state == ChangeState.approved:
        story.at(
            max(deploy_at, story.clock.now + MINUTE),
            lambda: deploy(story, p, change.id, version, sha),
        )


def waiting_change(story: Story, service: str, author: str, title: str, path: str) -> None:
    """A change that touches sensitive paths and waits in the approval inbox."""
    p = next(x for x in PROFILES if x.name == service)
    version = _next_version(story, service)
    evidence = [
        *_evidence(story, p)[:1],
        EvidenceFile(name="diff.txt", content=f"420\t80\t{path}\n60\t2\tmigrations/0108.sql\n"),
    ]
    data = GateRequest(
        service=service,
        environment="production",
        commit=_sha(service, "waiting", title),
        version=version,
        title=title,
        authors=[f"{author}@example.com"],
        links={"pipeline_run": f"https://ci.example.com/{service}/{version}"},
        evidence=evidence,
    )
    change, _ = changes.gate(story.session, pipeline(service), data, now=story.clock.now)
    story.count(f"change.{change.state}")


def approve(
    story: Story, p: Profile, change_id: str, version: str, sha: str, authors: list[str]
) -> None:
    """The team's lead approves (or a teammate, when the lead wrote some of the commits)."""
    candidates = [LEADS[p.team], *ENGINEERS[p.team], "sam"]
    handle = next(h for h in candidates if f"{h}@example.com" not in authors)
    approver = story.person(handle, "approver")
    change = changes.approve(story.session, approver, change_id, "looks good", now=story.clock.now)
    if change.state == ChangeState.approved:
        story.at(story.clock.now + 8 * MINUTE, lambda: deploy(story, p, change_id, version, sha))


def _record(
    story: Story,
    service: str,
    env: str,
    version: str,
    sha: str,
    started: datetime,
    finished: datetime,
    *,
    status: str = "success",
    change_id: str | None = None,
    rollback_of: str | None = None,
    hotfix_for: str | None = None,
) -> str:
    record = DeploymentRecord.model_validate(
        {
            "service": service,
            "environment": env,
            "version": version,
            "commit": sha,
            "status": status,
            "change_id": change_id,
            "key": f"demo:{service}:{env}:{version}:{finished.isoformat()}",
            "started_at": started,
            "finished_at": finished,
            "rollback_of": rollback_of,
            "hotfix_for": hotfix_for,
            "strategy": "canary" if env == "production" else "rolling",
        }
    )
    dep = releases.record_deployment(story.session, pipeline(service), record)
    story.count(f"deployment.{env}.{status}")
    return dep.id


def _failure_rate(story: Story, p: Profile) -> float:
    progress = story.progress(story.clock.now)
    if p.name == EXHAUSTED:
        return p.failure_rate * (0.8 + 0.8 * progress)
    return p.failure_rate * (1.4 - 0.9 * progress)


def deploy(story: Story, p: Profile, change_id: str, version: str, sha: str) -> None:
    """Production: most deployments go well; some fail, some cause an incident."""
    now = story.clock.now
    lifecycle.start(story.session, pipeline(p.name), change_id, now=now)
    roll = story.rng.random()
    rate = _failure_rate(story, p)
    if roll < rate * 0.3:
        _record(
            story,
            p.name,
            "production",
            version,
            sha,
            now,
            now + 6 * MINUTE,
            status="failed",
            change_id=change_id,
        )
        story.at(now + 7 * MINUTE, lambda: _complete(story, p, change_id, CompletionStatus.failed))
        return
    dep_id = _record(
        story, p.name, "production", version, sha, now, now + 9 * MINUTE, change_id=change_id
    )
    previous = story.live.get(p.name)
    story.live[p.name] = (dep_id, sha, version)
    story.at(now + 10 * MINUTE, lambda: _complete(story, p, change_id, CompletionStatus.success))
    if roll < rate and now < story.end - 4 * HOUR:
        start = now + timedelta(minutes=story.rng.uniform(12, 90))
        story.at(start, lambda: change_incident(story, p, dep_id, previous, version))


def _complete(story: Story, p: Profile, change_id: str, status: CompletionStatus) -> None:
    lifecycle.complete(story.session, pipeline(p.name), change_id, status, now=story.clock.now)


# --- incidents ---


def _severity(story: Story, p: Profile) -> str:
    weights = {1: (0.15, 0.45, 0.3, 0.1), 2: (0.05, 0.35, 0.45, 0.15), 3: (0.0, 0.2, 0.5, 0.3)}
    return story.rng.choices(("SEV1", "SEV2", "SEV3", "SEV4"), weights[min(p.tier, 3)])[0]


def _open(
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
    incident, responder = _open(story, p, title, severity, started)
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
    _record(
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
    sha = _sha(p.name, "hotfix", now.isoformat())
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
    version = _next_version(story, p.name) + "-hotfix"
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
            evidence=_evidence(story, p)[:1],
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
    dep = _record(
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
    incident, responder = _open(story, p, title, severity, started)
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
