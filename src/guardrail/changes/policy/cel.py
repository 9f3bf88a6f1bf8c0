"""CEL conditions through the Rust implementation (common-expression-language), compiled once."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from typing import Any

import cel

# The variables a condition may read; anything else is a mistake in the guardrails file.
VARIABLES = ("change", "service", "risk", "evidence", "budget", "calendar")
_POSITION = re.compile(r"<input>:(\d+):(\d+):\s*(.*)")
_CACHE_SIZE = 2048
_cache: OrderedDict[str, cel.Program] = OrderedDict()
_lock = threading.Lock()


class CelError(Exception):
    """A condition that does not compile or cannot be evaluated."""

    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.message, self.line, self.column = message, line, column


def compile_expression(source: str) -> cel.Program:
    """The compiled program for ``source`` (cached: each distinct expression compiles once)."""
    with _lock:
        program = _cache.get(source)
        if program is not None:
            _cache.move_to_end(source)
            return program
    try:
        program = cel.compile(source)
    except ValueError as exc:
        raise _syntax_error(str(exc)) from exc
    with _lock:
        _cache[source] = program
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return program


def _syntax_error(text: str) -> CelError:
    match = _POSITION.search(text)
    if match is None:
        return CelError(f"CEL syntax error: {text.splitlines()[0]}")
    line, column, message = int(match.group(1)), int(match.group(2)), match.group(3)
    return CelError(f"CEL syntax error: {message}", line, column + 1)


def references(program: cel.Program) -> set[str]:
    """The top-level variables an expression reads."""
    return set(program.variables()) & set(VARIABLES)


def evaluate(program: cel.Program, context: cel.Context) -> Any:
    """Run a compiled program; errors become CelError with the expression named."""
    try:
        return program.execute(context)
    except Exception as exc:  # the binding raises RuntimeError/TypeError/KeyError variants
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CelError(f"`{program.source}` could not be evaluated: {first}") from exc


def make_context(variables: dict[str, Any]) -> cel.Context:
    """A context with the given variables (built once per decision, shared by its conditions)."""
    return cel.Context(variables)


def is_undefined_variable(error: CelError) -> bool:
    return "Undefined variable" in error.message
