"""What each built-in step checks. Each returns (passed, messages)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from guardrail.changes.policy import cel as cel_module
from guardrail.changes.policy import rego as rego_module
from guardrail.changes.policy.steps import PRIORITIES, RISK_LEVELS, SARIF_LEVELS

Check = tuple[bool, list[str]]
MAX_NAMED = 5


class StepInput:
    """What a step may read: the CEL variables (budget computed on first use) and a context."""

    def __init__(
        self,
        variables: dict[str, Any],
        budget: Callable[[], dict[str, Any]],
        actions: Callable[[], list[dict[str, Any]]] = list,
    ) -> None:
        self.variables = variables
        self._budget = budget
        self._actions = actions
        self.context: Any = None  # the shared CEL context, built by the engine

    @property
    def evidence(self) -> dict[str, Any]:
        evidence: dict[str, Any] = self.variables["evidence"]
        return evidence

    @property
    def budget(self) -> dict[str, Any]:
        return self._budget()

    @property
    def action_items(self) -> list[dict[str, Any]]:
        """The service's open action items (read on first use): id, priority, title, due_at,
        overdue."""
        return self._actions()


def sarif(params: dict[str, Any], data: StepInput) -> Check:
    scan = data.evidence["sarif"]
    if not scan["present"]:
        if params["required"]:
            return False, ["no SARIF scan is attached; attach the scanner's .sarif file"]
        return True, ["no SARIF scan attached (not required)"]
    levels = SARIF_LEVELS[: SARIF_LEVELS.index(params["level"]) + 1]
    found = [f for f in scan["findings"] if f["level"] in levels]
    count = sum(scan[level] for level in levels)
    if count == 0:
        return True, [f"SARIF: no finding at level {params['level']} or above"]
    named = [_finding(f) for f in found[:MAX_NAMED]]
    more = f" and {count - len(named)} more" if count > len(named) else ""
    return False, [
        f"SARIF: {count} finding(s) at level {params['level']} or above: " + "; ".join(named) + more
    ]


def _finding(finding: dict[str, Any]) -> str:
    where = f" at {finding['location']}" if finding.get("location") else ""
    return (
        f"[{finding['tool']}] {finding['rule']} ({finding['level']}){where}: {finding['message']}"
    )


def tests(params: dict[str, Any], data: StepInput) -> Check:
    report = data.evidence["tests"]
    if not report["present"]:
        if params["required"]:
            return False, ["no test report is attached; attach the JUnit XML your tests wrote"]
        return True, ["no test report attached (not required)"]
    failed = report["failed"]
    if failed:
        names = ", ".join(report["failed_cases"][:MAX_NAMED])
        return False, [f"tests: {failed} of {report['total']} failed: {names}"]
    if report["total"] < params["min_tests"]:
        return False, [f"tests: only {report['total']} ran; at least {params['min_tests']} must"]
    return True, [f"tests: {report['passed']} passed, {report['skipped']} skipped"]


def coverage(params: dict[str, Any], data: StepInput) -> Check:
    value = data.evidence["facts"].get(params["fact"])
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False, [f"no numeric `{params['fact']}` fact; attach it, e.g. {params['fact']}=83.5"]
    if value < params["min"]:
        return False, [f"coverage {value}% is below the minimum {params['min']}%"]
    return True, [f"coverage {value}% ≥ {params['min']}%"]


def required(params: dict[str, Any], data: StepInput) -> Check:
    missing = [name for name in params["evidence"] if not _present(name, data.variables)]
    if missing:
        return False, [f"required evidence missing: {', '.join(missing)}"]
    return True, [f"required evidence present: {', '.join(params['evidence'])}"]


def _present(name: str, variables: dict[str, Any]) -> bool:
    evidence, links = variables["evidence"], variables["change"]["links"]
    if name.startswith("fact:"):
        return name[5:] in evidence["facts"]
    if name.startswith("link:"):
        return bool(links.get(name[5:]))
    section = {"tests": "tests", "junit": "tests", "sarif": "sarif", "diff": "diff"}.get(name)
    return bool(section and evidence[section]["present"]) or name in evidence["facts"]


def compliance(params: dict[str, Any], data: StepInput) -> Check:
    ok, messages = required({"evidence": params["require"]}, data)
    if not ok:
        return ok, messages
    if data.evidence["tests"]["present"]:
        return tests({"required": True, "min_tests": 0}, data)
    return True, messages


def risk(params: dict[str, Any], data: StepInput) -> Check:
    level = data.variables["risk"]["level"]
    if RISK_LEVELS.index(level) > RISK_LEVELS.index(params["max"]):
        score = data.variables["risk"]["score"]
        return False, [f"risk is {level} ({score} points); this step allows up to {params['max']}"]
    return True, [f"risk {level} is within {params['max']}"]


def freeze(params: dict[str, Any], data: StepInput) -> Check:
    windows = data.variables["calendar"]["active"]
    if not windows:
        return True, ["no freeze window covers the change"]
    emergency = data.variables["change"]["type"] == "emergency"
    blocking = [w for w in windows if not (emergency and w["allow_emergency"])]
    if not blocking:
        names = ", ".join(w["name"] for w in windows)
        return True, [
            f"emergency change inside freeze {names}: allowed as an exception, "
            "retrospective review required"
        ]
    return False, [_window(w) for w in blocking]


def _window(window: dict[str, Any]) -> str:
    reason = f" ({window['reason']})" if window.get("reason") else ""
    return f"freeze window {window['name']!r}{reason} is in force until {window['ends_at']}"


def budget(params: dict[str, Any], data: StepInput) -> Check:
    verdict = data.budget
    reason = str(verdict.get("reason") or "")
    if verdict.get("allowed"):
        if verdict.get("state") == "no_data":
            return True, [f"{reason} (no SLI data: the policy fails open)"]
        return True, [reason]
    if verdict.get("state") == "no_data":
        return False, [f"blocked — {reason} (no SLI data: the policy fails closed)"]
    return False, [f"blocked — {reason}"]


def action_items(params: dict[str, Any], data: StepInput) -> Check:
    rank = PRIORITIES.index(params["priority"])
    counted = [
        item
        for item in data.action_items
        if PRIORITIES.index(item["priority"]) <= rank
        and (item["overdue"] or not params["overdue_only"])
    ]
    what = f"{'overdue ' if params['overdue_only'] else 'open '}{params['priority']}"
    what += " or higher" if rank else ""
    if not counted:
        return True, [f"no {what} action item on the service"]
    fixes = _fixes(data.evidence["facts"].get(params["fact"]))
    blocking = [item for item in counted if item["id"] not in fixes]
    if not blocking:
        fixed = ", ".join(item["id"] for item in counted)
        return True, [f"the change fixes the {what} action item(s) {fixed}"]
    named = [_item(item) for item in blocking[:MAX_NAMED]]
    more = f" and {len(blocking) - len(named)} more" if len(blocking) > len(named) else ""
    return False, [
        f"{len(blocking)} {what} action item(s) open on the service: {'; '.join(named)}{more}. "
        f"A change that fixes one names it: --fact {params['fact']}={blocking[0]['id']}"
    ]


def _fixes(value: Any) -> set[str]:
    if isinstance(value, str):
        return {part for part in value.replace(",", " ").split() if part}
    if isinstance(value, list):
        return {str(part) for part in value}
    return set()


def _item(item: dict[str, Any]) -> str:
    due = f", due {str(item['due_at'])[:10]}" if item.get("due_at") else ""
    return f"{item['id']} ({item['priority']}{due}) {item['title']!r}"


def check(params: dict[str, Any], data: StepInput) -> Check:
    program = cel_module.compile_expression(params["expr"])
    result = cel_module.evaluate(program, data.context)
    if not isinstance(result, bool):
        raise cel_module.CelError(f"`{params['expr']}` gave {result!r}, not true or false")
    if result:
        return True, [f"`{params['expr']}` holds"]
    return False, [params["message"] or f"`{params['expr']}` is false"]


def rego(params: dict[str, Any], data: StepInput, key: str) -> Check:
    # Only ask the SLO practice when the module reads the budget.
    reads_budget = "budget" in params["module"]
    document = {**data.variables, "budget": data.budget} if reads_budget else data.variables
    messages = rego_module.deny_messages(
        key, params["file"], params["module"], params["query"], document
    )
    if messages:
        return False, [f"{params['file']}: {m}" for m in messages]
    return True, [f"{params['file']}: no deny rule matched"]


EVALUATORS: dict[str, Callable[[dict[str, Any], StepInput], Check]] = {
    "sarif": sarif,
    "tests": tests,
    "coverage": coverage,
    "required": required,
    "compliance": compliance,
    "risk": risk,
    "freeze": freeze,
    "budget": budget,
    "actions": action_items,
    "cel": check,
}
