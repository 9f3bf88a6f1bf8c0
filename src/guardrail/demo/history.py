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

from datetime import UTC, datetime, timedelta
from functools import partial

from guardrail.changes import lifecycle
from guardrail.changes import service as changes
from guardrail.changes.enums import ChangeState, ChangeType, CompletionStatus
from guardrail.changes.schemas import EvidenceFile, GateRequest
from guardrail.demo.org import ENGINEERS, EXHAUSTED, LEADS, PROFILES, Profile
from guardrail.demo.story import (
    HOUR,
    MINUTE,
    Story,
    evidence_files,
    next_version,
    pipeline,
    record,
    sha_of,
)
from guardrail.demo.trouble import background_incident, change_incident
from guardrail.releases import ingest
from guardrail.releases.facts import CommitFact, PushFact
from guardrail.slo import service as slo_service

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


def push_and_stage(story: Story, p: Profile, deploy_at: datetime) -> None:
    """Commits land on main, staging gets them, then the change is asked for."""
    now = story.clock.now
    lead_days = 3.0 - 2.2 * story.progress(now)  # lead times shrink over the period
    commits = []
    parent = story.heads.get(p.name)
    for i in range(story.rng.randint(1, 5)):
        at = now - timedelta(hours=story.rng.uniform(0.3, 24 * lead_days))
        author = story.rng.choice(ENGINEERS[p.team])
        sha = sha_of(p.name, now.isoformat(), i)
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
    version = next_version(story, p.name)
    if p.tier == 1 or story.rng.random() < 0.3:  # staging is recorded for tier 1 and some others
        record(story, p.name, "staging", version, facts[-1].sha, now - 5 * MINUTE, now)
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
        evidence=evidence_files(story, p),
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
    version = next_version(story, service)
    evidence = [
        *evidence_files(story, p)[:1],
        EvidenceFile(name="diff.txt", content=f"420\t80\t{path}\n60\t2\tmigrations/0108.sql\n"),
    ]
    data = GateRequest(
        service=service,
        environment="production",
        commit=sha_of(service, "waiting", title),
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
        record(
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
    dep_id = record(
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
