"""The scoreboard on ``/metrics``: a Prometheus collector over the cached boards.

Series carry ``scope`` (organisation, team, service), ``name`` (the team or service; empty for
the organisation) and ``environment``; the period is the last 30 days. Collection reads the
boards the pages and the API cache, so a scrape recomputes at most once a minute.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector, CollectorRegistry

from guardrail.metrics import service
from guardrail.metrics.schemas import Scoreboard
from guardrail.store.session import Database

log = logging.getLogger("guardrail.metrics")

PERIOD = "30d"
ENVIRONMENT = "production"
LABELS = ["scope", "name", "environment"]

# metric key -> (exported name, help); ratios stay ratios, durations are seconds.
EXPORTED = {
    "deployment_frequency": (
        "guardrail_dora_deployments_per_week",
        "Successful deployments per week over the last 30 days.",
    ),
    "lead_time": (
        "guardrail_dora_lead_time_seconds",
        "Median commit-to-production time of the commits deployed in the last 30 days.",
    ),
    "change_failure_rate": (
        "guardrail_dora_change_failure_ratio",
        "Share of deployments that failed, were rolled back or caused an incident.",
    ),
    "recovery_time": (
        "guardrail_dora_failed_deployment_recovery_seconds",
        "Median start-to-resolution time of change-caused incidents.",
    ),
    "rework_rate": (
        "guardrail_dora_rework_ratio",
        "Share of deployments made because of an incident.",
    ),
    "change_success_rate": (
        "guardrail_itil_change_success_ratio",
        "Completed changes among closed ones.",
    ),
    "emergency_share": ("guardrail_itil_emergency_change_ratio", "Share of emergency changes."),
    "automated_share": (
        "guardrail_itil_automated_decision_ratio",
        "Share of changes decided by automated validation alone.",
    ),
    "approval_lead_time": (
        "guardrail_itil_approval_lead_time_seconds",
        "Median time from request to a person's decision.",
    ),
    "mttd": ("guardrail_itil_mttd_seconds", "Mean time from first alert to incident."),
    "mtta": ("guardrail_itil_mtta_seconds", "Mean time from incident to acknowledgement."),
    "mttr": ("guardrail_itil_mttr_seconds", "Mean time from impact start to resolution."),
    "escalations": (
        "guardrail_itil_escalations",
        "Incidents whose escalation went past the first level.",
    ),
    "slo_attainment": ("guardrail_slo_attainment_ratio", "Share of SLOs meeting their objective."),
    "availability": ("guardrail_slo_availability_ratio", "Good events over all SLO events."),
}
LEVEL_VALUES = {"elite": 4, "high": 3, "medium": 2, "low": 1}


class ScoreboardCollector(Collector):
    """Yields the scoreboard's figures for the organisation, each team and each service."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            boards = self._boards()
        except Exception:  # a scrape must never fail because a practice's read did
            log.exception("could not compute the scoreboard for /metrics")
            return
        yield from families(boards)

    def _boards(self) -> list[tuple[str, str, Scoreboard]]:
        with self.db.reader() as session:
            return service.all_boards(session, PERIOD, ENVIRONMENT)


def families(boards: list[tuple[str, str, Scoreboard]]) -> Iterator[GaugeMetricFamily]:
    """The gauge families for the given boards."""
    for key, (name, help_text) in EXPORTED.items():
        family = GaugeMetricFamily(name, help_text, labels=LABELS)
        for scope, label, board in boards:
            value = board.metric(key).value
            if value is not None:
                family.add_metric([scope, label, ENVIRONMENT], value)
        yield family
    yield from _extra(boards)


def _extra(boards: list[tuple[str, str, Scoreboard]]) -> Iterator[GaugeMetricFamily]:
    p90 = GaugeMetricFamily(
        "guardrail_dora_lead_time_p90_seconds", "p90 commit-to-production time.", labels=LABELS
    )
    level = GaugeMetricFamily(
        "guardrail_dora_level",
        "DORA 2024 level per metric: 4 elite, 3 high, 2 medium, 1 low.",
        labels=[*LABELS, "metric"],
    )
    incidents = GaugeMetricFamily(
        "guardrail_itil_incidents", "Incidents opened in the period.", labels=[*LABELS, "severity"]
    )
    changes = GaugeMetricFamily(
        "guardrail_itil_changes", "Changes requested in the period.", labels=[*LABELS, "type"]
    )
    for scope, label, board in boards:
        base = [scope, label, ENVIRONMENT]
        _add(p90, base, board.metric("lead_time").detail.get("p90"))
        for m in board.dora:
            _add(level, [*base, m.key], LEVEL_VALUES.get(m.level or ""))
        for sev in ("SEV1", "SEV2", "SEV3", "SEV4"):
            _add(incidents, [*base, sev], board.metric("incidents").detail.get(sev))
        for kind in ("standard", "normal", "emergency"):
            _add(changes, [*base, kind], board.metric("emergency_share").detail.get(kind))
    yield from (p90, level, incidents, changes)


def _add(family: GaugeMetricFamily, labels: list[str], value: Any) -> None:
    if value is not None:
        family.add_metric(labels, float(value))


def install(registry: CollectorRegistry, db: Database) -> None:
    """Register the collector on the app's registry."""
    registry.register(ScoreboardCollector(db))
