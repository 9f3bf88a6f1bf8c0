"""The figures: pure functions over gathered facts for a window [start, end).

Definitions (docs/metrics.md repeats them):

- deployment frequency: successful deployments to the environment per week; also distinct UTC
  days with one or more per week;
- change lead time: per commit first delivered to the environment in the window, committed ->
  deployed; median and p90 (nearest rank);
- change failure rate: deployments (success or failed) in the window that failed, were rolled
  back or caused an incident (the releases practice's links), each counted once ÷ those
  deployments;
- failed deployment recovery time: median started -> resolved of the incidents opened in the
  window that a deployment or change caused;
- deployment rework rate: deployments made because of an incident ÷ deployments.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from guardrail.changes.views import ChangeFacts
from guardrail.incidents.schemas import IncidentFacts
from guardrail.kit.time import as_utc
from guardrail.metrics.facts import Dep, Facts, SloFacts
from guardrail.metrics.stats import mean_of, median_of, p90, ratio

FINISHED = ("success", "failed")
CLOSED_CHANGES = ("completed", "failed", "rolled_back")
PASSED = ("approved", "implementing", "completed", "failed", "rolled_back", "blocked")

Span = tuple[datetime, datetime]


def _in(at: datetime | None, span: Span) -> bool:
    if at is None:
        return False
    if at.tzinfo is not UTC:  # the gathered facts are UTC already; others are converted
        at = as_utc(at)
    return span[0] <= at < span[1]


def _weeks(span: Span) -> float:
    return (span[1] - span[0]) / timedelta(days=7)


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return max(0.0, (as_utc(end) - as_utc(start)).total_seconds())


# --- DORA ---


def deployment_frequency(facts: Facts, span: Span) -> tuple[float | None, dict[str, float]]:
    """Successful deployments per week, and deployment days per week."""
    done = [d for d in facts.deployments if d.status == "success" and _in(d.at, span)]
    weeks = _weeks(span)
    days = len({d.at.date() for d in done})
    return len(done) / weeks, {"deployments": len(done), "deployment_days_per_week": days / weeks}


def lead_time(facts: Facts, span: Span) -> tuple[float | None, dict[str, float | None]]:
    """Median commit -> production seconds, with the p90 and the number of commits."""
    low, high = span
    # Leads are UTC already (facts.py); a plain comparison keeps 15 spans over 100,000s fast.
    values = [lead.seconds for lead in facts.leads if low <= lead.at < high]
    return median_of(values), {"p90": p90(values), "commits": len(values)}


def _finished(facts: Facts, span: Span) -> list[Dep]:
    return [d for d in facts.deployments if d.status in FINISHED and _in(d.at, span)]


def change_failure_rate(facts: Facts, span: Span) -> tuple[float | None, dict[str, int]]:
    """Failed deployments ÷ finished deployments (each deployment counted once)."""
    done = _finished(facts, span)
    failed = sum(1 for d in done if d.failed)
    return ratio(failed, len(done)), {"failed": failed, "deployments": len(done)}


def recovery_time(facts: Facts, span: Span) -> tuple[float | None, dict[str, int]]:
    """Median started -> resolved of change-caused incidents opened in the span."""
    values = [
        s
        for i in facts.incidents
        if i.id in facts.change_caused and _in(i.opened_at, span)
        for s in [_seconds(i.started_at, i.resolved_at)]
        if s is not None
    ]
    return median_of(values), {"incidents": len(values)}


def rework_rate(facts: Facts, span: Span) -> tuple[float | None, dict[str, int]]:
    """Deployments made because of an incident ÷ finished deployments."""
    done = _finished(facts, span)
    rework = sum(1 for d in done if d.rework)
    return ratio(rework, len(done)), {"rework": rework, "deployments": len(done)}


# --- ITIL ---


def _changes(facts: Facts, span: Span) -> list[ChangeFacts]:
    return [c for c in facts.changes if _in(c.created_at, span)]


def change_success_rate(facts: Facts, span: Span) -> tuple[float | None, dict[str, int]]:
    """Completed ÷ closed (completed, failed, rolled back), of changes created in the span."""
    closed = [c for c in _changes(facts, span) if c.state in CLOSED_CHANGES]
    ok = sum(1 for c in closed if c.state == "completed")
    return ratio(ok, len(closed)), {"completed": ok, "closed": len(closed)}


def emergency_share(facts: Facts, span: Span) -> tuple[float | None, dict[str, int]]:
    """Emergency changes ÷ all changes, with the count of each type."""
    rows = _changes(facts, span)
    types = Counter(c.type for c in rows)
    detail = {t: types.get(t, 0) for t in ("standard", "normal", "emergency")}
    return ratio(types.get("emergency", 0), len(rows)), {**detail, "total": len(rows)}


def automated_share(facts: Facts, span: Span) -> tuple[float | None, dict[str, int]]:
    """Changes decided (approved or blocked) with no person's approval or rejection ÷ decided."""
    decided = [
        c
        for c in _changes(facts, span)
        if c.state in PASSED or c.state == "rejected" or c.approvals
    ]
    alone = sum(1 for c in decided if not c.approvals and c.state in PASSED)
    return ratio(alone, len(decided)), {"automated": alone, "decided": len(decided)}


