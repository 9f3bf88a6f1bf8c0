"""Rego rules through regopy (the rego-cpp interpreter): deny messages and test_ rules.

Interpreters are not shared between threads: each thread keeps one per module it has run, so the
module is parsed once per thread and each decision only sets the input and queries.

A plain ``Interpreter.query`` compiles the query again on every call (about a millisecond). So
each thread also builds the module and its query once into a bundle (a compiled plan) and runs
that (about 60 µs). ``Interpreter.build`` aborts the whole process on some modules (a rule with
``with input as {…}``), so a module is first built once in a throwaway child process; only when
that child survives does this process build it. A module that cannot be built is queried the plain
way, as before.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import subprocess
import sys
import threading
from dataclasses import dataclass
from typing import Any

from regopy import Input, Interpreter, RegoError  # type: ignore[import-untyped]
from regopy.rego_shared import rego_get_error  # type: ignore[import-untyped]

log = logging.getLogger("guardrail.changes")

_PACKAGE = re.compile(r"^\s*package\s+([A-Za-z_][\w.]*)", re.MULTILINE)
_ERROR_AT = re.compile(r"\(error\s+\d+:(?P<file>[^|]*)\|(?P<offset>\d+)\|")
_ERRMSG = re.compile(r"\(errormsg\s+\d+:([^)]*)\)")
_TEST_RULE = re.compile(r"^\s*(test_[A-Za-z0-9_]*)\b", re.MULTILINE)
_INPUT_REF = re.compile(r"(?<![\w.])input\b((?:\.[A-Za-z_]\w*)*)")
_local = threading.local()
_buildable: dict[str, bool] = {}
_probe_lock = threading.Lock()
_PROBE = """
import json, sys
from regopy import Input, Interpreter
job = json.load(sys.stdin)
interpreter = Interpreter()
interpreter.add_module(job["name"], job["source"])
bundle = interpreter.build(job["rule"])
if bundle.ok():
    interpreter.set_input(Input({}))
    interpreter.query_bundle(bundle)
    print("built")
"""


class RegoProblem(Exception):
    """A module that does not parse or a query that fails, with a position when known."""

    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.message, self.line, self.column = message, line, column


def package_of(source: str) -> str:
    """The module's package (``guardrail.deploy``), or RegoProblem when it has none."""
    match = _PACKAGE.search(source)
    if match is None:
        raise RegoProblem("the Rego module has no `package` line")
    return match.group(1)


def default_query(source: str) -> str:
    return f"data.{package_of(source)}.deny"


def _position(source: str, offset: int) -> tuple[int, int]:
    before = source.encode()[:offset].decode(errors="ignore")
    line = before.count("\n") + 1
    return line, len(before) - (before.rfind("\n") + 1) + 1


def _problem(source: str, text: str) -> RegoProblem:
    messages = _ERRMSG.findall(text)
    lines = text.strip().splitlines()
    # rego-cpp gives no text for some evaluation errors (two values for one complete rule).
    first = lines[0] if lines else "the query failed (the interpreter gave no detail)"
    message = "; ".join(m.strip() for m in messages) or first
    where = _ERROR_AT.search(text)
    if where is None:
        return RegoProblem(f"Rego error: {message}")
    line, column = _position(source, int(where.group("offset")))
    return RegoProblem(f"Rego error: {message}", line, column)


def _new_interpreter(name: str, source: str) -> Interpreter:
    interpreter = Interpreter()
    try:
        interpreter.add_module(name, source)
    except RegoError as exc:
        raise _problem(source, str(exc)) from exc
    return interpreter


@dataclass
class _Prepared:
    """One thread's interpreter for one module and query, and its compiled plan when it has one."""

    interpreter: Interpreter
    bundle: Any
    paths: tuple[tuple[str, ...], ...] | None  # the input paths the module reads; None: all


def _prepared(key: str, name: str, source: str, rule: str) -> _Prepared:
    cache: dict[str, _Prepared] | None = getattr(_local, "prepared", None)
    if cache is None:
        cache = _local.prepared = {}
    prepared = cache.get(key)
    if prepared is None:
        if len(cache) > 256:
            cache.clear()
        interpreter = _new_interpreter(name, source)
        bundle = None
        if _can_build(name, source, rule):
            built = interpreter.build(rule)
            bundle = built if built.ok() else None
        prepared = cache[key] = _Prepared(interpreter, bundle, input_paths(source))
    return prepared


def _can_build(name: str, source: str, rule: str) -> bool:
    """Whether building the module survives, asked of a child process once per module."""
    digest = hashlib.sha256(f"{rule}\x00{source}".encode()).hexdigest()
    with _probe_lock:
        known = _buildable.get(digest)
        if known is None:
            known = _buildable[digest] = _probe(name, source, rule)
    return known


