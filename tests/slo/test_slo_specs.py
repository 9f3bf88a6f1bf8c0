"""Parsing OpenSLO and Sloth: normalised specs, burn factors, and errors that name the field."""

from __future__ import annotations

import pytest
from slo_fixtures import OPENSLO, SLOTH, events_slo, policy

from guardrail.errors import InvalidInput
from guardrail.slo.budget import default_windows
from guardrail.slo.documents import parse_files
from guardrail.slo.enums import BudgetingMethod, Severity, SliKind, SliSource


def _factors(days: int) -> list[float]:
    return [w.factor for w in default_windows(days * 86400)]


def test_burn_factors_scale_with_the_period():
    assert _factors(30) == [14.4, 6.0, 3.0, 1.0]
    assert _factors(28) == pytest.approx([13.44, 5.6, 2.8, 0.9333333333])
    assert _factors(7) == pytest.approx([3.36, 1.4, 0.7, 0.2333333333])
    windows = default_windows(30 * 86400)
    assert [(w.severity, w.long_seconds, w.short_seconds) for w in windows] == [
        (Severity.page, 3600, 300),
        (Severity.page, 21600, 1800),
        (Severity.ticket, 86400, 7200),
        (Severity.ticket, 259200, 21600),
    ]


def test_openslo_slo_with_datasource_and_policy():
    specs = parse_files([("a.yaml", OPENSLO.format(url="http://prom:9090")), ("p.yaml", policy())])
    (slo,) = specs.slos
    assert (slo.service, slo.name, slo.objective) == (
        "checkout-api",
        "checkout-availability",
        0.999,
    )
    assert slo.sli.source == SliSource.prometheus and slo.sli.kind == SliKind.ratio
    assert slo.sli.datasource_url == "http://prom:9090"
    assert "{{.window}}" in (slo.sli.error_query or "")
    assert slo.window.nominal_seconds == 28 * 86400
    assert [w.factor for w in slo.windows] == pytest.approx([13.44, 5.6, 2.8, 0.9333333333])
    assert slo.origin == "a.yaml:10"
    (rules,) = [p.rules for p in specs.policies]
    assert rules[0].budget_remaining_below == 0 and rules[0].exempt_change_types == [
        "emergency",
        "security",
    ]
    assert rules[1].incident_budget_consumed_above == pytest.approx(0.2)


def test_sloth_spec_and_alert_windows_catalog():
    windows = """\
apiVersion: sloth.slok.dev/v1
kind: AlertWindows
spec:
  sloPeriod: 7d
  page:
    quick: {errorBudgetPercent: 8, shortWindow: 5m, longWindow: 1h}
    slow: {errorBudgetPercent: 12.5, shortWindow: 30m, longWindow: 6h}
  ticket:
    quick: {errorBudgetPercent: 20, shortWindow: 2h, longWindow: 1d}
    slow: {errorBudgetPercent: 42, shortWindow: 6h, longWindow: 3d}
"""
    specs = parse_files(
        [("s.yaml", SLOTH), ("w.yaml", windows)], default_period="7d", prometheus_url="http://p"
    )
    (slo,) = specs.slos
    assert slo.objective == pytest.approx(0.999) and slo.labels == {"owner": "payments"}
    assert slo.alerting.name == "CheckoutHighErrorRate"
    assert slo.alerting.page.labels == {"severity": "critical"}
    assert [w.factor for w in slo.windows] == pytest.approx([13.44, 3.5, 1.4, 0.98])


def test_timeslices_and_calendar_window():
    text = events_slo().replace(
        "    - duration: 28d\n      isRolling: true",
        "    - duration: 1M\n      isRolling: false\n      calendar:\n"
        "        startTime: 2024-01-01 00:00:00\n        timeZone: Europe/Paris",
    )
    text = text.replace("Occurrences", "Timeslices").replace(
        "    - target: 0.999",
        "    - target: 0.99\n      timeSliceTarget: 0.95\n      timeSliceWindow: 1m",
    )
    (slo,) = parse_files([("t.yaml", text)]).slos
    assert slo.budgeting == BudgetingMethod.timeslices
    assert (slo.timeslice_target, slo.timeslice_window_seconds) == (0.95, 60)
    assert slo.window.rolling is False and slo.window.time_zone == "Europe/Paris"
    assert slo.sli.source == SliSource.events


def _error(*files: tuple[str, str]) -> str:
    with pytest.raises(InvalidInput) as caught:
        parse_files(list(files))
    return caught.value.detail


def test_unknown_kind_names_the_field_and_line():
    text = "apiVersion: openslo/v1\nkind: Widget\nmetadata: {name: w}\n"
    assert _error(("w.yaml", text)) == (
        "w.yaml:2: kind: unknown OpenSLO kind 'Widget'; guardrail reads AlertCondition, "
        "AlertPolicy, DataSource, SLI, SLO, Service"
    )


def test_missing_objective():
    text = events_slo().replace("  objectives:\n    - target: 0.999\n", "")
    assert "spec.objectives: is required" in _error(("m.yaml", text))
    text = events_slo().replace("    - target: 0.999\n", "    - displayName: none\n")
    assert "m.yaml:21: spec.objectives[0]: the objective is missing" in _error(("m.yaml", text))


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("0", "spec.objectives[0].target: 0 is outside (0, 1]"),
        ("99.9", "99.9 is outside (0, 1]; write targetPercent for a percentage"),
        ("-1", "-1 is outside (0, 1]"),
    ],
)
def test_objective_outside_range(target, message):
    text = events_slo().replace("target: 0.999", f"target: {target}")
    assert message in _error(("o.yaml", text))


def test_sloth_objective_outside_range_and_missing_window_placeholder():
    text = SLOTH.replace("objective: 99.9", "objective: 120").replace(
        "[{{.window}}]))\n        total", "[5m]))\n        total"
    )
    detail = _error(("s.yaml", text))
    assert "s.yaml:7: slos[0].objective: 120 is outside (0, 100]" in detail
    assert "slos[0].sli.events.error_query: the query has no {{.window}} placeholder" in detail


def test_openslo_query_without_window_placeholder():
    text = OPENSLO.format(url="http://p").replace('code=~"5.."}[{{.window}}]', 'code=~"5.."}[5m]')
    detail = _error(("q.yaml", text))
    assert "spec.indicator.spec.ratioMetric.bad.metricSource.spec.query: the query has no" in detail


def test_every_problem_reported_at_once():
    text = "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: x}\nspec: {}\n"
    detail = _error(("e.yaml", text))
    for field in (
        "spec.timeWindow",
        "spec.budgetingMethod",
        "spec.objectives",
        "spec.indicator",
        "spec.service",
    ):
        assert field in detail


def test_not_yaml_and_unknown_format():
    assert _error(("b.yaml", "a: [1, 2\n")).startswith("b.yaml:2: not valid YAML")
    assert "'nope/v1' is not a format guardrail reads" in _error(
        ("n.yaml", "apiVersion: nope/v1\n")
    )
