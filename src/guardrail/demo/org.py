"""The demo organisation as code: a Backstage catalogue with dependencies, guardrails files, SLOs
with budget policies, and an on-call file — the same formats a real team would commit."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    """How a service behaves in the generated history."""

    name: str
    team: str
    tier: int
    deploys_per_weekday: float  # production deployments on a working day, at the start
    failure_rate: float  # share of production deployments that fail, at the start
    objective: float  # availability SLO target
    error_ratio: float  # its usual share of failed requests


PROFILES = (
    Profile("checkout-api", "payments", 1, 1.6, 0.12, 0.999, 0.0003),
    Profile("payments-gateway", "payments", 1, 0.8, 0.08, 0.999, 0.0002),
    Profile("ledger", "payments", 2, 0.4, 0.05, 0.995, 0.0005),
    Profile("web-storefront", "storefront", 1, 2.4, 0.14, 0.995, 0.0010),
    Profile("search", "storefront", 2, 1.0, 0.18, 0.995, 0.0012),
    Profile("recommendations", "storefront", 3, 1.0, 0.15, 0.99, 0.0030),
    Profile("identity", "platform", 1, 0.6, 0.06, 0.999, 0.0002),
    Profile("notifications", "platform", 3, 0.3, 0.10, 0.99, 0.0020),
)

# The service whose error budget runs out in the last weeks of the history.
EXHAUSTED = "search"

DEPENDS_ON = {
    "checkout-api": ["payments-gateway", "ledger", "identity", "notifications"],
    "payments-gateway": ["ledger"],
    "web-storefront": ["checkout-api", "search", "recommendations", "identity"],
    "search": ["recommendations"],
    "recommendations": [],
    "identity": ["notifications"],
    "ledger": [],
    "notifications": [],
}

LEADS = {"payments": "ana", "storefront": "chen", "platform": "eli"}
ENGINEERS = {"payments": ["ben", "ana"], "storefront": ["dana", "chen"], "platform": ["fay", "eli"]}


def catalog(titles: dict[str, tuple[str, str]]) -> str:
    """Backstage ``catalog-info.yaml`` documents: one Component per service, with dependsOn
    (``titles``: name -> (title, description))."""
    docs = []
    for p in PROFILES:
        depends = "".join(f"\n      - component:default/{d}" for d in DEPENDS_ON[p.name])
        title, description = titles[p.name]
        docs.append(
            f"""apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: {p.name}
  title: {title}
  description: {description}
  annotations:
    guardrail.io/tier: "{p.tier}"
spec:
  type: service
  lifecycle: production
  owner: group:default/{p.team}
  dependsOn:{depends or " []"}
"""
        )
    return "---\n".join(docs)


def guardrails(team: str) -> str:
    """A service's guardrails: freeze and budget first, tests must pass, low risk flows, the rest
    waits for one approval from the owning team."""
    return f"""\
default: require_approval
standard_changes: [dependency-bump, feature-flag-flip]
risk:
  thresholds: {{medium: 35, high: 60, critical: 80}}
steps:
  - step: freeze_window
  - step: error_budget
    if: change.type != 'emergency'
  - step: tests_passed
    on_fail: block_deploy
  - step: static_security_scan
    on_fail: block_deploy
  - step: compliance_check
    if: change.risk == 'low'
    on_pass: auto_approve
  - step: approval
    if: change.risk in ['medium', 'high', 'critical'] && change.type != 'emergency'
    group: {team}
    count: 1
"""


def slo_spec(p: Profile) -> str:
    """An event-counted availability SLO (OpenSLO v1) and its error-budget policy."""
    return f"""\
apiVersion: openslo/v1
kind: SLO
metadata:
  name: {p.name}-availability
  displayName: {p.name} availability
spec:
  service: {p.name}
  indicator:
    metadata:
      name: {p.name}-requests
    spec:
      ratioMetric:
        good:
          metricSource: {{type: guardrail}}
        total:
          metricSource: {{type: guardrail}}
  timeWindow:
    - duration: 28d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - target: {p.objective}
---
apiVersion: guardrail/v1
kind: ErrorBudgetPolicy
metadata:
  name: {p.name}-budget
spec:
  service: {p.name}
  rules:
    - name: freeze-on-exhaustion
      action: block_changes
      when: {{budgetRemainingBelow: 0, window: 28d}}
      except: [emergency, security]
      onNoData: fail_open
"""


def oncall(start_day: str) -> str:
    """Weekly rotations per team and a two-level escalation policy per team."""
    schedules, policies = [], []
    for team, lead in LEADS.items():
        members = ", ".join(ENGINEERS[team])
        services = ", ".join(p.name for p in PROFILES if p.team == team)
        schedules.append(
            f"""  - name: {team}-primary
    timezone: Europe/Berlin
    team: {team}
    layers:
      - name: weekly
        rotation: weekly
        start: {start_day}
        handoff: "09:00"
        members: [{members}]
"""
        )
        policies.append(
            f"""  - name: {team}
    default: {"true" if team == "platform" else "false"}
    services: [{services}]
    repeat: 1
    levels:
      - delay: 5m
        targets: [{{schedule: {team}-primary}}]
      - delay: 15m
        targets: [{{person: {lead}}}]
"""
        )
    return "schedules:\n" + "".join(schedules) + "policies:\n" + "".join(policies)
