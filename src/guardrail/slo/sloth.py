"""Sloth specs: ``version: prometheus/v1`` files, and ``AlertWindows`` period catalogs."""

from __future__ import annotations

import re

from guardrail.slo.context import ParseContext, rolling_window
from guardrail.slo.enums import Severity, SliKind, SliSource, SpecFormat
from guardrail.slo.spec import (
    WINDOW_PLACEHOLDER,
    AlertingSpec,
    AlertSpec,
    AlertWindow,
    SliSpec,
    SloSpec,
    duration_seconds,
)
from guardrail.slo.yamldoc import Path, Reader

VERSION = "prometheus/v1"
WINDOWS_API_VERSION = "sloth.slok.dev/v1"
_NAME = re.compile(r"^[A-Za-z0-9][-A-Za-z0-9_]{0,98}$")


def parse_spec(reader: Reader, context: ParseContext) -> list[SloSpec]:
    """Every SLO of a Sloth spec (service, labels, slos[])."""
    service = reader.text(("service",), required=True)
    labels = reader.labels(("labels",))
    slos = []
    items = list(reader.items(("slos",), required=True))
    if reader.get(("slos",)) == []:
        reader.error(("slos",), "lists no SLO")
    for path, _ in items:
        spec = _slo(reader, path, service, labels, context)
        if spec is not None:
            slos.append(spec)
    return slos


def _slo(
    reader: Reader, path: Path, service: str, labels: dict[str, str], context: ParseContext
) -> SloSpec | None:
    before = len(reader.problems.items)
    name = reader.text((*path, "name"), required=True)
    if name and not _NAME.match(name):
        reader.error((*path, "name"), f"{name!r} may hold letters, digits, '-' and '_'")
    objective = reader.number((*path, "objective"), required=True)
    if objective is not None and not 0 < objective <= 100:
        reader.error((*path, "objective"), f"{objective:g} is outside (0, 100]")
    sli = _sli(reader, (*path, "sli"), context)
    alerting = _alerting(reader, (*path, "alerting"))
    try:
        window = rolling_window(context.default_period)
    except ValueError as exc:
        reader.error((), f"default SLO period: {exc}")
        return None
    if len(reader.problems.items) > before or objective is None or sli is None or not service:
        return None
    return SloSpec(
        name=name,
        service=service,
        description=reader.text((*path, "description")),
        format=SpecFormat.sloth,
        objective=objective / 100.0,
        window=window,
        sli=sli,
        alerting=alerting or AlertingSpec(name=name),
        windows=context.windows_for(window.nominal_seconds),
        labels={**labels, **reader.labels((*path, "labels"))},
        origin=reader.where(path),
    )


def _sli(reader: Reader, path: Path, context: ParseContext) -> SliSpec | None:
    if reader.mapping(path, required=True) is None:
        return None
    kinds = [k for k in ("events", "raw", "plugin") if reader.get((*path, k)) is not None]
    if len(kinds) != 1:
        reader.error(path, "needs exactly one of events, raw or plugin")
        return None
    url = context.default_datasource_url()
    if kinds[0] == "plugin":
        reader.error((*path, "plugin"), "SLI plugins are not supported; use events or raw")
        return None
    if kinds[0] == "raw":
        key = (
            "errorRatioQuery"
            if reader.get((*path, "raw", "errorRatioQuery"))
            else "error_ratio_query"
        )
        query = _query(reader, (*path, "raw", key))
        if query is None:
            return None
        return SliSpec(
            source=SliSource.prometheus, kind=SliKind.raw, raw_query=query, datasource_url=url
        )
    error = _query(reader, (*path, "events", "error_query"))
    total = _query(reader, (*path, "events", "total_query"))
    if error is None or total is None:
        return None
    return SliSpec(
        source=SliSource.prometheus,
        kind=SliKind.ratio,
        error_query=error,
        total_query=total,
        datasource_url=url,
    )


def _query(reader: Reader, path: Path) -> str | None:
    query = reader.text(path, required=True)
    if not query:
        return None
    if not WINDOW_PLACEHOLDER.search(query):
        reader.error(
            path,
            "the query has no {{.window}} placeholder; put it where the range goes, "
            "e.g. rate(http_requests_total[{{.window}}])",
        )
        return None
    return query.strip()


def _alerting(reader: Reader, path: Path) -> AlertingSpec | None:
    if reader.mapping(path) is None:
        return None
    name = reader.text((*path, "name"), required=True)
    return AlertingSpec(
        name=name or "SLO",
        labels=reader.labels((*path, "labels")),
        annotations=reader.labels((*path, "annotations")),
        page=_alert(reader, (*path, "page_alert")),
        ticket=_alert(reader, (*path, "ticket_alert")),
    )


def _alert(reader: Reader, path: Path) -> AlertSpec:
    # Sloth's own examples put `disable: true` under labels too; honour both spellings.
    labels = reader.labels((*path, "labels"))
    disable = reader.flag((*path, "disable")) or labels.pop("disable", "").lower() == "true"
    return AlertSpec(
        disable=disable, labels=labels, annotations=reader.labels((*path, "annotations"))
    )


# --- AlertWindows (sloth.slok.dev/v1) ----------------------------------------------------------


def parse_windows(reader: Reader, context: ParseContext) -> None:
    """Add an AlertWindows document's pairs to the catalog under its SLO period."""
    period_text = reader.text(("spec", "sloPeriod"), required=True)
    if not period_text:
        return
    try:
        period = duration_seconds(period_text)
    except ValueError as exc:
        reader.error(("spec", "sloPeriod"), str(exc))
        return
    windows = []
    for severity in (Severity.page, Severity.ticket):
        for speed in ("quick", "slow"):
            window = _pair(reader, ("spec", severity.value, speed), severity, period)
            windows.extend([window] if window else [])
    if len(windows) == 4:
        context.window_catalog[period] = windows


def _pair(reader: Reader, path: Path, severity: Severity, period: int) -> AlertWindow | None:
    if reader.mapping(path, required=True) is None:
        return None
    percent = reader.number((*path, "errorBudgetPercent"), required=True)
    seconds = {}
    for key in ("shortWindow", "longWindow"):
        text = reader.text((*path, key), required=True)
        try:
            seconds[key] = duration_seconds(text) if text else None
        except ValueError as exc:
            reader.error((*path, key), str(exc))
            seconds[key] = None
    long, short = seconds["longWindow"], seconds["shortWindow"]
    if percent is None or long is None or short is None:
        return None
    if not 0 < percent <= 100:
        reader.error((*path, "errorBudgetPercent"), f"{percent:g} is outside (0, 100]")
        return None
    if short >= long:
        reader.error((*path, "shortWindow"), "must be shorter than longWindow")
        return None
    return AlertWindow(
        severity=severity,
        long_seconds=long,
        short_seconds=short,
        factor=round(percent / 100.0 * period / long, 10),
        budget_percent=percent,
    )
