"""With a real Prometheus: Timeslices and thresholdMetric SLIs judged slice by slice, the SLA view
per calendar month, the GUARDRAIL_PROMETHEUS_URL default, and "no data since …" once Prometheus
is gone. Every figure is checked against Prometheus' own answer for the same data."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta

import pytest
from prom_fixtures import (
    Target,
    backfill,
    query,
    query_range,
    run_prometheus,
    serve_target,
    wait_for,
)
from slo_fixtures import SLOTH, apply, make_service

from guardrail.config import reset_settings
from guardrail.errors import InvalidInput
from guardrail.kit.time import isoformat, utcnow
from guardrail.slo import service as slo_service
from guardrail.slo.periods import month_starts
from guardrail.slo.rules import sli_expression
from guardrail.slo.spec import format_seconds

SLICES = """\
apiVersion: openslo/v1
kind: DataSource
metadata:
  name: prom
spec:
  type: Prometheus
  connectionDetails:
    url: {url}
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: checkout-good-slices
spec:
  service: checkout-api
  indicator:
    metadata:
      name: checkout-errors
    spec:
      ratioMetric:
        counter: true
        bad:
          metricSource:
            metricSourceRef: prom
            spec:
              query: sum(rate(http_requests_total{{job="checkout",code=~"5.."}}[{{{{.window}}}}]))
        total:
          metricSource:
            metricSourceRef: prom
            spec:
              query: sum(rate(http_requests_total{{job="checkout"}}[{{{{.window}}}}]))
  timeWindow:
    - duration: 1h
      isRolling: true
  budgetingMethod: Timeslices
  objectives:
    - target: 0.9
      timeSliceTarget: 0.95
      timeSliceWindow: 10s
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: checkout-latency-p99
spec:
  service: checkout-api
  indicator:
    metadata:
      name: checkout-p99
    spec:
      thresholdMetric:
        metricSource:
          metricSourceRef: prom
          spec:
            query: >-
              histogram_quantile(0.99, sum by (le)
              (rate(http_request_duration_seconds_bucket{{job="checkout"}}[{{{{.window}}}}])))
  timeWindow:
    - duration: 1h
      isRolling: true
  budgetingMethod: Timeslices
  objectives:
    - target: 0.9
      op: lt
      value: 0.3
      timeSliceWindow: 10s
"""
# The same expressions, written out here, for Prometheus' own query_range answer.
ERROR_RATIO_10S = (
    'sum(rate(http_requests_total{job="checkout",code=~"5.."}[10s])) / '
    'sum(rate(http_requests_total{job="checkout"}[10s]))'
)
P99_10S = (
    "histogram_quantile(0.99, sum by (le) "
    '(rate(http_request_duration_seconds_bucket{job="checkout"}[10s])))'
)


def _evaluate(db, at):  # type: ignore[no-untyped-def]
    with db.unit_of_work() as session:
        slo_service.evaluate(session, at)


def _slo(db, name):  # type: ignore[no-untyped-def]
    with db.reader() as session:
        slo = slo_service.get_slo(session, name)
        return slo.status, dict(slo.state or {}), slo.data_at, slo.last_error


def _bad_share(url: str, expr: str, at: datetime, seconds: int, good) -> float:  # type: ignore[no-untyped-def]
    """Bad slices ÷ slices of 10s ending at ``at``, from Prometheus' query_range, judged here."""
    end = at.timestamp()
    values = query_range(url, expr, end - (seconds - 10), end, 10)
    assert values, f"Prometheus has no {expr} samples"
    return sum(1 for v in values if not good(v)) / len(values)


