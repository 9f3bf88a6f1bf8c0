"""The guardrails file: parse, validate with line and column, normalise for storage.

Two shapes are accepted. The list of steps from DESIGN.md, and a mapping with ``steps`` plus
settings (``default``, ``standard_changes``, ``risk``) for teams that need them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from guardrail.changes.enums import Outcome
from guardrail.changes.policy import cel as cel_module
from guardrail.changes.policy import rego as rego_module
from guardrail.changes.policy.risk_config import RiskConfig, risk_config_problems
from guardrail.changes.policy.steps import (
    COMMON_KEYS,
    PRIORITIES,
    RISK_LEVELS,
    SARIF_LEVELS,
    STEP_KINDS,
)
from guardrail.changes.policy.yamlsource import Node, Problem, YamlError, load
from guardrail.kit.time import parse_duration

TOP_KEYS = ("steps", "default", "standard_changes", "risk")
OUTCOMES = [o.value for o in Outcome]
DEFAULTS = ("require_approval", "auto_approve")
FORMAT = 1


class PolicyInvalid(Exception):
    """The file has problems; each carries its line and column."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


@dataclass
class _Checker:
    modules: dict[str, str]
    problems: list[Problem]

    def add(self, node: Node, message: str, line: int = 0, column: int = 0) -> None:
        self.problems.append(Problem(line or node.mark.line, column or node.mark.column, message))


def parse(text: str, modules: dict[str, str] | None = None) -> dict[str, Any]:
    """The normalised document for a guardrails file, or PolicyInvalid listing every problem."""
    try:
        root = load(text)
    except YamlError as exc:
        raise PolicyInvalid([exc.problem]) from exc
    checker = _Checker(modules or {}, [])
    if root is None:
        raise PolicyInvalid([Problem(1, 1, "the file is empty; list at least one step")])
    document = _document(root, checker)
    if checker.problems:
        raise PolicyInvalid(sorted(checker.problems, key=lambda p: (p.line, p.column)))
    return document


def _document(root: Node, checker: _Checker) -> dict[str, Any]:
    document: dict[str, Any] = {
        "format": FORMAT,
        "default": "require_approval",
        "standard_changes": [],
        "risk": RiskConfig().as_dict(),
        "steps": [],
    }
    steps_node: Node | None = root
    if isinstance(root.value, dict):
        steps_node = _settings(root, document, checker)
    if steps_node is None:
        return document
    if not isinstance(steps_node.value, list):
        checker.add(steps_node, "the guardrails must be a list of steps (`- step: name`)")
        return document
    if not steps_node.value:
        checker.add(steps_node, "the list of steps is empty; add at least one step")
    document["steps"] = [
        step for i, node in enumerate(steps_node.value) if (step := _step(node, i, checker))
    ]
    return document


def _settings(root: Node, document: dict[str, Any], checker: _Checker) -> Node | None:
    values: dict[str, Node] = root.value
    for key, child in values.items():
        if key not in TOP_KEYS:
            checker.add(child, f"unknown setting {key!r}; expected one of {', '.join(TOP_KEYS)}")
    if "steps" not in values:
        checker.add(root, "the mapping has no `steps` list")
    if (node := values.get("default")) is not None:
        if node.value not in DEFAULTS:
            checker.add(node, f"default must be one of {', '.join(DEFAULTS)}")
        else:
            document["default"] = node.value
    if (node := values.get("standard_changes")) is not None:
        names = node.plain()
        if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
            checker.add(node, "standard_changes must be a list of change model names")
        else:
            document["standard_changes"] = names
    if (node := values.get("risk")) is not None:
        document["risk"] = _risk(node, checker)
    return values.get("steps")


def _risk(node: Node, checker: _Checker) -> dict[str, Any]:
    raw = node.plain()
    problems = risk_config_problems(raw)
    for message in problems:
        checker.add(node, f"risk: {message}")
    return RiskConfig.from_dict(raw).as_dict() if not problems else RiskConfig().as_dict()


def _step(node: Node, index: int, checker: _Checker) -> dict[str, Any] | None:
    if not isinstance(node.value, dict):
        checker.add(node, "each step must be a mapping such as `- step: static_security_scan`")
        return None
    fields: dict[str, Node] = node.value
    name_node = fields.get("step")
    if name_node is None:
        checker.add(node, "this step has no `step:` naming what to run")
        return None
    kind = STEP_KINDS.get(str(name_node.value))
    if kind is None:
        known = ", ".join(sorted(STEP_KINDS))
        checker.add(name_node, f"unknown step {name_node.value!r}; known steps: {known}")
        return None
    step: dict[str, Any] = {
        "index": index,
        "step": kind.name,
        "kind": kind.kind,
        "name": kind.name,
        "line": node.mark.line,
        "if": None,
        "on_fail": kind.default_on_fail.value,
        "on_pass": Outcome.continue_.value,
        "on_approve": Outcome.continue_.value,
        "params": {},
    }
    for key, value in fields.items():
        if key in COMMON_KEYS:
            _common(step, key, value, checker)
        elif key in kind.params:
            step["params"][key] = _param(kind.params[key].kind, value, checker)
        else:
            allowed = ", ".join([*COMMON_KEYS, *kind.params])
            checker.add(value, f"step {kind.name!r} has no setting {key!r}; it accepts {allowed}")
    for key, param in kind.params.items():
        if key not in step["params"]:
            if param.required:
                checker.add(node, f"step {kind.name!r} needs `{key}:` ({param.help})")
            step["params"][key] = param.default
    _kind_specific(step, fields, node, checker)
    return step


