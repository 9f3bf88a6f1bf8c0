"""With a real Prometheus: guardrail's SLI and burn rates match what Prometheus reports, a 10%
error ratio fires the page alert once, recovery resolves it, and an outage reads as no data."""

from __future__ import annotations

import time

import pytest
from prom_fixtures import Target, query, run_prometheus, serve_target, wait_for
from slo_fixtures import ACTOR, SLOTH, make_service, policy

from guardrail.kit.time import utcnow
from guardrail.slo import jobs
from guardrail.slo import service as slo_service
from guardrail.slo.documents import parse_files
from guardrail.slo.rules import render, sli_expression
from guardrail.slo.schemas import ApplyIn, SpecFile
from guardrail.slo.verdict import BudgetState

# Small windows so the test runs in about a minute: a 1h SLO period, pairs of seconds.
WINDOWS = """\
apiVersion: sloth.slok.dev/v1
kind: AlertWindows
spec:
  sloPeriod: 1h
  page:
    quick: {errorBudgetPercent: 2, shortWindow: 10s, longWindow: 30s}
    slow: {errorBudgetPercent: 5, shortWindow: 20s, longWindow: 1m}
  ticket:
    quick: {errorBudgetPercent: 10, shortWindow: 30s, longWindow: 2m}
    slow: {errorBudgetPercent: 10, shortWindow: 1m, longWindow: 3m}
"""
SPEC = SLOTH.replace("objective: 99.9", "objective: 99")  # budget 1%: 10% errors burn at 10x


def _files():  # type: ignore[no-untyped-def]
    return [("sloth.yaml", SPEC), ("windows.yaml", WINDOWS)]


def _evaluate(db):  # type: ignore[no-untyped-def]
    now = utcnow()
    with db.unit_of_work() as session:
        slo_service.evaluate(session, now)
    return now


def _state(db):  # type: ignore[no-untyped-def]
    with db.reader() as session:
        slo = slo_service.get_slo(session, "requests-availability")
        return slo.status, dict(slo.state or {}), slo.last_error


def _open(db, severity="page"):  # type: ignore[no-untyped-def]
    with db.reader() as session:
        return slo_service.active_alerts(session, service_id="checkout-api", severity=severity)


@pytest.fixture
def sink(monkeypatch):  # type: ignore[no-untyped-def]
    seen: list[jobs.AlertEvent] = []
    monkeypatch.setattr(jobs, "ALERT_SINKS", [lambda session, event: seen.append(event)])
    return seen


def test_burn_rate_alert_against_real_prometheus(db, tmp_path, sink):
    rules = tmp_path / "rules.yaml"
    specs = parse_files(_files(), default_period="1h")
    rules.write_text(render(specs.slos))  # Prometheus evaluates guardrail's exported rules too
    target = Target()
    with serve_target(target) as target_port, run_prometheus(tmp_path, target_port, rules) as url:
        make_service(db)
        files = [
            SpecFile(name=n, content=t)
            for n, t in [*_files(), ("policy.yaml", policy(window="1h"))]
        ]
        with db.unit_of_work() as session:
            slo_service.apply_specs(
                session, ACTOR, ApplyIn(files=files, default_period="1h", prometheus_url=url)
            )
        wait_for(lambda: query(url, 'sum(rate(http_requests_total{job="checkout"}[10s]))'))

        # Healthy: data, no alert.
        _evaluate(db)
        status, state, _ = _state(db)
        assert status == "ok" and state["error_ratio"] == 0.0 and _open(db) == []

        # 10% of requests fail: the page alert fires, once.
        target.ratio = 0.1
        wait_for(lambda: _evaluate(db) and _open(db), timeout=60)
        for _ in range(3):
            _evaluate(db)
        assert [e.action for e in sink if e.severity == "page"] == ["fired"]
        (alert,) = _open(db)
        assert alert.state == "firing"

        # guardrail's numbers are Prometheus' numbers for the same expressions at the same time.
        spec = specs.slos[0]
        at = _evaluate(db)
        _, state, _ = _state(db)
        for seconds, label in ((10, "10s"), (30, "30s"), (60, "1m")):
            (sample,) = query(url, sli_expression(spec, seconds), at.timestamp())
            assert state["burn_rates"][label] == pytest.approx(float(sample["value"][1]) / 0.01)
        independent = (
            'sum(increase(http_requests_total{job="checkout",code="500"}[30s])) / '
            'sum(increase(http_requests_total{job="checkout"}[30s]))'
        )
        (sample,) = query(url, independent, at.timestamp())
        assert state["burn_rates"]["30s"] * 0.01 == pytest.approx(float(sample["value"][1]))

        # Once the 30s window is all 10% errors, Prometheus' own recording rule agrees, and its
        # own alert (from guardrail's exported rules) fires too.
        wait_for(lambda: _recorded(url, "30s") > 0.099, timeout=60)
        at = _evaluate(db)
        _, state, _ = _state(db)
        assert state["burn_rates"]["30s"] == pytest.approx(10.0, abs=0.2)
        assert _recorded(url, "30s") == pytest.approx(0.1, abs=0.002)
        assert wait_for(lambda: query(url, 'ALERTS{sloth_severity="page",alertstate="firing"}'))

        # Recovery: the short windows clear and the alert resolves.
        target.ratio = 0.0
        wait_for(lambda: _evaluate(db) and not _open(db), timeout=60)
        assert [e.action for e in sink if e.severity == "page"] == ["fired", "resolved"]

    # Prometheus is gone: no data, and the policy's fail-open rule is what the verdict says.
    time.sleep(0.2)
    _evaluate(db)
    status, _, error = _state(db)
    assert status == "no_data" and "unreachable" in (error or "")
    with db.reader() as session:
        verdict = slo_service.budget_verdict(session, "checkout-api", "production", "normal")
    assert verdict.state == BudgetState.no_data and verdict.allowed
    assert "no data for SLO requests-availability since 20" in verdict.reason
    assert "policy freeze-on-exhaustion fails open" in verdict.reason


def _recorded(url: str, window: str) -> float:
    result = query(url, f'slo:sli_error:ratio_rate{window}{{sloth_service="checkout-api"}}')
    return float(result[0]["value"][1]) if result else 0.0
