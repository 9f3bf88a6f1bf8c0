"""The scoreboard: DORA's five metrics and ITIL KPIs for a scope, with levels and trends.

Reads only: everything comes from the practices' read functions (facts.py). Computed boards are
kept for ``CACHE_SECONDS`` per scope, so pages, the API and the Prometheus exporter share the
work; a board is derived data, so each replica may keep its own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from guardrail.kit.time import as_utc, utcnow
from guardrail.metrics import bands, compute, display
from guardrail.metrics.facts import Facts, gather
from guardrail.metrics.schemas import Metric, ScopeIn, ScopeOut, Scoreboard, ServiceRow
from guardrail.releases import reports
from guardrail.store.session import Database

CACHE_SECONDS = 60.0
NOT_TRACKED = "not tracked yet: problem management arrives with a later release of guardrail"


@dataclass(frozen=True)
class Definition:
    key: str
    label: str
    group: str
    unit: str
    better: str | None
    figure: Callable[[Facts, tuple[datetime, datetime]], tuple[float | None, dict[str, Any]]]


DORA = (
    Definition(
        "deployment_frequency",
        "Deployment frequency",
        "dora",
        "per_week",
        "up",
        compute.deployment_frequency,
    ),
    Definition("lead_time", "Change lead time", "dora", "seconds", "down", compute.lead_time),
    Definition(
        "change_failure_rate",
        "Change failure rate",
        "dora",
        "ratio",
        "down",
        compute.change_failure_rate,
    ),
    Definition(
        "recovery_time",
        "Failed deployment recovery time",
        "dora",
        "seconds",
        "down",
        compute.recovery_time,
    ),
    Definition(
        "rework_rate", "Deployment rework rate", "dora", "ratio", "down", compute.rework_rate
    ),
)
ITIL = (
    Definition(
        "change_success_rate",
        "Change success rate",
        "itil",
        "ratio",
        "up",
        compute.change_success_rate,
    ),
    Definition(
        "emergency_share", "Emergency changes", "itil", "ratio", "down", compute.emergency_share
    ),
    Definition(
        "automated_share",
        "Decided by automated validation",
        "itil",
        "ratio",
        "up",
        compute.automated_share,
    ),
    Definition(
        "approval_lead_time",
        "Approval lead time",
        "itil",
        "seconds",
        "down",
        compute.approval_lead_time,
    ),
    Definition("mttd", "MTTD", "itil", "seconds", "down", compute.mttd),
    Definition("mtta", "MTTA", "itil", "seconds", "down", compute.mtta),
    Definition("mttr", "MTTR", "itil", "seconds", "down", compute.mttr),
    Definition("incidents", "Incidents", "itil", "count", "down", compute.incidents_by_severity),
    Definition("escalations", "Escalations", "itil", "count", "down", compute.escalations),
)


def scoreboard(session: Session, scope: ScopeIn, *, now: datetime | None = None) -> Scoreboard:
    """DORA and ITIL figures for ``scope`` (cached for a minute unless ``now`` is given)."""
    if now is not None:
        return build(gather(session, scope, now=now), scope)
    key = ("board", _db_key(session), *scope.model_dump().values())
    return _cached(key, lambda: build(_gathered(session, scope), scope))


def _gathered(session: Session, scope: ScopeIn) -> Facts:
    """The scope's facts, split by service, shared by its board and its per-service rows."""
    key = ("facts", _db_key(session), *scope.model_dump().values())
    return _cached(key, lambda: gather(session, scope, per_service=True))


def build(facts: Facts, scope: ScopeIn) -> Scoreboard:
    """The board from gathered facts."""
    w = facts.window
    out = ScopeOut(
        service=scope.service,
        team=scope.team,
        environment=facts.environment,
        since=scope.since.strip(),
        start=w.start,
        end=w.end,
        previous_start=w.previous_start,
        services=sorted(facts.names),
        bucket_days=w.bucket.days,
    )
    itil = [_metric(facts, d) for d in ITIL] + _slo_metrics(facts) + _problem_metrics(facts)
    return Scoreboard(
        scope=out,
        generated_at=utcnow(),
        bands=bands.REPORT,
        dora=[_metric(facts, d) for d in DORA],
        itil=itil,
    )


