"""Samples for query-based canary metrics, from Prometheus' ``/api/v1/query_range``.

Every value of every series the query returns is a sample; Prometheus sends values as strings
(``"NaN"``, ``"+Inf"`` included), which the judge's NaN strategy then handles.
"""

from __future__ import annotations

import math
from typing import Any

import httpx

from guardrail.errors import InvalidInput
from guardrail.kit.time import parse_duration
from guardrail.releases.canary import CanarySpec, PrometheusSource


def _step(step: str) -> str:
    try:
        return str(int(parse_duration(step).total_seconds()))
    except ValueError:
        return step


def query_range(
    client: httpx.Client, source: PrometheusSource, query: str, start: str, end: str
) -> list[float | None]:
    """Every sample of ``query`` over [start, end]."""
    url = source.url.rstrip("/") + "/api/v1/query_range"
    params = {"query": query, "start": start, "end": end, "step": _step(source.step)}
    try:
        response = client.get(url, params=params, timeout=source.timeout)
    except httpx.HTTPError as exc:
        raise InvalidInput(f"cannot reach Prometheus at {source.url}: {exc}") from exc
    body = _json(response, source.url)
    if body.get("status") != "success":
        raise InvalidInput(
            f"Prometheus refused {query!r}: {body.get('errorType')}: {body.get('error')}"
        )
    data = body.get("data") or {}
    if data.get("resultType") != "matrix":
        raise InvalidInput(f"{query!r} gave a {data.get('resultType')}, not a range (matrix)")
    return [_value(v[1]) for series in data.get("result") or [] for v in series.get("values") or []]


def _json(response: httpx.Response, url: str) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError as exc:
        raise InvalidInput(
            f"Prometheus at {url} answered HTTP {response.status_code} without JSON"
        ) from exc
    if not isinstance(body, dict):
        raise InvalidInput(f"Prometheus at {url} answered with an unexpected body")
    return body


def _value(raw: object) -> float | None:
    try:
        return float(str(raw))
    except ValueError:
        return math.nan


def fetch(
    spec: CanarySpec, client: httpx.Client | None = None
) -> dict[str, tuple[list[float | None], list[float | None]]]:
    """(baseline, canary) samples of every query-based metric in ``spec``."""
    queried = [m for m in spec.metrics if m.baseline is None]
    if not queried:
        return {}
    source = spec.prometheus
    if source is None:
        raise InvalidInput(
            "metrics given as queries need a `prometheus:` section (url, start, end)"
        )
    own = client is None
    client = client or httpx.Client()
    try:
        return {
            m.name: (
                query_range(
                    client,
                    source,
                    m.baseline_query or "",
                    source.baseline_start or source.start,
                    source.baseline_end or source.end,
                ),
                query_range(client, source, m.canary_query or "", source.start, source.end),
            )
            for m in queried
        }
    finally:
        if own:
            client.close()
