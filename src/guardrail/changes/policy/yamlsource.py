"""YAML with positions: every value keeps the line and column it was written at."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml


@dataclass(frozen=True)
class Mark:
    """A 1-based line and column in the source file."""

    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.line}:{self.column}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file, where it is and what to do."""

    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "message": self.message}


class Node:
    """A YAML node turned into Python, keeping its mark (and its children's)."""

    def __init__(self, value: Any, mark: Mark, style: str | None = None) -> None:
        self.value = value
        self.mark = mark
        self.style = style  # the scalar's quoting style ('"', "'", '|', '>' or None)

    def plain(self) -> Any:
        """The value without marks."""
        if isinstance(self.value, dict):
            return {k: v.plain() for k, v in self.value.items()}
        if isinstance(self.value, list):
            return [v.plain() for v in self.value]
        return self.value


class YamlError(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def _mark(node: yaml.Node) -> Mark:
    return Mark(node.start_mark.line + 1, node.start_mark.column + 1)


def load(text: str) -> Node | None:
    """Parse one YAML document into marked nodes (None when the file is empty)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise YamlError(Problem(line, col, f"not valid YAML: {exc.problem}")) from exc
    except yaml.YAMLError as exc:
        raise YamlError(Problem(1, 1, f"not valid YAML: {exc}")) from exc
    return None if root is None else _convert(root, [MAX_NODES])


MAX_NODES = 20_000


def _convert(node: yaml.Node, budget: list[int]) -> Node:
    # Aliases share nodes; a file of nested aliases could expand exponentially, so count.
    budget[0] -= 1
    if budget[0] < 0:
        raise YamlError(Problem(*_pair(node), f"the file has more than {MAX_NODES} values"))
    constructor = yaml.SafeLoader("")
    if isinstance(node, yaml.MappingNode):
        items: dict[Any, Node] = {}
        for key_node, value_node in node.value:
            key = constructor.construct_object(key_node, deep=True)
            if key in items:
                raise YamlError(
                    Problem(*_pair(key_node), f"the key {key!r} appears twice in this mapping")
                )
            items[key] = _convert(value_node, budget)
        return Node(items, _mark(node))
    if isinstance(node, yaml.SequenceNode):
        return Node([_convert(child, budget) for child in node.value], _mark(node))
    value = constructor.construct_object(node, deep=True)
    return Node(value, _mark(node), getattr(node, "style", None))


def _pair(node: yaml.Node) -> tuple[int, int]:
    mark = _mark(node)
    return mark.line, mark.column
