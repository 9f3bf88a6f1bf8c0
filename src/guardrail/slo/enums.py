"""Enumerations of the slo practice."""

from __future__ import annotations

from enum import StrEnum


class SpecFormat(StrEnum):
    openslo = "openslo"  # OpenSLO v1 (apiVersion openslo/v1)
    sloth = "sloth"  # Sloth prometheus/v1


class BudgetingMethod(StrEnum):
    occurrences = "occurrences"  # bad events / total events
    timeslices = "timeslices"  # bad slices / total slices


class SliSource(StrEnum):
    prometheus = "prometheus"  # queried over Prometheus' HTTP API
    events = "events"  # good/total counts pushed to guardrail


class SliKind(StrEnum):
    ratio = "ratio"  # error (or good) query over total query
    raw = "raw"  # a query that already returns the error ratio
    threshold = "threshold"  # a value compared with the objective's op and value


class Severity(StrEnum):
    page = "page"
    ticket = "ticket"


class AlertState(StrEnum):
    firing = "firing"
    resolved = "resolved"


class EvaluationStatus(StrEnum):
    ok = "ok"
    no_data = "no_data"


class PolicyAction(StrEnum):
    block_changes = "block_changes"  # stop changes while the condition holds
    require_postmortem = "require_postmortem"  # an incident that burnt this much needs one


class NoDataRule(StrEnum):
    fail_open = "fail_open"
    fail_closed = "fail_closed"