def test_timeslices_and_threshold_slis_against_real_prometheus(
    db, tmp_path, cli, live_server, admin_token
):
    target = Target()
    with serve_target(target) as port, run_prometheus(tmp_path, port, None) as url:
        make_service(db)
        apply(db, SLICES.format(url=url))
        wait_for(lambda: query(url, ERROR_RATIO_10S))
        time.sleep(20)  # healthy slices
        target.ratio, target.latency = 0.2, 0.4  # 20% errors, every request 400 ms
        time.sleep(20)
        target.ratio, target.latency = 0.0, 0.02
        time.sleep(12)
        at = (utcnow() - timedelta(seconds=2)).replace(microsecond=0)
        _evaluate(db, at)

        status, state, data_at, _ = _slo(db, "checkout-good-slices")
        assert status == "ok"
        for seconds, label in ((300, "5m"), (3600, "1h")):
            share = _bad_share(url, ERROR_RATIO_10S, at, seconds, lambda v: 1 - v >= 0.95)
            assert 0 < share < 1  # some slices good, some bad
            assert state["burn_rates"][label] == pytest.approx(share / 0.1)
        assert state["error_ratio"] == pytest.approx(
            _bad_share(url, ERROR_RATIO_10S, at, 3600, lambda v: 1 - v >= 0.95)
        )

        status, state, _, _ = _slo(db, "checkout-latency-p99")
        assert status == "ok"
        p99_share = _bad_share(url, P99_10S, at, 300, lambda v: v < 0.3)
        assert 0 < p99_share < 1
        assert state["burn_rates"]["5m"] == pytest.approx(p99_share / 0.1)
        assert state["sli"] == pytest.approx(
            1 - _bad_share(url, P99_10S, at, 3600, lambda v: v < 0.3)
        )

    # Prometheus is gone (its port is closed): status says since when there has been no data.
    _evaluate(db, utcnow())
    status, _, since, error = _slo(db, "checkout-latency-p99")
    assert status == "no_data" and since == data_at and "unreachable" in (error or "")
    env = {"GUARDRAIL_URL": live_server, "GUARDRAIL_TOKEN": admin_token}
    shown = cli("slo", "status", "--service", "checkout-api", env=env)
    assert shown.exit_code == 0, shown.output
    assert shown.output.count(f"no data since {at:%Y-%m-%dT%H:%M:%S}") == 2, shown.output
    as_json = json.loads(cli("slo", "status", "--json", env=env).output)
    assert {datetime.fromisoformat(i["data_at"]) for i in as_json["items"]} == {at}
    report = cli("slo", "report", "checkout-latency-p99", "--months", "1", env=env)
    assert report.exit_code == 0 and "is unreachable" in report.output, report.output


# --- the SLA view per calendar month, from backfilled history ------------------------------------

STEP = 300  # one backfilled sample every 5 minutes
BERLIN = """\
apiVersion: openslo/v1
kind: SLO
metadata:
  name: checkout-monthly
spec:
  service: checkout-api
  indicator:
    metadata:
      name: checkout-errors
    spec:
      ratioMetric:
        bad:
          metricSource:
            type: Prometheus
            spec:
              query: sum(rate(http_requests_total{job="checkout",code=~"5.."}[{{.window}}]))
        total:
          metricSource:
            type: Prometheus
            spec:
              query: sum(rate(http_requests_total{job="checkout"}[{{.window}}]))
  timeWindow:
    - duration: 1M
      isRolling: false
      calendar:
        startTime: 2020-01-01 00:00:00
        timeZone: Europe/Berlin
  budgetingMethod: Occurrences
  objectives:
    - target: 0.999
"""


