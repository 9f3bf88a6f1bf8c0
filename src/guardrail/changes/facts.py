"""Gathering what the guardrails read: CMDB blast radius, failure rate, freezes, error budget."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from guardrail.changes import freeze as freeze_module
from guardrail.changes import repository
from guardrail.changes.policy.risk_config import RiskConfig
from guardrail.cmdb import service as cmdb
from guardrail.cmdb.enums import ImpactDirection
from guardrail.cmdb.models import Service
from guardrail.slo.verdict import BudgetVerdict

log = logging.getLogger("guardrail.changes")
MAX_ITEMS = 25
IMPACT_DEPTH = 3
# The blast radius walks the CMDB (several queries per item); the topology changes rarely, so each
# process reuses a service's answer for this long. A CMDB change reaches risk scores within it.
IMPACT_TTL_SECONDS = 10.0
_impact_cache: dict[str, tuple[float, list[dict[str, Any]]]] = {}
_impact_lock = threading.Lock()


def impacted_services(session: Session, service: Service) -> list[dict[str, Any]]:
    """Other services that depend on this service's configuration items, with their tiers
    (read from the CMDB at most every IMPACT_TTL_SECONDS per process)."""
    now = time.monotonic()
    with _impact_lock:
        hit = _impact_cache.get(service.id)
    if hit is not None and now - hit[0] < IMPACT_TTL_SECONDS:
        return [dict(entry) for entry in hit[1]]
    impacted = _walk_impact(session, service)
    with _impact_lock:
        if len(_impact_cache) > 4096:
            _impact_cache.clear()
        _impact_cache[service.id] = (now, impacted)
    return [dict(entry) for entry in impacted]


def _walk_impact(session: Session, service: Service) -> list[dict[str, Any]]:
    items, _ = cmdb.search_items(session, service=service.id, status="active", limit=MAX_ITEMS)
    reached: dict[str, str] = {}
    for item in items:
        impact = cmdb.impact(
            session, item.id, depth=IMPACT_DEPTH, direction=ImpactDirection.dependents
        )
        for entry in impact.services:
            if entry.service_id != service.id:
                reached.setdefault(entry.service_id, entry.name)
    impacted = []
    for service_id, name in sorted(reached.items(), key=lambda pair: pair[1]):
        other = cmdb.find_service(session, service_id)
        impacted.append({"name": name, "tier": other.tier if other else None})
    return impacted


def failure_rate(
    session: Session, service_id: str, now: datetime, config: RiskConfig
) -> tuple[float | None, int]:
    """Failed or rolled-back share of the service's changes completed in the window."""
    since = now - timedelta(days=config.failure_window_days)
    counts = repository.outcome_counts(session, service_id, since)
    completed = sum(counts.values())
    if not completed:
        return None, 0
    failed = counts.get("failed", 0) + counts.get("rolled_back", 0)
    return failed / completed, completed


def calendar(session: Session, service: Service, environment: str, at: datetime) -> dict[str, Any]:
    """The calendar variable: freezes in force now for this scope, and the next one."""
    windows = repository.live_freezes(session, at)
    active = freeze_module.active(windows, at, service.name, service.tier, environment)
    upcoming = freeze_module.hours_to_next(windows, at, service.name, service.tier, environment)
    return {
        "frozen": bool(active),
        "active": [o.as_dict() for o in active],
        "windows": [o.window.name for o in active],
        "hours_to_next_freeze": upcoming,
    }


def budget_lookup(
    session: Session, service: Service, environment: str, change_type: str
) -> Callable[[], dict[str, Any]]:
    """A function that asks the SLO practice for its verdict (only when a guardrail needs it)."""

    def lookup() -> dict[str, Any]:
        verdict = _verdict(session, service, environment, change_type)
        return {
            "state": str(verdict.state.value),
            "remaining": verdict.remaining,
            "allowed": verdict.allowed,
            "reason": verdict.reason,
            "slo": verdict.slo,
            "policy": verdict.policy,
            "exempt": verdict.exempt,
        }

    return lookup


def _verdict(
    session: Session, service: Service, environment: str, change_type: str
) -> BudgetVerdict:
    try:
        from guardrail.slo import service as slo_service  # written by the SLO practice
    except ImportError:
        return BudgetVerdict.no_slo(service.name)
    verdict_fn = getattr(slo_service, "budget_verdict", None)
    if verdict_fn is None:
        return BudgetVerdict.no_slo(service.name)
    verdict: BudgetVerdict = verdict_fn(session, service.id, environment, change_type)
    return verdict


_ACTIONS_KEY = "changes.open_action_items"


def open_action_items(session: Session, service: Service, now: datetime) -> list[dict[str, Any]]:
    """The service's open action items with an ``overdue`` flag at ``now``: one indexed query,
    kept on the session so the risk score and the open_action_items step of one decision share
    it. Empty when the problems practice is not installed."""
    cache: dict[str, list[dict[str, Any]]] = session.info.setdefault(_ACTIONS_KEY, {})
    if service.id not in cache:
        try:
            from guardrail.problems import actions  # written by the problems practice
        except ImportError:
            return []
        cache[service.id] = actions.open_items_of_service(session, service.id)
    return [
        {**item, "overdue": item["due_at"] is not None and item["due_at"] < now}
        for item in cache[service.id]
    ]


def action_items_lookup(
    session: Session, service: Service, now: datetime
) -> Callable[[], list[dict[str, Any]]]:
    """A function that reads the service's open action items (only when a guardrail asks)."""
    return lambda: open_action_items(session, service, now)