def approval_lead_time(facts: Facts, span: Span) -> tuple[float | None, dict[str, int]]:
    """Median request -> last person's decision, of changes a person approved or rejected."""
    values = [
        s
        for c in _changes(facts, span)
        if c.approvals
        for s in [_seconds(c.created_at, c.approvals[-1][1])]
        if s is not None
    ]
    return median_of(values), {"changes": len(values)}


def _incidents(facts: Facts, span: Span) -> list[IncidentFacts]:
    return [i for i in facts.incidents if _in(i.opened_at, span)]


def _mean_gap(
    facts: Facts, span: Span, gap: Callable[[IncidentFacts], float | None]
) -> tuple[float | None, dict[str, int]]:
    values = [s for i in _incidents(facts, span) for s in [gap(i)] if s is not None]
    return mean_of(values), {"incidents": len(values)}


def mttd(facts: Facts, span: Span) -> tuple[float | None, dict[str, int]]:
    """Mean first alert (else impact start) -> incident opened."""
    return _mean_gap(facts, span, lambda i: _seconds(i.first_alert_at or i.started_at, i.opened_at))


def mtta(facts: Facts, span: Span) -> tuple[float | None, dict[str, int]]:
    """Mean incident opened -> acknowledged."""
    return _mean_gap(facts, span, lambda i: _seconds(i.opened_at, i.acknowledged_at))


def mttr(facts: Facts, span: Span) -> tuple[float | None, dict[str, int]]:
    """Mean impact start -> resolved."""
    return _mean_gap(facts, span, lambda i: _seconds(i.started_at, i.resolved_at))


def incidents_by_severity(facts: Facts, span: Span) -> tuple[float | None, dict[str, int]]:
    """Incidents opened in the span, and how many of each severity."""
    rows = _incidents(facts, span)
    sev = Counter(i.severity for i in rows)
    return float(len(rows)), {s: sev.get(s, 0) for s in ("SEV1", "SEV2", "SEV3", "SEV4")}


def escalations(facts: Facts, span: Span) -> tuple[float | None, dict[str, int]]:
    """Incidents whose escalation paged past its first level (or repeated the chain)."""
    rows = _incidents(facts, span)
    hit = sum(1 for i in rows if i.id in facts.escalated)
    return float(hit), {"incidents": len(rows)}


def slo_attainment(facts: Facts, index: int | None) -> tuple[float | None, dict[str, int]]:
    """SLOs whose SLI met the objective ÷ SLOs with data (index: None = the period, -1 = the
    previous one, else a bucket)."""
    slis = [(s, _pick(s, index)) for s in facts.slos]
    measured = [(s, v) for s, v in slis if v[0] is not None]
    met = sum(1 for s, v in measured if v[0] is not None and v[0] >= s.objective)
    return ratio(met, len(measured)), {"met": met, "measured": len(measured), "slos": len(slis)}


def availability(facts: Facts, index: int | None) -> tuple[float | None, dict[str, int]]:
    """Good events ÷ all events, over every event-counted SLO in scope."""
    picked = [_pick(s, index) for s in facts.slos]
    good, total = sum(p[1] for p in picked), sum(p[2] for p in picked)
    return (good / total if total else None), {"events": total}


def _pick(slo: SloFacts, index: int | None) -> tuple[float | None, int, int]:
    if index is None:
        return slo.current
    if index == -1:
        return slo.previous
    return slo.buckets[index]


def open_problems(facts: Facts, at: datetime) -> float:
    """Problems open at ``at``: created by then and not resolved by then."""
    return float(
        sum(
            1
            for p in facts.problems
            if p.created_at <= at and (p.resolved_at is None or p.resolved_at > at)
        )
    )


def overdue_actions(facts: Facts, at: datetime) -> float:
    """Action items overdue at ``at``: due before it and not closed by then."""
    return float(
        sum(
            1
            for a in facts.actions
            if a.created_at <= at and a.due_at < at and (a.closed_at is None or a.closed_at > at)
        )
    )