def _earlier(facts: Facts) -> bool:
    """Whether anything was recorded in the previous period (else there is nothing to compare
    with, and a zero there would be a made-up figure)."""
    w = facts.window
    times = [d.at for d in facts.deployments] + [c.created_at for c in facts.changes]
    times += [i.opened_at for i in facts.incidents]
    return any(as_utc(t) < w.start for t in times)


def _metric(facts: Facts, d: Definition) -> Metric:
    w = facts.window
    value, detail = d.figure(facts, (w.start, w.end))
    previous = d.figure(facts, (w.previous_start, w.start))[0] if _earlier(facts) else None
    series = [d.figure(facts, span)[0] for span in w.buckets()]
    band = bands.BANDS.get(d.key)
    return _finish(d.key, d.label, d.group, d.unit, d.better, value, previous, series, detail, band)


def _slo_metrics(facts: Facts) -> list[Metric]:
    buckets = range(len(facts.window.buckets()))
    out = []
    for key, label, figure in (
        ("slo_attainment", "SLOs met", compute.slo_attainment),
        ("availability", "Availability", compute.availability),
    ):
        value, counts = figure(facts, None)
        detail: dict[str, Any] = dict(counts)
        previous = figure(facts, -1)[0] if _earlier(facts) else None
        series = [figure(facts, i)[0] for i in buckets]
        detail["per_slo"] = [
            {"slo": s.name, "service": s.service, "objective": s.objective, "sli": s.current[0]}
            for s in facts.slos
        ]
        out.append(_finish(key, label, "itil", "ratio", "up", value, previous, series, detail))
    return out


def _problem_metrics(facts: Facts) -> list[Metric]:
    """Open problems and overdue action items at the end of the period (and of the previous
    period, and of each bucket: counts at an instant, so the trend shows the backlog moving)."""
    w = facts.window
    out = []
    for key, label, count in (
        ("open_problems", "Open problems", compute.open_problems),
        ("overdue_actions", "Overdue action items", compute.overdue_actions),
    ):
        value = count(facts, w.end)
        # Only compare with a time problem management was in use at (else 0 is made up).
        used = min(
            [p.created_at for p in facts.problems] + [a.created_at for a in facts.actions],
            default=None,
        )
        previous = count(facts, w.start) if used and used < w.start else None
        series: list[float | None] = [count(facts, end) for _, end in w.buckets()]
        detail = {"total": int(value)}
        out.append(_finish(key, label, "itil", "count", "down", value, previous, series, detail))
    return out


def _finish(
    key: str,
    label: str,
    group: str,
    unit: str,
    better: str | None,
    value: float | None,
    previous: float | None,
    series: list[float | None],
    detail: dict[str, Any],
    band: Callable[[float | None], str | None] | None = None,
) -> Metric:
    trend = _trend(value, previous)
    improving = None if trend in (None, "flat") else (trend == better)
    samples = next((int(v) for k, v in detail.items() if k in _SAMPLE_KEYS and v is not None), 0)
    return Metric.model_validate(
        {
            "key": key,
            "label": label,
            "group": group,
            "unit": unit,
            "value": value,
            "display": display.figure(value, unit),
            "previous": previous,
            "previous_display": display.figure(previous, unit),
            "trend": trend,
            "better": better,
            "improving": improving,
            "level": band(value) if band else None,
            "series": series,
            "samples": samples,
            "detail": detail,
            "note": "" if value is not None else "no data in this period",
        }
    )


_SAMPLE_KEYS = ("deployments", "commits", "incidents", "closed", "total", "decided", "changes")


def _trend(value: float | None, previous: float | None) -> str | None:
    """up / down / flat (within 2 % of the previous value), or None without both values."""
    if value is None or previous is None:
        return None
    if abs(value - previous) <= 0.02 * max(abs(previous), 1e-9):
        return "flat"
    return "up" if value > previous else "down"


def by_service(session: Session, scope: ScopeIn) -> list[ServiceRow]:
    """Each service's DORA figures for the scope's period and environment (cached)."""
    key = ("services", _db_key(session), *scope.model_dump().values())
    return _cached(key, lambda: _rows(session, scope))


