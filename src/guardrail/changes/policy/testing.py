"""`guardrail policy test DIR`: scenarios and Rego ``test_`` rules, run locally like `opa test`.

A scenario file is any YAML file in DIR with a top-level ``scenarios:`` list. Each scenario gives a
change and its context and the decision (and reasons) it expects; the guardrails file is
``guardrails.yaml`` in DIR unless the scenario file names another with ``guardrails:``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from guardrail.changes import evidence as evidence_module
from guardrail.changes.enums import RiskLevel
from guardrail.changes.policy import document as document_module
from guardrail.changes.policy import engine
from guardrail.changes.policy import rego as rego_module
from guardrail.changes.policy.risk_config import RiskConfig
from guardrail.changes.risk import RiskInput, score
from guardrail.errors import InvalidInput

SCENARIO_KEYS = {"name", "change", "service", "evidence", "facts", "risk", "context", "expect"}


class ScenarioError(Exception):
    """A scenario file that cannot be read; the message names the file and the problem."""


@dataclass
class Outcome:
    """One test's result, printed like `opa test` does."""

    file: str
    name: str
    passed: bool
    failures: list[str] = field(default_factory=list)


def load_guardrails(path: Path) -> tuple[dict[str, Any], str]:
    """Parse a guardrails file with the .rego files it names (next to it)."""
    text = path.read_text(encoding="utf-8")
    modules = {
        name: (path.parent / name).read_text(encoding="utf-8")
        for name in rego_files(text)
        if (path.parent / name).is_file()
    }
    try:
        document = document_module.parse(text, modules)
    except document_module.PolicyInvalid as exc:
        raise ScenarioError(
            "\n".join(f"{path}:{p.line}:{p.column}: {p.message}" for p in exc.problems)
        ) from exc
    return document, document_module.digest(document)


