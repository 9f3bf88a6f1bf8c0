"""OpenSLO v1: SLO, SLI, AlertPolicy, AlertCondition, DataSource and Service documents."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from guardrail.slo.context import ParseContext
from guardrail.slo.enums import BudgetingMethod, Severity, SliKind, SliSource, SpecFormat
from guardrail.slo.spec import (
    WINDOW_PLACEHOLDER,
    AlertingSpec,
    AlertWindow,
    SliSpec,
    SloSpec,
    ThresholdSpec,
    TimeWindow,
    duration_seconds,
    parse_duration,
)
from guardrail.slo.yamldoc import Path, Reader

API_VERSION = "openslo/v1"
KINDS = {"SLO", "SLI", "AlertPolicy", "AlertCondition", "DataSource", "Service"}
IGNORED_KINDS = {"AlertNotificationTarget"}  # accepted; guardrail routes alerts itself
EVENTS_TYPE = "guardrail"  # metricSource type for counts pushed to guardrail
_METHODS = {
    "Occurrences": BudgetingMethod.occurrences,
    "Timeslices": BudgetingMethod.timeslices,
    "RatioTimeslices": BudgetingMethod.timeslices,
}
_OPS = {"lt", "lte", "gt", "gte"}
_PAGE_SEVERITIES = {"page", "critical", "high", "sev1", "p1"}
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


def register(reader: Reader, context: ParseContext) -> str | None:
    """Check the kind and name of an OpenSLO object and remember it; return its kind."""
    kind = reader.text(("kind",), required=True)
    if not kind:
        return None
    if kind in IGNORED_KINDS:
        return kind
    if kind not in KINDS:
        known = ", ".join(sorted(KINDS))
        reader.error(("kind",), f"unknown OpenSLO kind {kind!r}; guardrail reads {known}")
        return None
    name = reader.text(("metadata", "name"), required=True)
    if name and not _NAME.match(name):
        reader.error(("metadata", "name"), f"{name!r} must be a lowercase DNS label (a-z, 0-9, -)")
    if name:
        context.register(kind, name, reader)
    return kind


def parse_slo(reader: Reader, context: ParseContext) -> SloSpec | None:
    """An OpenSLO SLO, with its indicator and alert policies resolved."""
    errors_before = len(reader.problems.items)
    window = _time_window(reader)
    method = _method(reader)
    objective = _objective(reader, method)
    sli = _indicator(reader, context)
    service = reader.text(("spec", "service"), required=True)
    if len(reader.problems.items) > errors_before or None in (window, method, objective, sli):
        return None
    assert window is not None and method is not None and objective is not None and sli
    target, slice_target, slice_window, threshold = objective
    if sli.kind == SliKind.threshold:
        sli = sli.model_copy(update={"threshold": threshold})
    name = reader.text(("metadata", "name"))
    windows = _alert_windows(reader, context) or context.windows_for(window.nominal_seconds)
    return SloSpec(
        name=name,
        service=service,
        display_name=reader.text(("metadata", "displayName")),
        description=reader.text(("spec", "description")),
        format=SpecFormat.openslo,
        objective=target,
        budgeting=method,
        timeslice_target=slice_target,
        timeslice_window_seconds=slice_window,
        window=window,
        sli=sli,
        alerting=AlertingSpec(name=_alert_name(service, name)),
        windows=windows,
        labels=reader.labels(("metadata", "labels")) if _flat_labels(reader) else {},
        origin=reader.where(),
    )


def _flat_labels(reader: Reader) -> bool:
    labels = reader.get(("metadata", "labels"))
    return isinstance(labels, dict) and all(not isinstance(v, dict | list) for v in labels.values())


def _alert_name(service: str, name: str) -> str:
    words = re.split(r"[^A-Za-z0-9]+", f"{service} {name}")
    return "".join(w[:1].upper() + w[1:] for w in words if w) + "SLO"


def _time_window(reader: Reader) -> TimeWindow | None:
    items = list(reader.items(("spec", "timeWindow"), required=True))
    if not items:
        if reader.get(("spec", "timeWindow")) == []:
            reader.error(("spec", "timeWindow"), "needs one window, e.g. - duration: 28d")
        return None
    if len(items) > 1:
        reader.error(("spec", "timeWindow"), "guardrail reads exactly one time window per SLO")
    path = items[0][0]
    duration = reader.text((*path, "duration"), required=True)
    rolling = reader.flag((*path, "isRolling"), default=False)
    calendar = reader.mapping((*path, "calendar"))
    if not duration:
        return None
    try:
        count, unit = parse_duration(duration, calendar_units=not rolling)
    except ValueError as exc:
        reader.error((*path, "duration"), str(exc))
        return None
    if rolling:
        return TimeWindow(duration=duration, rolling=True, count=count, unit=unit)
    if calendar is None:
        reader.error((*path, "calendar"), "a window with isRolling: false needs a calendar")
        return None
    return _calendar(reader, (*path, "calendar"), duration, count, unit)


def _calendar(
    reader: Reader, path: Path, duration: str, count: int, unit: str
) -> TimeWindow | None:
    start = reader.text((*path, "startTime"), required=True)
    zone = reader.text((*path, "timeZone"), default="UTC")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        reader.error((*path, "timeZone"), f"{zone!r} is not an IANA time zone, e.g. Europe/Paris")
        return None
    try:
        parsed = datetime.fromisoformat(start.replace("Z", "+00:00")) if start else None
    except ValueError:
        reader.error((*path, "startTime"), f"{start!r} is not a date-time (2024-01-01 00:00:00)")
        return None
    if parsed is None:
        return None
    return TimeWindow(
        duration=duration,
        rolling=False,
        count=count,
        unit=unit,
        calendar_start=parsed.replace(tzinfo=None).isoformat(),
        time_zone=zone,
    )


def _method(reader: Reader) -> BudgetingMethod | None:
    value = reader.text(("spec", "budgetingMethod"), required=True)
    if value and value not in _METHODS:
        reader.error(("spec", "budgetingMethod"), f"{value!r} must be one of {', '.join(_METHODS)}")
        return None
    return _METHODS.get(value)


Objective = tuple[float, float | None, int | None, ThresholdSpec | None]


def _objective(reader: Reader, method: BudgetingMethod | None) -> Objective | None:
    items = list(reader.items(("spec", "objectives")))
    if not items:
        reader.error(
            ("spec", "objectives"), "is required: give the SLO one objective with a target"
        )
        return None
    if len(items) > 1:
        reader.error(("spec", "objectives"), "guardrail reads one objective per SLO; split it")
    path = items[0][0]
    target = _target(reader, path)
    threshold = _threshold(reader, path)
    slice_target = slice_window = None
    if method == BudgetingMethod.timeslices:
        slice_target = reader.number((*path, "timeSliceTarget"))
        if slice_target is not None and not 0 < slice_target <= 1:
            reader.error((*path, "timeSliceTarget"), f"{slice_target} must be in (0, 1]")
        slice_target = target if slice_target is None else slice_target
        slice_window = _seconds(reader, (*path, "timeSliceWindow"), required=True)
    if target is None:
        return None
    return target, slice_target, slice_window, threshold


def _target(reader: Reader, path: Path) -> float | None:
    target = reader.number((*path, "target"))
    percent = reader.number((*path, "targetPercent"))
    if target is None and percent is None:
        if reader.get((*path, "target")) is None and reader.get((*path, "targetPercent")) is None:
            reader.error(path, "the objective is missing: give target (0-1) or targetPercent")
        return None
    if target is not None:
        if not 0 < target <= 1:
            hint = "; write targetPercent for a percentage" if 1 < target <= 100 else ""
            reader.error((*path, "target"), f"{target:g} is outside (0, 1]{hint}")
            return None
        return target
    assert percent is not None
    if not 0 < percent <= 100:
        reader.error((*path, "targetPercent"), f"{percent:g} is outside (0, 100]")
        return None
    return percent / 100.0


def _threshold(reader: Reader, path: Path) -> ThresholdSpec | None:
    op = reader.text((*path, "op"))
    value = reader.number((*path, "value"))
    if not op and value is None:
        return None
    if op not in _OPS:
        reader.error((*path, "op"), f"{op!r} must be one of lt, lte, gt, gte")
        return None
    if value is None:
        reader.error((*path, "value"), "is required with op")
        return None
    return ThresholdSpec(op=op, value=value)


def _seconds(reader: Reader, path: Path, *, required: bool = False) -> int | None:
    text = reader.text(path, required=required)
    if not text:
        return None
    try:
        return duration_seconds(text)
    except ValueError as exc:
        reader.error(path, str(exc))
        return None


# --- the indicator -------------------------------------------------------------------------


def _indicator(reader: Reader, context: ParseContext) -> SliSpec | None:
    inline = reader.mapping(("spec", "indicator"))
    ref = reader.text(("spec", "indicatorRef"))
    if inline is not None and ref:
        reader.error(("spec",), "give either indicator or indicatorRef, not both")
        return None
    if inline is not None:
        return _sli(reader.at(("spec", "indicator")), context)
    if not ref:
        reader.error(("spec", "indicator"), "is required (or indicatorRef naming an SLI)")
        return None
    target = context.lookup("SLI", ref)
    if target is None:
        reader.error(("spec", "indicatorRef"), f"no SLI named {ref!r} among the documents")
        return None
    return _sli(target, context)


def _sli(reader: Reader, context: ParseContext) -> SliSpec | None:
    ratio = reader.mapping(("spec", "ratioMetric"))
    threshold = reader.mapping(("spec", "thresholdMetric"))
    if (ratio is None) == (threshold is None):
        reader.error(("spec",), "an SLI needs exactly one of ratioMetric or thresholdMetric")
        return None
    if threshold is not None:
        source = _metric_source(reader, ("spec", "thresholdMetric", "metricSource"), context)
        if source is None:
            return None
        query = source.pop("query")
        return SliSpec(kind=SliKind.threshold, threshold_query=query, **source)
    return _ratio(reader, context)


def _ratio(reader: Reader, context: ParseContext) -> SliSpec | None:
    base: Path = ("spec", "ratioMetric")
    has = {k: reader.get((*base, k)) is not None for k in ("good", "bad", "total", "raw")}
    if has["raw"]:
        source = _metric_source(reader, (*base, "raw", "metricSource"), context)
        if source is None:
            return None
        is_error = reader.text((*base, "rawType"), default="failure") != "success"
        query = source.pop("query")
        return SliSpec(kind=SliKind.raw, raw_query=query, raw_is_error=is_error, **source)
    if has["good"] == has["bad"] or not has["total"]:
        reader.error(base, "a ratioMetric needs total and exactly one of good or bad (or raw)")
        return None
    which = "good" if has["good"] else "bad"
    first = _metric_source(reader, (*base, which, "metricSource"), context)
    total = _metric_source(reader, (*base, "total", "metricSource"), context)
    if first is None or total is None:
        return None
    if first["source"] != total["source"]:
        reader.error((*base, "total"), "good/bad and total must come from the same kind of source")
        return None
    query_field = "good_query" if which == "good" else "error_query"
    total_query = total.pop("query")
    return SliSpec(
        kind=SliKind.ratio,
        total_query=total_query,
        **{query_field: first.pop("query")},
        **first,
    )


def _metric_source(reader: Reader, path: Path, context: ParseContext) -> dict[str, Any] | None:
    """source, datasource name and URL, and the query (with its window placeholder)."""
    if reader.mapping(path, required=True) is None:
        return None
    ref = reader.text((*path, "metricSourceRef"))
    kind = reader.text((*path, "type"))
    url = None
    if ref:
        datasource = context.lookup("DataSource", ref)
        if datasource is None:
            reader.error(
                (*path, "metricSourceRef"), f"no DataSource named {ref!r} among the documents"
            )
            return None
        kind = kind or datasource.text(("spec", "type"))
        url = datasource.text(("spec", "connectionDetails", "url")) or None
    if kind.lower() == EVENTS_TYPE:
        return {
            "source": SliSource.events,
            "datasource": ref or None,
            "datasource_url": None,
            "query": None,
        }
    if kind.lower() != "prometheus":
        reader.error(
            (*path, "type"),
            f"metric source type {kind!r} is not supported; guardrail reads Prometheus, or "
            f"counts pushed to it (type: {EVENTS_TYPE})",
        )
        return None
    query = reader.text((*path, "spec", "query"), required=True)
    if query and not WINDOW_PLACEHOLDER.search(query):
        reader.error(
            (*path, "spec", "query"),
            "the query has no {{.window}} placeholder; put it where the range goes, "
            "e.g. rate(http_requests_total[{{.window}}])",
        )
        return None
    return {
        "source": SliSource.prometheus,
        "datasource": ref or None,
        "datasource_url": url or context.default_datasource_url(),
        "query": query,
    }


# --- alert policies --------------------------------------------------------------------------


def _alert_windows(reader: Reader, context: ParseContext) -> list[AlertWindow]:
    """Burn-rate conditions of the SLO's alert policies as window pairs (short = long / 12)."""
    windows: list[AlertWindow] = []
    for path, item in reader.items(("spec", "alertPolicies")):
        policy = _resolve(reader, path, item, "AlertPolicy", "alertPolicyRef", context)
        if policy is None:
            continue
        for cpath, citem in policy.items(("spec", "conditions"), required=True):
            condition = _resolve(policy, cpath, citem, "AlertCondition", "conditionRef", context)
            if condition is not None:
                window = _condition(condition)
                windows.extend([window] if window else [])
    return windows