def _common(step: dict[str, Any], key: str, value: Node, checker: _Checker) -> None:
    if key == "step":
        return
    if key == "name":
        step["name"] = str(value.value)
        return
    if key == "if":
        step["if"] = _expression(value, checker)
        return
    if value.value not in OUTCOMES:
        checker.add(value, f"unknown outcome {value.value!r} for {key}; use {', '.join(OUTCOMES)}")
        return
    step[key] = value.value


def _expression(node: Node, checker: _Checker) -> str | None:
    if not isinstance(node.value, str | bool):
        checker.add(node, "`if` must be a CEL expression, e.g. change.risk == 'low'")
        return None
    source = str(node.value).lower() if isinstance(node.value, bool) else node.value
    try:
        program = cel_module.compile_expression(source)
        cel_module.evaluate(program, cel_module.make_context(SAMPLE_CONTEXT))
    except cel_module.CelError as exc:
        if exc.message.startswith("CEL syntax error") or cel_module.is_undefined_variable(exc):
            line, column = _inside(node, exc.line, exc.column)
            hint = (
                ""
                if "syntax" in exc.message
                else f" (variables: {', '.join(cel_module.VARIABLES)})"
            )
            checker.add(node, exc.message + hint, line, column)
            return None
    return source


def _inside(node: Node, line: int, column: int) -> tuple[int, int]:
    """The file position of a position inside a scalar (exact for one-line scalars)."""
    if line == 1 and node.style in (None, "'", '"'):
        return node.mark.line, node.mark.column + column - 1 + (1 if node.style else 0)
    return node.mark.line + (line if node.style in ("|", ">") else line - 1), column


def _param(kind: str, node: Node, checker: _Checker) -> Any:
    value = node.plain()
    ok = {
        "str": isinstance(value, str),
        "int": isinstance(value, int) and not isinstance(value, bool) and value >= 0,
        "number": isinstance(value, int | float) and not isinstance(value, bool),
        "bool": isinstance(value, bool),
        "list": isinstance(value, list) and all(isinstance(v, str) for v in value),
        "level": value in SARIF_LEVELS,
        "risk": value in RISK_LEVELS,
        "priority": value in PRIORITIES,
        "duration": isinstance(value, str) and _is_duration(value),
    }[kind]
    if not ok:
        checker.add(node, f"expected {_EXPECTED[kind]}, found {value!r}")
    return value


_EXPECTED = {
    "str": "text",
    "int": "a whole number ≥ 0",
    "number": "a number",
    "bool": "true or false",
    "list": "a list of names",
    "level": f"one of {', '.join(SARIF_LEVELS)}",
    "risk": f"one of {', '.join(RISK_LEVELS)}",
    "priority": f"one of {', '.join(PRIORITIES)}",
    "duration": "a duration such as 30m, 24h or 7d",
}


def _is_duration(value: str) -> bool:
    try:
        parse_duration(value)
    except ValueError:
        return False
    return True


def _kind_specific(
    step: dict[str, Any], fields: dict[str, Node], node: Node, checker: _Checker
) -> None:
    params = step["params"]
    if step["kind"] == "cel" and isinstance(params.get("expr"), str):
        params["expr"] = _expression(fields["expr"], checker)
    if step["kind"] == "rego":
        _rego(step, fields, node, checker)
    if step["kind"] == "approval" and params.get("count") == 0:
        checker.add(fields["count"], "count must be at least 1")
    approves = "require_approval" in (step["on_fail"], step["on_pass"])
    if "on_approve" in fields and step["kind"] != "approval" and not approves:
        checker.add(
            fields["on_approve"],
            "on_approve applies to approval steps, or steps whose outcome is require_approval",
        )


def _rego(step: dict[str, Any], fields: dict[str, Node], node: Node, checker: _Checker) -> None:
    params = step["params"]
    source, where = params.get("module"), fields.get("module") or node
    if params.get("file"):
        where = fields["file"]
        source = checker.modules.get(params["file"])
        if source is None:
            checker.add(where, f"the Rego file {params['file']!r} was not sent with the guardrails")
            return
    if not source:
        checker.add(node, "a rego step needs `module:` (inline Rego) or `file:` (a .rego file)")
        return
    name = params.get("file") or f"step{step['index'] + 1}.rego"
    try:
        rule = params.get("query") or rego_module.default_query(source)
        rego_module.validate(name, source, rule)
    except rego_module.RegoProblem as exc:
        checker.add(where, f"{name} line {exc.line}, column {exc.column}: {exc.message}")
        return
    params.update(module=source, query=rule, file=name)


def digest(document: dict[str, Any]) -> str:
    """A stable fingerprint of a normalised document."""
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()


# A context with every variable present, used to find misspelt variables at upload.
SAMPLE_CONTEXT: dict[str, Any] = {
    "change": {},
    "service": {},
    "risk": {},
    "evidence": {},
    "budget": {},
    "calendar": {},
}
