"""The error-budget policy at work: the gate's verdict, and the budget an incident consumed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from guardrail.cmdb import service as cmdb
from guardrail.kit.time import as_utc, isoformat, utcnow
from guardrail.slo import repository
from guardrail.slo.enums import NoDataRule, PolicyAction, SliKind, SliSource
from guardrail.slo.models import Slo
from guardrail.slo.periods import period_bounds
from guardrail.slo.prometheus import Prometheus, PrometheusError, clean, url_for
from guardrail.slo.rules import sli_expression
from guardrail.slo.spec import WINDOW_PLACEHOLDER, PolicyRule, PolicySpec, SloSpec, format_seconds
from guardrail.slo.verdict import BudgetState, BudgetVerdict

# The evaluator runs every minute; older state than this means it stopped hearing from the source.
STALE_AFTER = timedelta(minutes=5)


def _pct(fraction: float) -> str:
    value = round(fraction * 100)
    return f"{value if value else 0}%"


@dataclass(frozen=True)
class _Check:
    slo: Slo
    policy: PolicySpec
    rule: PolicyRule
    remaining: float | None
    since: datetime | None  # when data was last seen, for "no data since …"


def budget_verdict(
    session: Session, service_id: str, environment: str, change_type: str
) -> BudgetVerdict:
    """What the service's error-budget policy says about one change (service by id or name)."""
    service = cmdb.find_service(session, service_id)
    if service is None:
        return BudgetVerdict.no_slo(service_id)
    slos = repository.slos_of_service(session, service.id)
    if not slos:
        return BudgetVerdict.no_slo(service.name)
    checks = _checks(session, service.id, slos, environment, utcnow())
    if not checks:
        return _without_policy(service.name, slos)
    breaches = sorted(
        (c for c in checks if _breached(c)),
        key=lambda c: c.remaining if c.remaining is not None else 0.0,
    )
    if breaches:
        return _exhausted(service.name, breaches, change_type)
    missing = [c for c in checks if c.remaining is None]
    if missing:
        return _no_data(service.name, missing, change_type)
    worst = min(checks, key=lambda c: c.remaining if c.remaining is not None else 0.0)
    assert worst.remaining is not None
    rules = ", ".join(sorted({c.rule.name for c in checks}))
    return BudgetVerdict(
        BudgetState.ok,
        True,
        f"{service.name} has {_pct(worst.remaining)} of its error budget left "
        f"(SLO {worst.slo.name}; within policy {rules})",
        remaining=worst.remaining,
        slo=worst.slo.name,
        policy=worst.rule.name,
        details=_details(worst),
    )


def _breached(check: _Check) -> bool:
    below = check.rule.budget_remaining_below
    return check.remaining is not None and below is not None and check.remaining < below


def _checks(
    session: Session, service_id: str, slos: list[Slo], environment: str, now: datetime
) -> list[_Check]:
    checks = []
    for row in repository.policies_of_service(session, service_id):
        policy = PolicySpec.model_validate(row.spec)
        if policy.environments and environment not in policy.environments:
            continue
        covered = [s for s in slos if not policy.slos or s.name in policy.slos]
        for rule in policy.rules:
            if rule.action != PolicyAction.block_changes:
                continue
            for slo in covered:
                remaining, since = _remaining(slo, rule, now)
                checks.append(_Check(slo, policy, rule, remaining, since))
    return checks


def _remaining(slo: Slo, rule: PolicyRule, now: datetime) -> tuple[float | None, datetime | None]:
    """Budget left over the rule's trailing window, or None when the data is missing or stale."""
    fresh = slo.status == "ok" and slo.evaluated_at and now - slo.evaluated_at <= STALE_AFTER
    if not fresh:
        return None, slo.data_at
    state = slo.state or {}
    if rule.window_seconds is None or rule.window_seconds == slo.window_seconds:
        return state.get("remaining"), slo.data_at
    return state.get("remaining_by_window", {}).get(str(rule.window_seconds)), slo.data_at


def _details(check: _Check) -> dict[str, Any]:
    state = check.slo.state or {}
    return {
        "slo_id": check.slo.id,
        "policy_document": check.policy.name,
        "window": format_seconds(check.rule.window_seconds or check.slo.window_seconds),
        "threshold": check.rule.budget_remaining_below,
        "burn_rates": state.get("burn_rates", {}),
        "evaluated_at": isoformat(check.slo.evaluated_at),
    }


def _exhausted(service: str, breaches: list[_Check], change_type: str) -> BudgetVerdict:
    blocking = [c for c in breaches if change_type not in c.rule.exempt_change_types]
    decider = blocking[0] if blocking else breaches[0]
    assert decider.remaining is not None
    reason = (
        f"{service} has {_pct(decider.remaining)} of its error budget left "
        f"(policy {decider.rule.name})"
    )
    if not blocking:
        reason += f"; allowed because {change_type} changes are exempt from this policy"
    return BudgetVerdict(
        BudgetState.exhausted,
        not blocking,
        reason,
        remaining=decider.remaining,
        slo=decider.slo.name,
        policy=decider.rule.name,
        exempt=not blocking,
        details=_details(decider),
    )


