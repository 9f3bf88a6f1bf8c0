"""YAML documents that remember where each value came from, and errors that say so.

Validation errors name the field's path in the document (``spec.objectives[0].target``) and, where
the YAML parser knows it, the file and line: ``slo.yaml:12: spec.objectives[0].target: …``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, SequenceNode

from guardrail.errors import InvalidInput

Path = tuple[str | int, ...]
MAX_ERRORS = 50


def render_path(path: Path) -> str:
    """``("spec", "objectives", 0, "target")`` → ``spec.objectives[0].target``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(document)"


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path}: {self.message}"


@dataclass
class Document:
    """One YAML document: its data, and the line of every path in it."""

    data: Any
    file: str
    index: int
    lines: dict[Path, int] = field(default_factory=dict)

    def line(self, path: Path) -> int | None:
        """The line of ``path``, or of its nearest ancestor the parser saw."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), None)

    @property
    def origin(self) -> str:
        line = self.lines.get(())
        return f"{self.file}:{line}" if line else self.file


class Problems:
    """Collects every problem in a set of documents, then raises them as one InvalidInput."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, doc: Document, path: Path, message: str) -> None:
        self.items.append(Problem(doc.file, doc.line(path), render_path(path), message))

    def raise_if_any(self) -> None:
        if not self.items:
            return
        shown = self.items[:MAX_ERRORS]
        more = f" (and {len(self.items) - MAX_ERRORS} more)" if len(self.items) > MAX_ERRORS else ""
        raise InvalidInput(
            "; ".join(str(p) for p in shown) + more,
            extra={"errors": [p.__dict__ for p in shown]},
        )


def load_documents(text: str, file: str) -> list[Document]:
    """Every document in a YAML stream, with line numbers; a syntax error names its line."""
    try:
        nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{file}:{mark.line + 1}" if mark is not None else file
        problem = getattr(exc, "problem", None) or str(exc)
        raise InvalidInput(f"{where}: not valid YAML: {problem}") from exc
    docs = []
    for index, node in enumerate(nodes):
        if node is None:
            continue
        data = SafeConstructor().construct_document(node)
        lines: dict[Path, int] = {}
        _record_lines(node, (), lines)
        docs.append(Document(data, file, index, lines))
    return docs


def _record_lines(node: Node, path: Path, lines: dict[Path, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, MappingNode):
        for key, value in node.value:
            name = str(key.value)
            lines[(*path, name)] = key.start_mark.line + 1
            _record_lines(value, (*path, name), lines)
            lines[(*path, name)] = key.start_mark.line + 1
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            _record_lines(item, (*path, index), lines)


class Reader:
    """Typed access to a document's fields that reports problems instead of raising."""

    def __init__(self, doc: Document, problems: Problems, base: Path = ()) -> None:
        self.doc = doc
        self.problems = problems
        self.base = base  # where this object sits in its document (OpenSLO allows lists)

    def at(self, base: Path) -> Reader:
        """A reader for the object at ``base`` (relative to this one)."""
        return Reader(self.doc, self.problems, (*self.base, *base))

    def where(self, path: Path = ()) -> str:
        """``file:line`` of a path."""
        line = self.doc.line((*self.base, *path))
        return f"{self.doc.file}:{line}" if line else self.doc.file

    def error(self, path: Path, message: str) -> None:
        self.problems.add(self.doc, (*self.base, *path), message)

    def get(self, path: Path) -> Any:
        value: Any = self.doc.data
        for part in (*self.base, *path):
            if isinstance(part, int):
                if not isinstance(value, list) or part >= len(value):
                    return None
            elif not isinstance(value, dict):
                return None
            value = value[part] if isinstance(part, int) else value.get(part)
        return value

    def mapping(self, path: Path, *, required: bool = False) -> dict[str, Any] | None:
        value = self.get(path)
        if value is None:
            if required:
                self.error(path, "is required")
            return None
        if not isinstance(value, dict):
            self.error(path, f"must be a mapping, not {_kind(value)}")
            return None
        return value

    def items(self, path: Path, *, required: bool = False) -> Iterator[tuple[Path, Any]]:
        value = self.get(path)
        if value is None:
            if required:
                self.error(path, "is required")
            return
        if not isinstance(value, list):
            self.error(path, f"must be a list, not {_kind(value)}")
            return
        for index, item in enumerate(value):
            yield (*path, index), item

    def text(self, path: Path, *, required: bool = False, default: str = "") -> str:
        value = self.get(path)
        if value is None or value == "":
            if required:
                self.error(path, "is required")
            return default
        if isinstance(value, dict | list):
            self.error(path, f"must be a string, not {_kind(value)}")
            return default
        return str(value)

    def number(self, path: Path, *, required: bool = False) -> float | None:
        value = self.get(path)
        if value is None:
            if required:
                self.error(path, "is required")
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.error(path, f"must be a number, not {value!r}")
            return None
        return float(value)

    def flag(self, path: Path, default: bool = False) -> bool:
        value = self.get(path)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.error(path, f"must be true or false, not {value!r}")
            return default
        return value

    def labels(self, path: Path) -> dict[str, str]:
        value = self.mapping(path)
        return {str(k): str(v) for k, v in (value or {}).items()}


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)
