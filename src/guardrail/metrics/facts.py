"""Gather what the scoreboard counts, once per scope, from the practices' read functions.

Everything is fetched for [previous_start, end) in one pass per practice; the figures for the
period, the previous period and each sparkline bucket are then computed in memory (compute.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from guardrail.changes import views as changes
from guardrail.changes.views import ChangeFacts
from guardrail.cmdb import service as cmdb
from guardrail.cmdb.schemas import ServiceFilter
from guardrail.errors import NotFound
from guardrail.incidents import reads as incidents
from guardrail.incidents.schemas import IncidentFacts
from guardrail.kit.time import as_utc, parse_duration, utcnow
from guardrail.metrics.schemas import ScopeIn
from guardrail.oncall import service as oncall
from guardrail.problems.actions import ActionSpan, ProblemSpan, scoreboard_spans
from guardrail.releases import reports
from guardrail.slo import service as slo_service


@dataclass(frozen=True)
class Window:
    """The period [start, end), the one before it, and the sparkline's buckets."""

    start: datetime
    end: datetime
    previous_start: datetime
    bucket: timedelta

    @classmethod
    def ending(cls, end: datetime, since: str) -> Window:
        length = parse_duration(since.strip())
        bucket = timedelta(days=1) if length <= timedelta(days=14) else timedelta(days=7)
        return cls(end - length, end, end - 2 * length, bucket)

    @property
    def length(self) -> timedelta:
        return self.end - self.start

    def buckets(self) -> list[tuple[datetime, datetime]]:
        """Consecutive buckets ending at ``end`` (the oldest may be shorter)."""
        edges, at = [], self.end
        while at > self.start:
            edges.append((max(self.start, at - self.bucket), at))
            at -= self.bucket
        return edges[::-1]


@dataclass(frozen=True)
class Dep:
    id: str
    service: str
    at: datetime
    status: str
    failed: bool
    rework: bool


@dataclass(frozen=True)
class Lead:
    service: str | None
    at: datetime
    seconds: float


@dataclass(frozen=True)
class SloFacts:
    name: str
    service: str
    objective: float
    current: tuple[float | None, int, int]
    previous: tuple[float | None, int, int]
    buckets: list[tuple[float | None, int, int]]


@dataclass
class Facts:
    """Raw material for one scope: services, deployments, lead times, incidents, changes, SLOs."""

    window: Window
    environment: str
    services: dict[str, tuple[str, str | None]]  # id -> (name, team slug)
    whole_org: bool
    deployments: list[Dep] = field(default_factory=list)
    leads: list[Lead] = field(default_factory=list)
    incidents: list[IncidentFacts] = field(default_factory=list)
    change_caused: set[str] = field(default_factory=set)
    escalated: set[str] = field(default_factory=set)
    changes: list[ChangeFacts] = field(default_factory=list)
    slos: list[SloFacts] = field(default_factory=list)
    problems: list[ProblemSpan] = field(default_factory=list)
    actions: list[ActionSpan] = field(default_factory=list)

    @property
    def names(self) -> set[str]:
        return {name for name, _ in self.services.values()}


def services_in_scope(session: Session, scope: ScopeIn) -> dict[str, tuple[str, str | None]]:
    """Service id -> (name, team) for the scope's service, team, or the whole catalogue."""
    if scope.service:
        rows = [cmdb.get_service(session, scope.service)]
    else:
        rows, _ = cmdb.list_services(
            session, ServiceFilter(team=scope.team), limit=100_000, offset=0
        )
        if scope.team and not rows:
            raise NotFound(f"team {scope.team!r} owns no service in the catalogue")
    return {s.id: (s.name, s.owner_team) for s in cmdb.to_out(session, rows)}


def gather(
    session: Session, scope: ScopeIn, *, now: datetime | None = None, per_service: bool = False
) -> Facts:
    """Everything the scoreboard needs for ``scope``, fetched once (lead times per service when
    ``per_service``, so the facts can be split by service)."""
    window = Window.ending(as_utc(now or utcnow()), scope.since)
    facts = Facts(
        window=window,
        environment=scope.environment.strip().lower(),
        services=services_in_scope(session, scope),
        whole_org=not scope.service and not scope.team,
    )
    _deployments(session, facts, scope.service)
    _lead_times(session, facts, per_service)
    _incidents(session, facts)
    _changes(session, facts)
    _slos(session, facts)
    _problems(session, facts)
    return facts


def _problems(session: Session, facts: Facts) -> None:
    problems, actions = scoreboard_spans(session)
    if facts.whole_org:
        facts.problems, facts.actions = problems, actions
        return
    ids = set(facts.services)
    facts.problems = [p for p in problems if p.service_ids & ids]
    facts.actions = [a for a in actions if a.service_id in ids]


def _deployments(session: Session, facts: Facts, service: str | None) -> None:
    w = facts.window
    name = next(iter(facts.names)) if service else None
    deps = reports.period_deployments(
        session, service=name, environment=facts.environment, start=w.previous_start, end=w.end
    )
    if not facts.whole_org:
        deps = [d for d in deps if d.service in facts.names]
    for dep in deps:
        facts.change_caused.update(incident for incident, _ in dep.incidents)
    facts.deployments = sorted(
        (Dep(d.id, d.service, as_utc(d.deployed_at), d.status, d.failed, d.rework) for d in deps),
        key=lambda d: d.at,
    )


def _lead_times(session: Session, facts: Facts, per_service: bool) -> None:
    w = facts.window
    split = per_service or not facts.whole_org
    # One query either way: split by service, the query groups by commit and service.
    facts.leads = [
        Lead(service, as_utc(at), seconds)
        for service, at, seconds in reports.commit_lead_seconds(
            session,
            start=w.previous_start,
            end=w.end,
            environments=[facts.environment],
            services=None if facts.whole_org else sorted(facts.names),
            per_service=split,
        )
    ]


def _incidents(session: Session, facts: Facts) -> None:
    w = facts.window
    only = next(iter(facts.services)) if len(facts.services) == 1 and not facts.whole_org else None
    rows = incidents.incident_facts(session, start=w.previous_start, end=w.end, service_id=only)
    if not facts.whole_org:
        rows = [r for r in rows if r.service_id in facts.services]
    facts.incidents = rows
    for row in rows:
        if any(c.kind in ("deployment", "change") for c in row.causes):
            facts.change_caused.add(row.id)
    ids = {r.id for r in rows}
    for run in oncall.list_runs(session, limit=1_000_000):
        if run.incident_id in ids and (run.level > 1 or run.cycle > 0):
            facts.escalated.add(run.incident_id)


def _changes(session: Session, facts: Facts) -> None:
    w = facts.window
    facts.changes = changes.change_facts(
        session,
        start=w.previous_start,
        end=w.end,
        service_ids=None if facts.whole_org else list(facts.services),
        environment=facts.environment,
    )


def _slos(session: Session, facts: Facts) -> None:
    w = facts.window
    rows, _ = slo_service.list_slos(session, limit=10_000)
    for slo in rows:
        if slo.service_id not in facts.services:
            continue
        spans = [(w.start, w.end), (w.previous_start, w.start), *w.buckets()]
        current, previous, *buckets = slo_service.period_slis(session, slo, spans)
        facts.slos.append(
            SloFacts(
                name=slo.name,
                service=facts.services[slo.service_id][0],
                objective=slo.objective,
                current=current,
                previous=previous,
                buckets=buckets,
            )
        )