def _history(boundary: datetime) -> dict[str, list[tuple[float, float]]]:
    """Three days each side of a UTC month start: 1% errors before it, 0.1% after; 3000 requests
    per 5 minutes. The sample at t counts the requests of (t - 5m, t]."""
    first = boundary.timestamp() - 3 * 86400
    ok, bad = 1_000_000.0, 1_000_000.0  # far from zero, so rate() never clamps its extrapolation
    series: dict[str, list[tuple[float, float]]] = {'job="checkout",code="200"': []}
    series['job="checkout",code="500"'] = []
    for index in range(6 * 86400 // STEP + 1):
        at = first + index * STEP
        errors = 30 if at <= boundary.timestamp() else 3
        ok, bad = ok + 3000 - errors, bad + errors
        series['job="checkout",code="200"'].append((at, ok))
        series['job="checkout",code="500"'].append((at, bad))
    return series


def _prometheus_error_ratio(url: str, spec, start: str, end: str) -> float:  # type: ignore[no-untyped-def]
    begin, finish = datetime.fromisoformat(start), datetime.fromisoformat(end)
    seconds = int((finish - begin).total_seconds())
    (same,) = query(url, sli_expression(spec, seconds), finish.timestamp())
    window = format_seconds(seconds)
    independent = (
        f'sum(increase(http_requests_total{{job="checkout",code="500"}}[{window}])) / '
        f'sum(increase(http_requests_total{{job="checkout"}}[{window}]))'
    )
    (other,) = query(url, independent, finish.timestamp())
    assert float(same["value"][1]) == pytest.approx(float(other["value"][1]), rel=1e-9)
    return float(same["value"][1])


def test_sla_months_for_prometheus_slos_and_the_default_url(
    db, tmp_path, monkeypatch, client, auth
):
    this_month = month_starts(utcnow(), 2)[0][0]  # the previous month's start: closed, in the past
    backfill(tmp_path, _history(this_month))
    target = Target()
    keep = ("--storage.tsdb.retention.time=3650d",)  # the backfilled days are weeks old
    with serve_target(target) as port, run_prometheus(tmp_path, port, None, keep) as url:
        make_service(db)
        # Neither a DataSource URL nor the setting: a clear error.
        with pytest.raises(InvalidInput, match="set GUARDRAIL_PROMETHEUS_URL or add a DataSource"):
            apply(db, SLOTH)
        monkeypatch.setenv("GUARDRAIL_PROMETHEUS_URL", url)
        reset_settings()
        apply(db, SLOTH, BERLIN)
        wait_for(lambda: query(url, "count(http_requests_total)"))

        now = this_month + timedelta(days=2)
        with db.reader() as session:
            sloth_slo = slo_service.get_slo(session, "requests-availability")
            berlin_slo = slo_service.get_slo(session, "checkout-monthly")
            utc = slo_service.report(session, sloth_slo, 3, now)
            berlin = slo_service.report(session, berlin_slo, 2, now)
            sloth_spec, berlin_spec = (
                slo_service.spec_of(sloth_slo),
                slo_service.spec_of(berlin_slo),
            )

        # UTC months: none before the history, 1% errors the month before, 0.1% this one so far.
        assert utc.zone == "UTC"
        labels = [f"{start:%Y-%m}" for start, _ in month_starts(now, 3)]
        assert [r.period for r in utc.rows[1:]] == labels
        empty, previous, current = utc.rows[1:]
        assert (empty.sli, empty.met, empty.error) == (None, None, None)
        assert previous.end == isoformat(this_month) and current.end == isoformat(now)
        assert 1 - previous.sli == pytest.approx(0.01, rel=1e-9) and previous.met is False
        assert 1 - current.sli == pytest.approx(0.001, rel=1e-9)
        for row in (previous, current):
            prom = _prometheus_error_ratio(url, sloth_spec, row.start, row.end)
            assert 1 - row.sli == pytest.approx(prom, rel=1e-12)

        # Berlin months start at local midnight, hours before the UTC month: those hours of 1%
        # errors count in this Berlin month.
        (_, row) = berlin.rows[1:]
        start = datetime.fromisoformat(row.start)
        assert (
            berlin.zone == "Europe/Berlin" and start == month_starts(now, 1, "Europe/Berlin")[0][0]
        )
        assert timedelta(hours=1) <= this_month - start <= timedelta(hours=2)
        before = int((this_month - start).total_seconds()) // STEP
        after = int((now - this_month).total_seconds()) // STEP
        expected = (before * 30 + after * 3) / ((before + after) * 3000)
        assert 1 - row.sli == pytest.approx(expected, rel=1e-9)
        prom = _prometheus_error_ratio(url, berlin_spec, row.start, row.end)
        assert 1 - row.sli == pytest.approx(prom, rel=1e-12)

        # The evaluator uses the setting too.
        _evaluate(db, now)
        assert _slo(db, "requests-availability")[0] == "ok"
        assert _slo(db, "checkout-monthly")[1]["error_ratio"] == pytest.approx(expected, rel=1e-9)

        # The API's report: the current calendar month from the live target (no errors).
        wait_for(lambda: query(url, ERROR_RATIO_10S))
        answer = client.get(
            f"/api/v1/slos/{sloth_slo.id}/report", params={"months": 1}, headers=auth
        )
        assert answer.status_code == 200, answer.text
        (window_row, month_row) = answer.json()["rows"]
        assert window_row["period"] == "last 30d" and month_row["sli"] == 1.0
        assert month_row["met"] is True and month_row["error"] is None

    # The setting removed: the evaluation says what to do.
    monkeypatch.delenv("GUARDRAIL_PROMETHEUS_URL")
    reset_settings()
    _evaluate(db, now + timedelta(minutes=1))
    status, _, _, error = _slo(db, "requests-availability")
    assert status == "no_data"
    assert error == (
        "no Prometheus URL: set GUARDRAIL_PROMETHEUS_URL or add a DataSource with "
        "connectionDetails.url"
    )
