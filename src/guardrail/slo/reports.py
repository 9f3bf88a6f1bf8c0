"""The read side of the practice: the burn-down range and the SLA view (attainment over the
SLO window and per calendar month, from pushed events or by querying Prometheus)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from guardrail.kit.time import as_utc, isoformat, utcnow
from guardrail.slo import repository
from guardrail.slo.enums import SliSource
from guardrail.slo.models import Slo
from guardrail.slo.periods import month_starts, period_bounds
from guardrail.slo.sli import prometheus_slis
from guardrail.slo.spec import SloSpec


def chart_range(slo: Slo, now: datetime) -> tuple[datetime, int]:
    """Where the burn-down chart starts and how long it spans: the trailing rolling window, or
    the calendar period now running (from its start to its end)."""
    window = SloSpec.model_validate(slo.spec).window
    if window.rolling:
        return now - timedelta(seconds=window.nominal_seconds), window.nominal_seconds
    return period_bounds(window, now)


def burn_down(
    session: Session, slo: Slo, now: datetime | None = None
) -> list[tuple[datetime, float]]:
    """(time, budget remaining) over the SLO's window, from the stored snapshots."""
    since, _ = chart_range(slo, now or utcnow())
    return [
        (s.at, s.remaining)
        for s in repository.snapshots(session, slo.id, since)
        if s.remaining is not None
    ]


def attainment(
    session: Session, slo: Slo, now: datetime | None = None, months: int = 3
) -> list[dict[str, Any]]:
    """The SLA view: attainment over the SLO window (the last evaluation), then per calendar
    month (in the SLO's calendar time zone, else UTC), the current month up to ``now``.
    Event-sourced SLOs count their events; Prometheus SLOs query the SLI over each month."""
    now = now or utcnow()
    spec = SloSpec.model_validate(slo.spec)
    rows = [_window_row(slo, spec)]
    zone = "UTC" if spec.window.rolling else spec.window.time_zone
    spans = [(start, min(end, now)) for start, end in month_starts(now, months, zone)]
    slis: list[tuple[float | None, str | None]]
    if slo.source == SliSource.events:
        slis = [(_event_sli(session, slo, a, b), None) for a, b in spans]
    else:
        slis = prometheus_slis(spec, spans)
    for (start, end), (sli, error) in zip(spans, slis, strict=True):
        label = start.astimezone(ZoneInfo(zone)).strftime("%Y-%m")
        rows.append(_row(label, start, end, sli, slo.objective, error))
    return rows


def _window_row(slo: Slo, spec: SloSpec) -> dict[str, Any]:
    """Attainment over the SLO window, as the last evaluation measured it."""
    state = slo.state or {}
    ok = slo.status == "ok"
    start = state.get("period_start")
    return _row(
        f"last {spec.window.duration}" if spec.window.rolling else f"this {spec.window.duration}",
        as_utc(datetime.fromisoformat(start)) if start else None,
        slo.evaluated_at,
        state.get("sli") if ok else None,
        slo.objective,
        None if ok else slo.last_error,
    )


def _row(
    period: str,
    start: datetime | None,
    end: datetime | None,
    sli: float | None,
    objective: float,
    error: str | None,
) -> dict[str, Any]:
    return {
        "period": period,
        "start": isoformat(start),
        "end": isoformat(end),
        "sli": sli,
        "objective": objective,
        "met": None if sli is None else sli >= objective,
        "error": error,
    }


def _event_sli(session: Session, slo: Slo, start: datetime, end: datetime) -> float | None:
    return sli_of(slo, *repository.event_totals(session, slo.id, start, end))


def sli_of(slo: Slo, count: int, good: int, total: int, bad_slices: int) -> float | None:
    """Good share of events (Occurrences) or of intervals (Timeslices); None without data."""
    if not count:
        return None
    if slo.timeslice_target is not None:
        return 1.0 - bad_slices / count
    return good / total if total else 1.0
