"""Service level management: apply SLO specs, take pushed events, report, and answer the gate.

The change practice's error-budget step calls ``budget_verdict``; the incident and problem
practices call ``budget_consumed`` and ``postmortem_required``; both live in ``slo.policy`` and
are re-exported here.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from guardrail.audit import service as audit_service
from guardrail.cmdb import service as cmdb
from guardrail.errors import Conflict, InvalidInput, NotFound
from guardrail.kit.context import Actor
from guardrail.kit.jsonutil import canonical
from guardrail.kit.time import as_utc, utcnow
from guardrail.slo import repository
from guardrail.slo.documents import parse_files
from guardrail.slo.enums import SliSource
from guardrail.slo.evaluate import CycleSummary, evaluate_all
from guardrail.slo.models import BudgetPolicy, Slo, SloAlert, SloEvent
from guardrail.slo.policy import budget_consumed, budget_verdict, postmortem_required
from guardrail.slo.prometheus import url_for
from guardrail.slo.reports import attainment, burn_down, chart_range, sli_of
from guardrail.slo.schemas import (
    AlertOut,
    Applied,
    ApplyIn,
    AttainmentRow,
    EventsIn,
    EventsOut,
    ReportOut,
    SloOut,
)
from guardrail.slo.spec import PolicySpec, SloSpec, format_seconds

__all__ = [
    "active_alerts",
    "apply_specs",
    "attainment",
    "budget_consumed",
    "budget_verdict",
    "burn_down",
    "chart_range",
    "evaluate",
    "get_slo",
    "list_slos",
    "postmortem_required",
    "push_events",
    "report",
]


def _digest(value: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(value).encode()).hexdigest()


# --- applying specs ----------------------------------------------------------------------------


def apply_specs(session: Session, actor: Actor, data: ApplyIn) -> list[Applied]:
    """Validate spec files and store their SLOs and policies as new versions (all or nothing)."""
    specs = parse_files(
        [(f.name, f.content) for f in data.files],
        default_period=data.default_period,
        prometheus_url=data.prometheus_url,
    )
    services = _services(
        session, [s.service for s in specs.slos] + [p.service for p in specs.policies]
    )
    applied = [
        _apply_slo(session, actor, spec, services[spec.service], data.dry_run)
        for spec in specs.slos
    ]
    applied += [
        _apply_policy(session, actor, p, services[p.service], data.dry_run) for p in specs.policies
    ]
    if not applied:
        raise InvalidInput("the files define no SLO and no budget policy")
    session.flush()
    return applied


def _services(session: Session, names: list[str]) -> dict[str, str]:
    found = {}
    for name in sorted(set(names)):
        service = cmdb.find_service(session, name)
        if service is None:
            raise NotFound(
                f"no service {name!r} in the catalogue; register it first "
                "(`guardrail service create`) or fix spec.service"
            )
        found[name] = service.id
    return found


def _apply_slo(
    session: Session, actor: Actor, spec: SloSpec, service_id: str, dry_run: bool
) -> Applied:
    if spec.sli.source == SliSource.prometheus and url_for(spec) is None:
        raise InvalidInput(
            f"{spec.origin}: SLO {spec.name!r} reads Prometheus and names no URL: set "
            "GUARDRAIL_PROMETHEUS_URL or add a DataSource with connectionDetails.url "
            "(or apply with --prometheus-url)"
        )
    body = spec.model_dump(mode="json", exclude={"origin"})
    digest = _digest(body)
    slo = repository.slo_by_name(session, service_id, spec.name)
    if dry_run or (slo is not None and slo.digest == digest):
        change = "valid" if dry_run else "unchanged"
        return Applied(
            kind="slo",
            id=slo.id if slo else None,
            name=spec.name,
            service=spec.service,
            version=slo.version if slo else 0,
            change=change,
        )
    before = _slo_view(slo) if slo else None
    if slo is None:
        slo = Slo(service_id=service_id, name=spec.name, version=0, state={})
        session.add(slo)
    slo.version += 1
    slo.digest, slo.spec = digest, spec.model_dump(mode="json")
    slo.display_name, slo.format, slo.source = spec.display_name, spec.format, spec.sli.source
    slo.objective, slo.window_seconds = spec.objective, spec.window.nominal_seconds
    slo.timeslice_target = spec.timeslice_target if spec.budgeting == "timeslices" else None
    session.flush()
    _revision(session, actor, "slo", slo.id, slo.version, digest, slo.spec, spec.origin)
    audit_service.record(
        session, actor, "slo.apply", "slo", slo.id, before=before, after=_slo_view(slo)
    )
    return Applied(
        kind="slo",
        id=slo.id,
        name=spec.name,
        service=spec.service,
        version=slo.version,
        change="created" if before is None else "updated",
    )


def _apply_policy(
    session: Session, actor: Actor, spec: PolicySpec, service_id: str, dry_run: bool
) -> Applied:
    body = spec.model_dump(mode="json", exclude={"origin"})
    digest = _digest(body)
    policy = repository.policy_by_name(session, service_id, spec.name)
    if dry_run or (policy is not None and policy.digest == digest):
        change = "valid" if dry_run else "unchanged"
        return Applied(
            kind="policy",
            id=policy.id if policy else None,
            name=spec.name,
            service=spec.service,
            version=policy.version if policy else 0,
            change=change,
        )
    created = policy is None
    if policy is None:
        policy = BudgetPolicy(service_id=service_id, name=spec.name, version=0)
        session.add(policy)
    before = None if created else {"version": policy.version, "spec": policy.spec}
    policy.version += 1
    policy.digest, policy.spec = digest, spec.model_dump(mode="json")
    session.flush()
    _revision(session, actor, "policy", policy.id, policy.version, digest, policy.spec, spec.origin)
    after = {"version": policy.version, "spec": policy.spec}
    audit_service.record(
        session, actor, "slo.policy.apply", "slo_policy", policy.id, before=before, after=after
    )
    return Applied(
        kind="policy",
        id=policy.id,
        name=spec.name,
        service=spec.service,
        version=policy.version,
        change="created" if created else "updated",
    )


def _revision(
    session: Session,
    actor: Actor,
    kind: str,
    object_id: str,
    version: int,
    digest: str,
    spec: dict[str, Any],
    origin: str,
) -> None:
    repository.add_revision(
        session,
        object_type=kind,
        object_id=object_id,
        version=version,
        digest=digest,
        spec=spec,
        origin=origin[:500],
        applied_by=actor.name,
    )


def _slo_view(slo: Slo) -> dict[str, Any]:
    return {
        "name": slo.name,
        "version": slo.version,
        "objective": slo.objective,
        "window_seconds": slo.window_seconds,
        "source": slo.source,
        "digest": slo.digest,
    }


# --- reading -----------------------------------------------------------------------------------


def get_slo(session: Session, ref: str, service: str | None = None) -> Slo:
    """An SLO by id, or by name (with its service when the name is not unique)."""
    slo = repository.slo_by_id(session, ref)
    if slo is not None:
        return slo
    if service:
        found = repository.slo_by_name(session, cmdb.get_service(session, service).id, ref)
        if found is None:
            raise NotFound(f"service {service!r} has no SLO {ref!r}; see `guardrail slo status`")
        return found
    named = repository.slos_named(session, ref)
    if len(named) == 1:
        return named[0]
    if named:
        raise Conflict(f"several services have an SLO named {ref!r}; give its id or the service")
    raise NotFound(f"no SLO {ref!r}; list them with `guardrail slo status`")


def list_slos(
    session: Session, *, service: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[Slo], int]:
    """SLOs, by service and name, optionally of one service."""
    service_id = cmdb.get_service(session, service).id if service else None
    return repository.list_slos(session, service_id=service_id, limit=limit, offset=offset)


def spec_of(slo: Slo) -> SloSpec:
    return SloSpec.model_validate(slo.spec)


def to_out(session: Session, slos: list[Slo]) -> list[SloOut]:
    """Output models with the service name, the budget state and open alerts."""
    open_by_slo: dict[str, list[str]] = {}
    for alert in repository.open_alerts(session, [s.id for s in slos]):
        open_by_slo.setdefault(alert.slo_id, []).append(alert.severity)
    names = _service_names(session, {s.service_id for s in slos})
    return [
        _out(slo, names.get(slo.service_id, slo.service_id), open_by_slo.get(slo.id, []))
        for slo in slos
    ]


def _service_names(session: Session, ids: set[str]) -> dict[str, str]:
    out = {}
    for service_id in ids:
        service = cmdb.find_service(session, service_id)
        out[service_id] = service.name if service else service_id
    return out


def _out(slo: Slo, service: str, alerts: list[str]) -> SloOut:
    spec = spec_of(slo)
    state = slo.state or {}
    fresh = slo.status == "ok"
    return SloOut(
        id=slo.id,
        name=slo.name,
        service=service,
        display_name=slo.display_name,
        format=slo.format,
        source=slo.source,
        objective=slo.objective,
        window=spec.window.duration + ("" if spec.window.rolling else " (calendar)"),
        budgeting=spec.budgeting,
        version=slo.version,
        status=slo.status,
        evaluated_at=slo.evaluated_at,
        data_at=slo.data_at,
        last_error=slo.last_error,
        sli=state.get("sli") if fresh else None,
        remaining=state.get("remaining") if fresh else None,
        current_burn_rate=state.get("current_burn_rate") if fresh else None,
        burn_rates=state.get("burn_rates", {}) if fresh else {},
        exhaustion_seconds=state.get("exhaustion_seconds") if fresh else None,
        alerts=sorted(alerts),
    )


# --- pushed events -----------------------------------------------------------------------------


def push_events(session: Session, actor: Actor, slo_ref: str, data: EventsIn) -> EventsOut:
    """Store good/total counts per interval; a repeated interval start replaces its counts."""
    slo = get_slo(session, slo_ref)
    if slo.source != SliSource.events:
        raise Conflict(f"SLO {slo.name!r} reads Prometheus; only event-sourced SLOs take events")
    latest: dict[datetime, Any] = {}
    for event in data.events:  # within one push, the last count for an interval wins
        latest[as_utc(event.start)] = event
    existing = repository.events_at(session, slo.id, list(latest))
    counts = {"inserted": 0, "replaced": 0, "unchanged": 0}
    now = utcnow()
    for start, event in latest.items():
        row = existing.get(start)
        if row is None:
            session.add(
                SloEvent(
                    slo_id=slo.id,
                    interval_start=start,
                    interval_seconds=event.interval_seconds,
                    good=event.good,
                    total=event.total,
                    received_at=now,
                )
            )
            counts["inserted"] += 1
        elif (row.good, row.total, row.interval_seconds) == (
            event.good,
            event.total,
            event.interval_seconds,
        ):
            counts["unchanged"] += 1
        else:
            row.good, row.total, row.interval_seconds, row.received_at = (
                event.good,
                event.total,
                event.interval_seconds,
                now,
            )
            counts["replaced"] += 1
    session.flush()
    audit_service.record(
        session,
        actor,
        "slo.events.push",
        "slo",
        slo.id,
        after={**counts, "first": min(latest), "last": max(latest)},
    )
    return EventsOut(**counts)


# --- evaluation, alerts, reports ----------------------------------------------------------------


def evaluate(session: Session, now: datetime | None = None) -> CycleSummary:
    """Evaluate every SLO now (the periodic job does this every minute)."""
    return evaluate_all(session, now or utcnow())


def active_alerts(
    session: Session, *, service_id: str | None = None, severity: str | None = None
) -> list[SloAlert]:
    """Burn-rate alerts firing now, optionally for one service (id or name) or severity."""
    alerts = repository.open_alerts(session)
    if service_id:
        service = cmdb.get_service(session, service_id)
        slo_ids = {s.id for s in repository.slos_of_service(session, service.id)}
        alerts = [a for a in alerts if a.slo_id in slo_ids]
    return [a for a in alerts if severity is None or a.severity == severity]


def alerts_out(session: Session, alerts: list[SloAlert]) -> list[AlertOut]:
    slos = {a.slo_id: get_slo(session, a.slo_id) for a in alerts}
    names = _service_names(session, {s.service_id for s in slos.values()})
    return [
        AlertOut(
            id=a.id,
            slo_id=a.slo_id,
            slo=slos[a.slo_id].name,
            service=names.get(slos[a.slo_id].service_id, ""),
            severity=a.severity,
            state=a.state,
            fired_at=a.fired_at,
            resolved_at=a.resolved_at,
            windows=a.windows,
            burn_rates=a.burn_rates,
            peak_burn_rate=a.peak_burn_rate,
        )
        for a in alerts
    ]


def recent_alerts(session: Session, slo: Slo) -> list[SloAlert]:
    return repository.alerts_of(session, slo.id)


def report(session: Session, slo: Slo, months: int = 3, now: datetime | None = None) -> ReportOut:
    """The SLA report of one SLO: attainment over its window and per calendar month."""
    out = to_out(session, [slo])[0]
    window = spec_of(slo).window
    return ReportOut(
        id=slo.id,
        slo=slo.name,
        service=out.service,
        source=slo.source,
        objective=slo.objective,
        window=out.window,
        zone="UTC" if window.rolling else window.time_zone,
        rows=[AttainmentRow(**row) for row in attainment(session, slo, now, months)],
    )


def revisions(session: Session, slo: Slo) -> list[dict[str, Any]]:
    return [
        {
            "version": r.version,
            "applied_at": r.applied_at,
            "applied_by": r.applied_by,
            "origin": r.origin,
        }
        for r in repository.revisions(session, slo.id)
    ]


def window_label(seconds: int) -> str:
    return format_seconds(seconds)


def period_slis(
    session: Session, slo: Slo, spans: list[tuple[datetime, datetime]]
) -> list[tuple[float | None, int, int]]:
    """(SLI, good, total) of an event-sourced SLO over each [start, end) span, from one read;
    (None, 0, 0) for a Prometheus SLO or a span without data (the scoreboard reads this)."""
    if slo.source != SliSource.events or not spans:
        return [(None, 0, 0) for _ in spans]
    rows = repository.event_rows(
        session, slo.id, min(a for a, _ in spans), max(b for _, b in spans)
    )
    rows = sorted((as_utc(at), g, t) for at, g, t in rows)
    starts = [at for at, _, _ in rows]
    out = []
    for start, end in spans:
        inside = [(g, t) for _, g, t in rows[bisect_left(starts, start) : bisect_left(starts, end)]]
        good, total = sum(g for g, _ in inside), sum(t for _, t in inside)
        bad = sum(
            1
            for g, t in inside
            if slo.timeslice_target is not None and t > 0 and g < t * slo.timeslice_target
        )
        out.append((sli_of(slo, len(inside), good, total, bad), good, total))
    return out
