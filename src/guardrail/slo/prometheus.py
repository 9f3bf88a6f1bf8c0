"""A small client for Prometheus' HTTP API (``/api/v1/query`` and ``/api/v1/query_range``)."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import httpx

from guardrail.config import get_settings
from guardrail.slo.spec import SloSpec

TIMEOUT_SECONDS = 5.0
MAX_POINTS = 10_000  # Prometheus refuses ranges over 11,000 points


NO_URL = (
    "no Prometheus URL: set GUARDRAIL_PROMETHEUS_URL or add a DataSource with connectionDetails.url"
)


def url_for(spec: SloSpec) -> str | None:
    """The SLO's own DataSource URL, else the GUARDRAIL_PROMETHEUS_URL setting, else None."""
    return spec.sli.datasource_url or get_settings().prometheus_url or None


class PrometheusError(Exception):
    """Prometheus did not answer, or answered with an error; the message says which."""


class Prometheus:
    """Queries one Prometheus server."""

    def __init__(self, url: str, client: httpx.Client | None = None) -> None:
        self.url = url.rstrip("/")
        self._client = client or httpx.Client(timeout=TIMEOUT_SECONDS)

    def close(self) -> None:
        self._client.close()

    def _get(self, path: str, params: dict[str, Any]) -> Any:
        try:
            response = self._client.get(f"{self.url}{path}", params=params)
        except httpx.HTTPError as exc:
            raise PrometheusError(f"Prometheus at {self.url} is unreachable: {exc}") from exc
        try:
            body = response.json()
        except ValueError as exc:
            raise PrometheusError(
                f"Prometheus at {self.url} answered HTTP {response.status_code} without JSON"
            ) from exc
        if body.get("status") != "success":
            error = body.get("error") or f"HTTP {response.status_code}"
            raise PrometheusError(f"Prometheus at {self.url} rejected the query: {error}")
        return body["data"]

    def instant(self, query: str, at: datetime) -> float | None:
        """The query's single value at ``at``: None when it has no series, 0/0 as NaN."""
        data = self._get("/api/v1/query", {"query": query, "time": at.timestamp()})
        if data["resultType"] == "scalar":
            return float(data["result"][1])
        series = data["result"]
        if not series:
            return None
        if len(series) > 1:
            raise PrometheusError(
                f"the query returned {len(series)} series; aggregate it (sum(...)) to one: {query}"
            )
        return float(series[0]["value"][1])

    def series(self, query: str, start: datetime, end: datetime, step: int) -> list[float]:
        """Values of a one-series query from ``start`` to ``end`` every ``step`` seconds."""
        values: list[float] = []
        begin = start.timestamp()
        stop = end.timestamp()
        while begin <= stop:
            chunk_end = min(stop, begin + step * (MAX_POINTS - 1))
            params = {"query": query, "start": begin, "end": chunk_end, "step": step}
            data = self._get("/api/v1/query_range", params)
            for item in data["result"][:1]:
                values.extend(float(v) for _, v in item["values"])
            begin = chunk_end + step
        return values


def clean(value: float | None) -> float | None:
    """NaN (no traffic: 0/0) counts as no error; None stays None."""
    if value is None:
        return None
    return 0.0 if math.isnan(value) else value
