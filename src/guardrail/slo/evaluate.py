"""One evaluation cycle: error ratios for every SLO, budget state, snapshots, burn-rate alerts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.orm import Session

from guardrail.audit import service as audit_service
from guardrail.cmdb import service as cmdb
from guardrail.kit.context import Actor
from guardrail.kit.time import isoformat
from guardrail.slo import budget, repository
from guardrail.slo.enums import AlertState, EvaluationStatus, Severity, SliSource
from guardrail.slo.models import BudgetPolicy, Slo, SloAlert
from guardrail.slo.periods import period_bounds
from guardrail.slo.prometheus import (
    NO_URL,
    TIMEOUT_SECONDS,
    Prometheus,
    PrometheusError,
    url_for,
)
from guardrail.slo.sli import event_ratios, prometheus_ratios
from guardrail.slo.spec import AlertWindow, PolicySpec, SloSpec, format_seconds

SNAPSHOT_EVERY = timedelta(minutes=5)
ACTOR = Actor.system("slo-evaluator")


@dataclass
class Measured:
    """What one SLO's source said: error ratios by window and over the period."""

    ratios: dict[int, float | None] = field(default_factory=dict)
    period_ratio: float | None = None
    period_start: datetime | None = None
    period_seconds: int = 0
    data_at: datetime | None = None
    error: str | None = None


@dataclass
class CycleSummary:
    evaluated: int = 0
    no_data: int = 0
    fired: int = 0
    resolved: int = 0
    snapshots: int = 0


def evaluate_all(
    session: Session, now: datetime, *, http: httpx.Client | None = None
) -> CycleSummary:
    """Evaluate every SLO at ``now`` and act on the result (flushes, never commits)."""
    slos = repository.all_slos(session)
    specs = {slo.id: SloSpec.model_validate(slo.spec) for slo in slos}
    extra = policy_windows(repository.all_policies(session))
    windows = {slo.id: _windows(specs[slo.id], extra.get(slo.service_id, set())) for slo in slos}
    measured = _measure_events(
        session, [s for s in slos if s.source == SliSource.events], specs, windows, now
    )
    prom = [s for s in slos if s.source == SliSource.prometheus]
    measured.update(_measure_prometheus(prom, specs, windows, now, http))
    return _act(session, slos, specs, measured, now)


def policy_windows(policies: list[BudgetPolicy]) -> dict[str, set[int]]:
    """The trailing windows budget policies ask about, by service id."""
    out: dict[str, set[int]] = {}
    for policy in policies:
        spec = PolicySpec.model_validate(policy.spec)
        for rule in spec.rules:
            if rule.window_seconds:
                out.setdefault(policy.service_id, set()).add(rule.window_seconds)
    return out


def _windows(spec: SloSpec, extra: set[int]) -> set[int]:
    pairs = {w.long_seconds for w in spec.windows} | {w.short_seconds for w in spec.windows}
    return pairs | extra


# --- measuring ---------------------------------------------------------------------------------


def _measure_events(
    session: Session,
    slos: list[Slo],
    specs: dict[str, SloSpec],
    windows: dict[str, set[int]],
    now: datetime,
) -> dict[str, Measured]:
    starts: dict[str, list[datetime]] = {}
    periods: dict[str, tuple[datetime, int]] = {}
    for slo in slos:
        periods[slo.id] = period_bounds(specs[slo.id].window, now)
        since = [now - timedelta(seconds=w) for w in windows[slo.id]]
        starts[slo.id] = [*since, periods[slo.id][0]]
    found = event_ratios(session, slos, starts, now)
    out = {}
    for slo in slos:
        by_start, last = found.get(slo.id, ({}, None))
        period_start, period_seconds = periods[slo.id]
        out[slo.id] = Measured(
            ratios={w: by_start.get(now - timedelta(seconds=w)) for w in windows[slo.id]},
            period_ratio=by_start.get(period_start),
            period_start=period_start,
            period_seconds=period_seconds,
            data_at=last,
            error=None if last else "no events pushed in the SLO period",
        )
    return out