def _no_data(service: str, missing: list[_Check], change_type: str) -> BudgetVerdict:
    closed = [
        c
        for c in missing
        if c.rule.on_no_data == NoDataRule.fail_closed
        and change_type not in c.rule.exempt_change_types
    ]
    decider = closed[0] if closed else missing[0]
    since = isoformat(decider.since) if decider.since else "it was applied"
    how = "fails closed" if closed else "fails open"
    reason = (
        f"{service}: no data for SLO {decider.slo.name} since {since}; "
        f"policy {decider.rule.name} {how}"
    )
    if decider.slo.last_error:
        reason += f" ({decider.slo.last_error})"
    return BudgetVerdict(
        BudgetState.no_data,
        not closed,
        reason,
        slo=decider.slo.name,
        policy=decider.rule.name,
        details={**_details(decider), "no_data_since": isoformat(decider.since)},
    )


def _without_policy(service: str, slos: list[Slo]) -> BudgetVerdict:
    known = [s for s in slos if s.status == "ok" and (s.state or {}).get("remaining") is not None]
    if not known:
        return BudgetVerdict(
            BudgetState.ok,
            True,
            f"{service} has no error-budget policy; the budget does not gate it",
        )
    worst = min(known, key=lambda s: s.state["remaining"])
    return BudgetVerdict(
        BudgetState.ok,
        True,
        f"{service} has {_pct(worst.state['remaining'])} of its error budget left; "
        "no error-budget policy gates its changes",
        remaining=worst.state["remaining"],
        slo=worst.name,
    )


# --- budget consumed by an incident -------------------------------------------------------------


def budget_consumed(
    session: Session, service_id: str, start: datetime, end: datetime
) -> dict[str, float | None]:
    """Share of each SLO's period budget spent between ``start`` and ``end``, by SLO name
    (None when the source cannot say). The period is the SLO window ending at ``end``."""
    service = cmdb.get_service(session, service_id)
    start, end = as_utc(start), as_utc(end)
    out: dict[str, float | None] = {}
    for slo in repository.slos_of_service(session, service.id):
        spec = SloSpec.model_validate(slo.spec)
        if slo.source == SliSource.events:
            out[slo.name] = _consumed_events(session, slo, spec, start, end)
        else:
            out[slo.name] = _consumed_prometheus(spec, start, end)
    return out


def _period_seconds(spec: SloSpec, end: datetime) -> int:
    """The SLO period ending at ``end``: the rolling window, or the calendar period so far."""
    if spec.window.rolling:
        return spec.window.nominal_seconds
    start, _ = period_bounds(spec.window, end)
    return max(1, int((end - start).total_seconds()))


def _consumed_events(
    session: Session, slo: Slo, spec: SloSpec, start: datetime, end: datetime
) -> float | None:
    period_start = end - timedelta(seconds=_period_seconds(spec, end))
    count, _good, total, _bad = repository.event_totals(session, slo.id, period_start, end)
    _span_count, span_good, span_total, span_bad = repository.event_totals(
        session, slo.id, start, end
    )
    if slo.timeslice_target is not None:
        return span_bad / (spec.budget * count) if count else None
    return (span_total - span_good) / (spec.budget * total) if total else None


def _consumed_prometheus(spec: SloSpec, start: datetime, end: datetime) -> float | None:
    url = url_for(spec)
    if not url or spec.sli.kind == SliKind.threshold:
        return None
    span = max(1, int((end - start).total_seconds()))
    period = _period_seconds(spec, end)
    client = Prometheus(url)
    try:
        ratio = clean(client.instant(sli_expression(spec, span), end))
        if ratio is None:
            return None
        if spec.sli.kind == SliKind.raw or not spec.sli.total_query:
            return ratio * span / (spec.budget * period)
        total_span = clean(client.instant(_total(spec, span), end)) or 0.0
        total_period = clean(client.instant(_total(spec, period), end)) or 0.0
    except PrometheusError:
        return None
    finally:
        client.close()
    if total_period <= 0:
        return None
    return ratio * total_span * span / (spec.budget * total_period * period)


def _total(spec: SloSpec, seconds: int) -> str:
    assert spec.sli.total_query
    return WINDOW_PLACEHOLDER.sub(format_seconds(seconds), spec.sli.total_query)


def postmortem_required(
    session: Session, service_id: str, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """The policy rules an incident in [start, end] triggers ("more than 20% of the budget
    requires a postmortem"), each with the SLO, the share consumed and the threshold."""
    service = cmdb.get_service(session, service_id)
    rules = [
        (policy, rule)
        for row in repository.policies_of_service(session, service.id)
        for policy in [PolicySpec.model_validate(row.spec)]
        for rule in policy.rules
        if rule.action == PolicyAction.require_postmortem
    ]
    if not rules:
        return []
    consumed = budget_consumed(session, service.id, start, end)
    out = []
    for policy, rule in rules:
        threshold = rule.incident_budget_consumed_above or 0.0
        for slo, share in consumed.items():
            if share is not None and share > threshold and (not policy.slos or slo in policy.slos):
                out.append(
                    {
                        "slo": slo,
                        "consumed": share,
                        "threshold": threshold,
                        "policy": rule.name,
                        "reason": f"the incident consumed {_pct(share)} of {service.name}'s "
                        f"{slo} error budget (policy {rule.name}: more than {_pct(threshold)} "
                        "requires a postmortem)",
                    }
                )
    return out