def _resolve(
    reader: Reader, path: Path, item: Any, kind: str, ref_key: str, context: ParseContext
) -> Reader | None:
    if not isinstance(item, dict):
        reader.error(path, f"must be an inline {kind} or {{{ref_key}: name}}")
        return None
    ref = item.get(ref_key)
    if ref:
        target = context.lookup(kind, str(ref))
        if target is None:
            reader.error((*path, ref_key), f"no {kind} named {ref!r} among the documents")
        return target
    return reader.at(path)


def _condition(reader: Reader) -> AlertWindow | None:
    base: Path = ("spec", "condition")
    kind = reader.text((*base, "kind"), required=True)
    if kind and kind.lower() != "burnrate":
        reader.error((*base, "kind"), f"{kind!r}: guardrail evaluates burnrate conditions only")
        return None
    threshold = reader.number((*base, "threshold"), required=True)
    long_seconds = _seconds(reader, (*base, "lookbackWindow"), required=True)
    severity = reader.text(("spec", "severity"), required=True)
    if threshold is None or long_seconds is None or not severity:
        return None
    if threshold <= 0:
        reader.error((*base, "threshold"), "a burn rate threshold must be above 0")
        return None
    page = severity.lower() in _PAGE_SEVERITIES
    return AlertWindow(
        severity=Severity.page if page else Severity.ticket,
        long_seconds=long_seconds,
        short_seconds=max(1, long_seconds // 12),
        factor=threshold,
    )