def _rows(session: Session, scope: ScopeIn) -> list[ServiceRow]:
    facts = _gathered(session, scope)
    span = (facts.window.start, facts.window.end)
    rows = []
    for service_id, (name, team) in sorted(facts.services.items(), key=lambda kv: kv[1][0]):
        sub = subset(facts, {service_id})
        values = {d.key: d.figure(sub, span)[0] for d in DORA}
        rows.append(
            ServiceRow(
                service=name,
                team=team,
                deployments_per_week=values["deployment_frequency"],
                lead_time_median=values["lead_time"],
                change_failure_rate=values["change_failure_rate"],
                recovery_time_median=values["recovery_time"],
                rework_rate=values["rework_rate"],
                levels={k: bands.BANDS[k](v) for k, v in values.items()},
            )
        )
    return rows


def subset(facts: Facts, service_ids: set[str]) -> Facts:
    """The facts of some of the scope's services (lead times need per-service gathering)."""
    services = {k: v for k, v in facts.services.items() if k in service_ids}
    names = {name for name, _ in services.values()}
    return Facts(
        window=facts.window,
        environment=facts.environment,
        services=services,
        whole_org=False,
        deployments=[d for d in facts.deployments if d.service in names],
        leads=[lead for lead in facts.leads if lead.service in names],
        incidents=[i for i in facts.incidents if i.service_id in service_ids],
        change_caused=facts.change_caused,
        escalated=facts.escalated,
        changes=[c for c in facts.changes if c.service_id in service_ids],
        slos=[s for s in facts.slos if s.service in names],
        problems=[p for p in facts.problems if p.service_ids & service_ids],
        actions=[a for a in facts.actions if a.service_id in service_ids],
    )


def all_boards(session: Session, since: str, environment: str) -> list[tuple[str, str, Scoreboard]]:
    """The organisation's board, each team's and each service's, from one gathering (cached):
    what the Prometheus exporter publishes."""
    key = ("all", _db_key(session), since, environment)
    return _cached(key, lambda: _all(session, ScopeIn(since=since, environment=environment)))


def _all(session: Session, scope: ScopeIn) -> list[tuple[str, str, Scoreboard]]:
    facts = _gathered(session, scope)
    boards = [("organisation", "", build(facts, scope))]
    teams: dict[str, set[str]] = {}
    for service_id, (_, team) in facts.services.items():
        if team:
            teams.setdefault(team, set()).add(service_id)
    for team, ids in sorted(teams.items()):
        sub = scope.model_copy(update={"team": team})
        boards.append(("team", team, build(subset(facts, ids), sub)))
    for service_id, (name, _) in sorted(facts.services.items(), key=lambda kv: kv[1][0]):
        sub = scope.model_copy(update={"service": name})
        boards.append(("service", name, build(subset(facts, {service_id}), sub)))
    return boards


def warm(db: Database) -> int:
    """Compute one service's board once without caching it: the statements, mappers and code
    paths every board uses are then set up, so a visitor's first board (even the whole
    organisation's) does not pay for that; how many boards were built (0 or 1).

    One service's board is a few indexed reads at any history size; nothing is computed on a
    database without deployments of a catalogued service (a fresh install, most tests)."""
    with db.reader() as session:
        name = reports.a_catalogued_service(session)
        if name is None:
            return 0
        scope = ScopeIn(service=name, since="30d")
        build(gather(session, scope, now=utcnow(), per_service=True), scope)
    return 1


# --- the cache ---


def _db_key(session: Session) -> tuple[str, int]:
    bind = session.get_bind()
    return str(bind.engine.url), id(bind.engine)


_cache: dict[tuple[Any, ...], tuple[float, Any]] = {}
_lock = threading.Lock()


def _cached(key: tuple[Any, ...], make: Callable[[], Any]) -> Any:
    now = time.monotonic()
    with _lock:
        hit = _cache.get(key)
        if hit is not None and now - hit[0] < CACHE_SECONDS:
            return hit[1]
    value = make()
    with _lock:
        if len(_cache) > 256:  # many distinct filters: start over rather than grow
            _cache.clear()
        _cache[key] = (now, value)
    return value


def clear_cache() -> None:
    """Forget every computed board (tests, and after the demo seeds history)."""
    with _lock:
        _cache.clear()