def rego_files(text: str) -> list[str]:
    """The ``file:`` of every rego step in a guardrails file (empty when it does not parse)."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError:
        return []
    steps = raw.get("steps") if isinstance(raw, dict) else raw
    if not isinstance(steps, list):
        return []
    return [
        s["file"]
        for s in steps
        if isinstance(s, dict) and s.get("step") == "rego" and isinstance(s.get("file"), str)
    ]


def run_directory(directory: Path, guardrails: Path | None = None) -> list[Outcome]:
    """Every scenario and Rego test in ``directory``."""
    results: list[Outcome] = []
    for path in sorted(directory.rglob("*.y*ml")):
        raw = _read_yaml(path)
        if isinstance(raw, dict) and "scenarios" in raw:
            target = (
                path.parent / raw["guardrails"]
                if raw.get("guardrails")
                else (guardrails or directory / "guardrails.yaml")
            )
            results.extend(run_file(path, raw, target))
    for path in sorted(directory.rglob("*.rego")):
        for test in rego_module.run_tests(path.name, path.read_text(encoding="utf-8")):
            failures = (
                [test.error]
                if test.error
                else ([] if test.passed else ["rule is false or undefined"])
            )
            results.append(Outcome(str(path), test.rule, test.passed, failures))
    return results


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path}: not valid YAML: {exc}") from exc


def run_file(path: Path, raw: dict[str, Any], guardrails: Path) -> list[Outcome]:
    if not guardrails.is_file():
        raise ScenarioError(f"{path}: no guardrails file {guardrails} (set `guardrails:`)")
    document, digest = load_guardrails(guardrails)
    policy = engine.compile_policy(document, digest)
    scenarios = raw.get("scenarios")
    if not isinstance(scenarios, list):
        raise ScenarioError(f"{path}: `scenarios` must be a list")
    return [_run(path, policy, s, i) for i, s in enumerate(scenarios)]


def _run(path: Path, policy: engine.CompiledPolicy, scenario: Any, index: int) -> Outcome:
    if not isinstance(scenario, dict) or set(scenario) - SCENARIO_KEYS:
        extra = sorted(set(scenario) - SCENARIO_KEYS) if isinstance(scenario, dict) else []
        raise ScenarioError(
            f"{path}: scenario {index + 1} must be a mapping of "
            f"{', '.join(sorted(SCENARIO_KEYS))}" + (f" (unknown: {extra})" if extra else "")
        )
    name = str(scenario.get("name") or f"scenario {index + 1}")
    try:
        facts, risk_level, granted = _facts(path, policy, scenario)
    except (InvalidInput, OSError, KeyError, ValueError, TypeError) as exc:
        detail = exc.detail if isinstance(exc, InvalidInput) else str(exc)
        return Outcome(str(path), name, False, [f"could not build the scenario: {detail}"])
    result = engine.evaluate(policy, facts, lambda r: granted(r))
    failures = _compare(scenario.get("expect") or {}, result, risk_level)
    return Outcome(str(path), name, not failures, failures)


def _facts(
    path: Path, policy: engine.CompiledPolicy, scenario: dict[str, Any]
) -> tuple[engine.Facts, str, Any]:
    context = scenario.get("context") or {}
    change = {
        "type": "normal",
        "environment": "production",
        "authors": [],
        "links": {},
        "service": "service",
        **(scenario.get("change") or {}),
    }
    service = {"name": change["service"], "tier": 3, **(scenario.get("service") or {})}
    items = [
        evidence_module.recognise(f, (path.parent / f).read_text(encoding="utf-8"))
        for f in scenario.get("evidence") or []
    ]
    evidence = evidence_module.combine([(p.kind, p.name, p.summary) for p in items])
    evidence["facts"].update(scenario.get("facts") or {})
    risk = _risk(scenario, change, service, evidence, context, policy)
    change.update(
        risk=risk["level"], risk_score=risk["score"], emergency=change["type"] == "emergency"
    )
    active = [
        {"name": "freeze", "reason": "", "ends_at": "", "allow_emergency": True, **f}
        for f in context.get("freezes") or []
    ]
    budget = {
        "state": "no_slo",
        "allowed": True,
        "remaining": None,
        "reason": f"{service['name']} has no SLO",
        **(context.get("budget") or {}),
    }
    actions = _action_items(context)
    facts = engine.Facts(
        change=change,
        service=service,
        risk=risk,
        evidence=evidence,
        calendar={
            "frozen": bool(active),
            "active": active,
            "windows": [w["name"] for w in active],
            "hours_to_next_freeze": None,
        },
        budget=lambda: budget,
        actions=lambda: actions,
    )
    approvals = context.get("approvals") or {}

    def granted(requirement: engine.Requirement) -> engine.Granted:
        count = int(approvals.get(requirement.step, approvals.get(requirement.key, 0)))
        return engine.Granted(count, [f"approver{i + 1}" for i in range(count)])

    return facts, risk["level"], granted


def _risk(
    scenario: dict[str, Any],
    change: dict[str, Any],
    service: dict[str, Any],
    evidence: dict[str, Any],
    context: dict[str, Any],
    policy: engine.CompiledPolicy,
) -> dict[str, Any]:
    given = scenario.get("risk") or {}
    config = RiskConfig.from_dict(policy.document["risk"])
    now = context.get("now") or datetime(2026, 1, 6, 12, tzinfo=UTC)  # a Tuesday noon
    if isinstance(now, str):
        now = datetime.fromisoformat(now.replace("Z", "+00:00"))
    points, level, factors = score(
        RiskInput(
            change_type=change["type"],
            tier=int(service["tier"]),
            evidence=evidence,
            at=now,
            impacted=context.get("impacted") or [],
            failure_rate=context.get("failure_rate"),
            overdue_actions=[a for a in _action_items(context) if a["overdue"]],
        ),
        config,
    )
    level_name = str(given.get("level") or level.value)
    RiskLevel(level_name)
    return {
        "level": level_name,
        "score": int(given.get("score", points)),
        "factors": {f.name: f.points for f in factors},
    }


def _action_items(context: dict[str, Any]) -> list[dict[str, Any]]:
    """The service's open action items a scenario describes (``context.action_items``)."""
    base = {"id": "act_scenario", "priority": "P2", "title": "", "due_at": None, "overdue": False}
    return [{**base, **item} for item in context.get("action_items") or []]


def _compare(expect: dict[str, Any], result: engine.Evaluation, risk: str) -> list[str]:
    failures = []
    if "decision" in expect and expect["decision"] != result.decision.value:
        failures.append(
            f"decision: expected {expect['decision']}, got {result.decision.value} "
            f"({'; '.join(result.reasons)})"
        )
    for wanted in expect.get("reasons") or []:
        if not any(str(wanted) in reason for reason in result.reasons):
            failures.append(f"no reason contains {wanted!r}; reasons: {result.reasons}")
    if "risk" in expect and expect["risk"] != risk:
        failures.append(f"risk: expected {expect['risk']}, got {risk}")
    if "needs_review" in expect and bool(expect["needs_review"]) != result.needs_review:
        failures.append(
            f"needs_review: expected {expect['needs_review']}, got {result.needs_review}"
        )
    return failures