def _measure_prometheus(
    slos: list[Slo],
    specs: dict[str, SloSpec],
    windows: dict[str, set[int]],
    now: datetime,
    http: httpx.Client | None,
) -> dict[str, Measured]:
    out: dict[str, Measured] = {}
    failed: dict[str, str] = {}  # one unreachable server fails its SLOs once, not per query
    client = http or httpx.Client(timeout=TIMEOUT_SECONDS)
    try:
        for slo in slos:
            out[slo.id] = _measure_one(client, specs[slo.id], windows[slo.id], now, failed)
    finally:
        if http is None:
            client.close()
    return out


def _measure_one(
    client: httpx.Client, spec: SloSpec, windows: set[int], now: datetime, failed: dict[str, str]
) -> Measured:
    period_start, period_seconds = period_bounds(spec.window, now)
    measured = Measured(period_start=period_start, period_seconds=period_seconds)
    url = url_for(spec)
    if not url:
        measured.error = NO_URL
        return measured
    if url in failed:
        measured.error = failed[url]
        return measured
    elapsed = int((now - period_start).total_seconds())
    try:
        ratios = prometheus_ratios(Prometheus(url, client), spec, [*windows, elapsed], now)
    except PrometheusError as exc:
        measured.error = failed[url] = str(exc)
        return measured
    measured.ratios = {w: ratios.get(w) for w in windows}
    measured.period_ratio = ratios.get(elapsed)
    measured.data_at = now if measured.period_ratio is not None else None
    if measured.period_ratio is None:
        measured.error = "Prometheus returned no series for the SLO period"
    return measured


# --- acting ------------------------------------------------------------------------------------


def _act(
    session: Session,
    slos: list[Slo],
    specs: dict[str, SloSpec],
    measured: dict[str, Measured],
    now: datetime,
) -> CycleSummary:
    summary = CycleSummary()
    open_alerts = {(a.slo_id, a.severity): a for a in repository.open_alerts(session)}
    snapshots: list[dict[str, Any]] = []
    for slo in slos:
        spec, result = specs[slo.id], measured[slo.id]
        state = budget_state(spec, result)
        _record(slo, state, result, now)
        summary.evaluated += 1
        if slo.status == EvaluationStatus.no_data:
            summary.no_data += 1
        else:
            fired, resolved = _alerts(session, slo, spec, result, state, open_alerts, now)
            summary.fired += fired
            summary.resolved += resolved
        if slo.snapshot_at is None or now - slo.snapshot_at >= SNAPSHOT_EVERY:
            snapshots.append(_snapshot(slo, state, now))
    repository.add_snapshots(session, snapshots)
    summary.snapshots = len(snapshots)
    session.flush()
    return summary


def budget_state(spec: SloSpec, result: Measured) -> dict[str, Any]:
    """The budget picture the gate, the status table and the pages read."""
    b = spec.budget
    remaining = budget.remaining(result.period_ratio, b)
    current = _current_window(spec.windows)
    burn = {format_seconds(w): budget.burn_rate(r, b) for w, r in sorted(result.ratios.items())}
    current_burn = budget.burn_rate(result.ratios.get(current), b) if current else None
    return {
        "budget": b,
        "error_ratio": result.period_ratio,
        "sli": None if result.period_ratio is None else 1.0 - result.period_ratio,
        "remaining": remaining,
        "burn_rates": burn,
        "current_window": format_seconds(current) if current else None,
        "current_burn_rate": current_burn,
        "exhaustion_seconds": budget.time_to_exhaustion(
            remaining, current_burn, result.period_seconds
        ),
        "remaining_by_window": {str(w): budget.remaining(r, b) for w, r in result.ratios.items()},
        "period_start": isoformat(result.period_start),
        "period_seconds": result.period_seconds,
    }


def _current_window(windows: list[AlertWindow]) -> int | None:
    """The burn rate shown as "current": the first page pair's long window (1h by default)."""
    pages = [w for w in windows if w.severity == Severity.page] or windows
    return pages[0].long_seconds if pages else None


def _record(slo: Slo, state: dict[str, Any], result: Measured, now: datetime) -> None:
    ok = result.period_ratio is not None and result.error is None
    slo.status = EvaluationStatus.ok if ok else EvaluationStatus.no_data
    slo.evaluated_at = now
    slo.last_error = None if ok else result.error
    if result.data_at is not None:
        slo.data_at = result.data_at
    slo.state = state if ok else {**(slo.state or {}), "stale": True}


