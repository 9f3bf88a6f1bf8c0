"""Error ratios by window from an SLO's source: Prometheus queries, or pushed event counts."""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from guardrail.slo import budget
from guardrail.slo.enums import BudgetingMethod, SliKind
from guardrail.slo.models import Slo, SloEvent
from guardrail.slo.prometheus import NO_URL, Prometheus, PrometheusError, clean, url_for
from guardrail.slo.rules import sli_expression
from guardrail.slo.spec import WINDOW_PLACEHOLDER, SloSpec, format_seconds

Ratios = dict[int, float | None]
_OPS: dict[str, Callable[[float, float], bool]] = {
    "lt": operator.lt,
    "lte": operator.le,
    "gt": operator.gt,
    "gte": operator.ge,
}
DEFAULT_SLICE_SECONDS = 60


def prometheus_ratios(
    client: Prometheus, spec: SloSpec, windows: Iterable[int], at: datetime
) -> Ratios:
    """The error ratio over each window (seconds) ending at ``at``; raises PrometheusError."""
    slices = spec.budgeting == BudgetingMethod.timeslices or spec.sli.kind == SliKind.threshold
    out: Ratios = {}
    for seconds in sorted(set(windows)):
        if slices:
            out[seconds] = _bad_slice_ratio(client, spec, seconds, at)
        else:
            out[seconds] = clean(client.instant(sli_expression(spec, seconds), at))
    return out


def _bad_slice_ratio(client: Prometheus, spec: SloSpec, seconds: int, at: datetime) -> float | None:
    """Bad slices ÷ slices in the window: each slice judged on its own (good-slice counting)."""
    step = spec.timeslice_window_seconds or DEFAULT_SLICE_SECONDS
    start = at - timedelta(seconds=seconds - step)
    if spec.sli.kind == SliKind.threshold:
        assert spec.sli.threshold_query and spec.sli.threshold
        query = WINDOW_PLACEHOLDER.sub(format_seconds(step), spec.sli.threshold_query)
        values = client.series(query, start, at, step)
        good = _OPS[spec.sli.threshold.op]
        # NaN: no traffic in the slice, which is not an error (as for ratio slices).
        bad = [not math.isnan(v) and not good(v, spec.sli.threshold.value) for v in values]
    else:
        query = sli_expression(spec, step)
        target = spec.timeslice_target if spec.timeslice_target is not None else spec.objective
        values = [clean(v) or 0.0 for v in client.series(query, start, at, step)]
        bad = [1.0 - v < target for v in values]
    return sum(bad) / len(bad) if bad else None


def prometheus_slis(
    spec: SloSpec, spans: list[tuple[datetime, datetime]]
) -> list[tuple[float | None, str | None]]:
    """(SLI, error) over each [start, end] span: the SLI queried at ``end`` with the window set
    to the span, or with one slice per step for Timeslices and threshold metrics. After one
    failure the remaining spans are not asked (one unreachable server costs one timeout)."""
    url = url_for(spec)
    if not url:
        return [(None, NO_URL) for _ in spans]
    client = Prometheus(url)
    out: list[tuple[float | None, str | None]] = []
    try:
        for start, end in spans:
            if out and out[-1][1] is not None:
                out.append((None, out[-1][1]))
                continue
            out.append(_span_sli(client, spec, start, end))
    finally:
        client.close()
    return out


def _span_sli(
    client: Prometheus, spec: SloSpec, start: datetime, end: datetime
) -> tuple[float | None, str | None]:
    seconds = int((end - start).total_seconds())
    if seconds <= 0:
        return None, None
    try:
        error_ratio = prometheus_ratios(client, spec, [seconds], end)[seconds]
    except PrometheusError as exc:
        return None, str(exc)
    return (None if error_ratio is None else 1.0 - error_ratio), None


def event_ratios(
    session: Session, slos: list[Slo], since_by_slo: dict[str, list[datetime]], now: datetime
) -> dict[str, tuple[dict[datetime, float | None], datetime | None]]:
    """For every event-sourced SLO, the error ratio since each of its window starts, in one scan.

    Occurrences: bad / total events; Timeslices: bad intervals / intervals (an interval is a
    slice). A window with no interval at all has no data (None); one with zero traffic has no error.
    Rows are summed per segment between consecutive window starts, then added up from the newest
    segment back, so each row is read once whatever the number of windows.
    """
    starts = sorted({s for values in since_by_slo.values() for s in values})
    if not slos or not starts:
        return {}
    # Segment k holds rows from starts[k] up to starts[k + 1]. Most rows are old, so the test
    # that matches them comes first: each row costs one comparison, not one per window.
    segment = case(
        *[(SloEvent.interval_start < since, index) for index, since in enumerate(starts[1:])],
        else_=len(starts) - 1,
    ).label("segment")
    bad_slice = and_(SloEvent.total > 0, SloEvent.good < SloEvent.total * Slo.timeslice_target)
    query = (
        select(
            SloEvent.slo_id,
            segment,
            func.count(),
            func.sum(SloEvent.good),
            func.sum(SloEvent.total),
            func.sum(case((bad_slice, 1), else_=0)),
            func.max(SloEvent.interval_start),
        )
        .join(Slo, Slo.id == SloEvent.slo_id)
        .where(SloEvent.interval_start >= starts[0], SloEvent.interval_start <= now)
        .group_by(SloEvent.slo_id, segment)
    )
    sums: dict[str, list[list[float]]] = {}
    latest: dict[str, datetime] = {}
    for slo_id, index, count, good, total, bad, last in session.execute(query):
        # float(): PostgreSQL sums bigints as numeric (Decimal).
        sums.setdefault(slo_id, [[0.0] * 4 for _ in starts])[index] = [
            float(v or 0) for v in (count, good, total, bad)
        ]
        latest[slo_id] = max(last, latest.get(slo_id, last))
    out: dict[str, tuple[dict[datetime, float | None], datetime | None]] = {}
    for slo in slos:
        if slo.id in sums:
            out[slo.id] = (_ratios_of(sums[slo.id], starts, slo), latest[slo.id])
    return out


def _ratios_of(
    segments: list[list[float]], starts: list[datetime], slo: Slo
) -> dict[datetime, float | None]:
    out: dict[datetime, float | None] = {}
    count = good = total = bad_slices = 0.0
    for index in range(len(starts) - 1, -1, -1):  # newest segment first, accumulating
        count, good, total, bad_slices = (
            a + b for a, b in zip((count, good, total, bad_slices), segments[index], strict=True)
        )
        if not count:
            out[starts[index]] = None
        elif slo.timeslice_target is not None:
            out[starts[index]] = bad_slices / count
        else:
            out[starts[index]] = budget.ratio(total - good, total) or 0.0
    return out