def _probe(name: str, source: str, rule: str) -> bool:
    job = json.dumps({"name": name, "source": source, "rule": rule})
    try:
        done = subprocess.run(
            [sys.executable, "-c", _PROBE],
            input=job,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("could not test-build Rego module %s (%s); it runs uncompiled", name, exc)
        return False
    built = done.returncode == 0 and done.stdout.strip() == "built"
    if not built:
        log.info("Rego module %s cannot be compiled by rego-cpp; it runs uncompiled", name)
    return built


def input_paths(source: str) -> tuple[tuple[str, ...], ...] | None:
    """The ``input.a.b`` paths a module reads, or None when it reads ``input`` whole (or in a way
    this does not follow, like ``input[x]``). Only those parts of the change are converted for the
    interpreter: converting the whole input costs more than evaluating the rules."""
    paths = set()
    for match in _INPUT_REF.finditer(source):
        if not match.group(1):
            return None
        paths.add(tuple(match.group(1)[1:].split(".")))
    return tuple(sorted(paths))


def pruned(data: dict[str, Any], paths: tuple[tuple[str, ...], ...]) -> dict[str, Any]:
    """``data`` with only what lies under ``paths``: a path's value whole (anything a rule does
    with it stays inside it); a path that is absent stays absent (so undefined, as before)."""
    out: dict[str, Any] = {}
    for path in paths:
        source: Any = data
        target = out
        for depth, name in enumerate(path):
            if not isinstance(source, dict) or name not in source:
                break
            source = source[name]
            last = depth == len(path) - 1 or not isinstance(source, dict)
            if last:
                target[name] = source
                break
            existing = target.get(name)
            if existing is source:
                break  # a shorter path already took this value whole
            target = target.setdefault(name, {})
    return out


def query(key: str, name: str, source: str, rule: str, data: dict[str, Any]) -> list[Any]:
    """The values of ``rule`` for input ``data`` ([] when undefined)."""
    prepared = _prepared(key, name, source, rule)
    interpreter = prepared.interpreter
    if prepared.paths is not None:
        data = pruned(data, prepared.paths)
    interpreter.set_input(Input(data))
    output = None
    if prepared.bundle is not None:
        output = interpreter.query_bundle(prepared.bundle)
    if output is None or not output.ok():
        # An error (or no plan): the plain query, whose error text names the problem.
        output = interpreter.query(rule)
    if not output.ok():
        # Output.node() crashes the process on some error outputs; read the error text instead.
        raise _problem(source, rego_get_error(interpreter._impl))
    if not output.results or not output.results[0].expressions:
        return []
    return list(output.results[0].expressions)


def deny_messages(key: str, name: str, source: str, rule: str, data: dict[str, Any]) -> list[str]:
    """The deny set's messages for ``data``, sorted (a set has no order)."""
    values = query(key, name, source, rule, data)
    if not values:
        return []
    value = values[0]
    items = value if isinstance(value, list) else [value]
    return sorted(str(item) if not isinstance(item, str) else item for item in items)


def validate(name: str, source: str, rule: str | None = None) -> None:
    """Parse the module and run its deny rule once on an empty input."""
    package_of(source)
    interpreter = _new_interpreter(name, source)
    interpreter.set_input(Input({}))
    output = interpreter.query(rule or default_query(source))
    if not output.ok():
        problem = _problem(source, rego_get_error(interpreter._impl))
        raise RegoProblem(_explain(problem.message), problem.line, problem.column)


@dataclass(frozen=True)
class TestResult:
    """One Rego ``test_`` rule's outcome, as `opa test` reports it."""

    module: str
    rule: str
    passed: bool
    error: str | None = None


def run_tests(name: str, source: str) -> list[TestResult]:
    """Run every ``test_`` rule in the module: it passes when it is defined and true."""
    package = package_of(source)
    interpreter = _new_interpreter(name, source)
    interpreter.set_input(Input({}))
    results = []
    for rule in dict.fromkeys(_TEST_RULE.findall(source)):
        output = interpreter.query(f"data.{package}.{rule}")
        if not output.ok():
            error = _problem(source, rego_get_error(interpreter._impl)).message
            results.append(TestResult(name, rule, False, _explain(error)))
            continue
        values = output.results[0].expressions if output.results else []
        results.append(TestResult(name, rule, bool(values) and values[0] is True))
    return results


def _explain(error: str) -> str:
    if "rego-localref" in error:
        return (
            f"{error} (rego-cpp cannot evaluate a rule with `with input as {{…}}` replacing the "
            "whole input; replace fields instead: `with input.change as {…}`)"
        )
    return error