def _snapshot(slo: Slo, state: dict[str, Any], now: datetime) -> dict[str, Any]:
    slo.snapshot_at = now
    ok = slo.status == EvaluationStatus.ok
    return {
        "slo_id": slo.id,
        "at": now,
        "status": slo.status,
        "sli": state["sli"] if ok else None,
        "remaining": state["remaining"] if ok else None,
        "burn_rates": state["burn_rates"] if ok else {},
    }


def _alerts(
    session: Session,
    slo: Slo,
    spec: SloSpec,
    result: Measured,
    state: dict[str, Any],
    open_alerts: dict[tuple[str, str], SloAlert],
    now: datetime,
) -> tuple[int, int]:
    firing = budget.firing_severities(spec.windows, result.ratios, spec.budget)
    fired = resolved = 0
    for severity in (Severity.page, Severity.ticket):
        settings = spec.alerting.page if severity == Severity.page else spec.alerting.ticket
        current = open_alerts.get((slo.id, severity.value))
        pairs = [] if settings.disable else firing.get(severity, [])
        if pairs and current is None:
            alert = _fire(session, slo, severity, pairs, state, now)
            open_alerts[(slo.id, severity.value)] = alert
            fired += 1
        elif pairs and current is not None:
            _update(current, pairs, state)
        elif current is not None:
            _resolve(session, slo, current, state, now)
            del open_alerts[(slo.id, severity.value)]
            resolved += 1
    return fired, resolved


def _pair_view(pairs: list[AlertWindow]) -> list[dict[str, Any]]:
    return [
        {
            "long": format_seconds(p.long_seconds),
            "short": format_seconds(p.short_seconds),
            "factor": p.factor,
        }
        for p in pairs
    ]


def _peak(state: dict[str, Any], pairs: list[AlertWindow]) -> float | None:
    rates = [state["burn_rates"].get(format_seconds(p.long_seconds)) for p in pairs]
    known = [r for r in rates if r is not None]
    return max(known) if known else None


def _fire(
    session: Session,
    slo: Slo,
    severity: Severity,
    pairs: list[AlertWindow],
    state: dict[str, Any],
    now: datetime,
) -> SloAlert:
    alert = SloAlert(
        slo_id=slo.id,
        severity=severity.value,
        state=AlertState.firing,
        open_key=f"{slo.id}:{severity.value}",
        fired_at=now,
        windows=_pair_view(pairs),
        burn_rates=dict(state["burn_rates"]),
        peak_burn_rate=_peak(state, pairs),
    )
    session.add(alert)
    session.flush()
    _announce(session, "fired", alert, slo, state, now)
    return alert


def _update(alert: SloAlert, pairs: list[AlertWindow], state: dict[str, Any]) -> None:
    alert.windows = _pair_view(pairs)
    alert.burn_rates = dict(state["burn_rates"])
    peak = _peak(state, pairs)
    if peak is not None and (alert.peak_burn_rate is None or peak > alert.peak_burn_rate):
        alert.peak_burn_rate = peak


def _resolve(
    session: Session, slo: Slo, alert: SloAlert, state: dict[str, Any], now: datetime
) -> None:
    alert.state, alert.open_key, alert.resolved_at = AlertState.resolved, None, now
    alert.burn_rates = dict(state["burn_rates"])
    session.flush()
    _announce(session, "resolved", alert, slo, state, now)


def _announce(
    session: Session, action: str, alert: SloAlert, slo: Slo, state: dict[str, Any], now: datetime
) -> None:
    from guardrail.slo.jobs import ALERT_SINKS, AlertEvent

    service = cmdb.find_service(session, slo.service_id)
    service_name = service.name if service else slo.service_id
    verb = "is burning its error budget too fast" if action == "fired" else "burns normally again"
    event = AlertEvent(
        action=action,
        alert_id=alert.id,
        slo_id=slo.id,
        slo=slo.name,
        service_id=slo.service_id,
        service=service_name,
        severity=alert.severity,
        at=now,
        burn_rates=dict(state["burn_rates"]),
        windows=list(alert.windows),
        remaining=state["remaining"],
        summary=f"({alert.severity}) {service_name} SLO {slo.name} {verb}",
    )
    audit_service.record(
        session,
        ACTOR,
        f"slo.alert.{action}",
        "slo_alert",
        alert.id,
        after={"slo": slo.id, "severity": alert.severity, "burn_rates": event.burn_rates},
    )
    for sink in ALERT_SINKS:
        sink(session, event)
