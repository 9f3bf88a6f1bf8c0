"""Spec documents and helpers shared by the slo tests."""

from __future__ import annotations

from guardrail.cmdb import service as cmdb
from guardrail.cmdb.schemas import ServiceCreate
from guardrail.kit.context import Actor
from guardrail.slo import service as slo_service
from guardrail.slo.schemas import ApplyIn, SpecFile

ACTOR = Actor.system("tests")

OPENSLO = """\
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
  name: checkout-availability
  displayName: Checkout availability
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
    - duration: 28d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - displayName: 99.9% of checkout requests succeed
      target: 0.999
"""

SLOTH = """\
version: "prometheus/v1"
service: "checkout-api"
labels:
  owner: "payments"
slos:
  - name: "requests-availability"
    objective: 99.9
    description: "Checkout requests that do not fail."
    sli:
      events:
        error_query: sum(rate(http_requests_total{job="checkout",code=~"(5..|429)"}[{{.window}}]))
        total_query: sum(rate(http_requests_total{job="checkout"}[{{.window}}]))
    alerting:
      name: CheckoutHighErrorRate
      labels:
        category: "availability"
      page_alert:
        labels:
          severity: critical
      ticket_alert:
        labels:
          severity: warning
"""

EVENTS_SLO = """\
apiVersion: openslo/v1
kind: SLO
metadata:
  name: {name}
spec:
  service: {service}
  indicator:
    metadata:
      name: {name}-events
    spec:
      ratioMetric:
        good:
          metricSource: {{type: guardrail}}
        total:
          metricSource: {{type: guardrail}}
  timeWindow:
    - duration: {window}
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - target: {target}
"""

POLICY = """\
apiVersion: guardrail/v1
kind: ErrorBudgetPolicy
metadata:
  name: checkout-budget
spec:
  service: {service}
  rules:
    - name: freeze-on-exhaustion
      action: block_changes
      when: {{budgetRemainingBelow: 0, window: {window}}}
      except: [emergency, security]
      onNoData: {no_data}
    - name: postmortem-over-20-percent
      action: require_postmortem
      when: {{incidentBudgetConsumedAbove: 20%}}
"""


def make_service(db, name: str = "checkout-api") -> str:  # type: ignore[no-untyped-def]
    with db.unit_of_work() as session:
        return cmdb.create_service(session, ACTOR, ServiceCreate(name=name)).id


def apply(db, *texts: str, **options: object):  # type: ignore[no-untyped-def]
    files = [SpecFile(name=f"spec{i}.yaml", content=t) for i, t in enumerate(texts)]
    with db.unit_of_work() as session:
        return slo_service.apply_specs(session, ACTOR, ApplyIn(files=files, **options))


def events_slo(
    name: str = "checkout-events",
    service: str = "checkout-api",
    window: str = "28d",
    target: float = 0.999,
) -> str:
    return EVENTS_SLO.format(name=name, service=service, window=window, target=target)


def policy(service: str = "checkout-api", window: str = "28d", no_data: str = "fail_open") -> str:
    return POLICY.format(service=service, window=window, no_data=no_data)
