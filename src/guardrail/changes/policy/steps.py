"""The built-in steps a guardrails file may name, and the parameters each accepts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from guardrail.changes.enums import Outcome

SARIF_LEVELS = ("error", "warning", "note")
RISK_LEVELS = ("low", "medium", "high", "critical")
PRIORITIES = ("P0", "P1", "P2", "P3")


@dataclass(frozen=True)
class Param:
    """A step parameter: its type, whether it must be given, and its default."""

    kind: str  # "str", "int", "number", "bool", "list", "duration", "level", "risk", "priority"
    required: bool = False
    default: Any = None
    help: str = ""


@dataclass(frozen=True)
class StepKind:
    """A built-in step: what it checks and the parameters it takes."""

    name: str
    kind: str  # which evaluator runs it (see engine.py)
    summary: str
    params: dict[str, Param] = field(default_factory=dict)
    default_on_fail: Outcome = Outcome.block_deploy


_APPROVAL_PARAMS = {
    "group": Param("str", help="team slug whose members may approve (any approver if absent)"),
    "count": Param("int", default=1, help="how many different people must approve"),
    "expires": Param("duration", default="24h", help="how long an approval stays valid"),
}
_SARIF_PARAMS = {
    "level": Param("level", default="error", help="fail on results at or above this level"),
    "required": Param("bool", default=False, help="fail when no SARIF file is attached"),
}
_TESTS_PARAMS = {
    "required": Param("bool", default=True, help="fail when no JUnit report is attached"),
    "min_tests": Param("int", default=0, help="fail when fewer tests ran"),
}


def _kinds() -> dict[str, StepKind]:
    kinds = [
        StepKind(
            "static_security_scan", "sarif", "no SARIF result at or above a level", _SARIF_PARAMS
        ),
        StepKind("sarif_check", "sarif", "no SARIF result at or above a level", _SARIF_PARAMS),
        StepKind("tests_passed", "tests", "JUnit reports show no failed tests", _TESTS_PARAMS),
        StepKind(
            "coverage_threshold",
            "coverage",
            "a coverage fact at or above a minimum",
            {
                "min": Param("number", required=True, help="minimum coverage, in percent"),
                "fact": Param("str", default="coverage", help="the fact that carries coverage"),
            },
        ),
        StepKind(
            "required_evidence",
            "required",
            "named evidence is attached",
            {
                "evidence": Param(
                    "list",
                    required=True,
                    help="tests, sarif, diff, fact:<key> or link:<name>",
                )
            },
        ),
        StepKind(
            "compliance_check",
            "compliance",
            "required evidence is attached and the tests passed",
            {"require": Param("list", default=["tests"], help="as required_evidence")},
        ),
        StepKind(
            "risk_threshold",
            "risk",
            "the risk level is at most a maximum",
            {"max": Param("risk", default="medium", help="highest level that passes")},
        ),
        StepKind("freeze_window", "freeze", "no freeze window covers the change"),
        StepKind("error_budget", "budget", "the service's error-budget policy allows changes"),
        StepKind(
            "open_action_items",
            "actions",
            "the service has no open (overdue) action item at a priority, except ones the "
            "change fixes",
            {
                "priority": Param(
                    "priority", default="P0", help="items at this priority or higher count"
                ),
                "overdue_only": Param(
                    "bool", default=True, help="only items past their due date count"
                ),
                "fact": Param(
                    "str",
                    default="fixes",
                    help="the evidence fact in which a change names the item ids it fixes",
                ),
            },
        ),
        StepKind(
            "check",
            "cel",
            "a CEL expression is true",
            {
                "expr": Param("str", required=True, help="CEL expression that must be true"),
                "message": Param("str", default="", help="the reason given when it is false"),
            },
        ),
        StepKind(
            "rego",
            "rego",
            "a Rego module's deny rules produce no message",
            {
                "module": Param("str", help="the Rego source, inline"),
                "file": Param("str", help="a .rego file next to the guardrails file"),
                "query": Param("str", help="the rule to query (default data.<package>.deny)"),
            },
        ),
    ]
    for name in ("approval", "manual_approval", "manual_security_review", "cab_review"):
        kinds.append(
            StepKind(
                name,
                "approval",
                "people approve the change",
                _APPROVAL_PARAMS,
                default_on_fail=Outcome.require_approval,
            )
        )
    return {kind.name: kind for kind in kinds}


STEP_KINDS: dict[str, StepKind] = _kinds()
COMMON_KEYS = ("step", "name", "if", "on_fail", "on_pass", "on_approve")
