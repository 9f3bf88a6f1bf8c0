"""Reading CMDB input files: YAML with line numbers, JSON with paths, and the parse context.

Every mapping read from YAML is a :class:`LineDict` that remembers the line it starts on and the
line of each key, so a parser can say ``catalog-info.yaml:14: …`` about any field.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from guardrail.cmdb.snapshot import Origin, Snapshot

try:  # libyaml's scanner is several times faster; the constructor stays ours either way
    _BaseLoader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _BaseLoader = yaml.SafeLoader

DEFAULT_SERVICE_KEYS = (
    "guardrail.io/service",
    "app.kubernetes.io/part-of",
    "backstage.io/kubernetes-id",
    "service",
)


class LineDict(dict[str, Any]):
    """A mapping read from YAML that knows its own line and each key's line (1-based)."""

    line: int = 0
    lines: dict[str, int]

    def line_of(self, key: str | None) -> int:
        if key is None:
            return self.line
        return getattr(self, "lines", {}).get(key, self.line)


class _Loader(_BaseLoader):  # type: ignore[valid-type,misc]
    pass


def _construct_map(loader: yaml.SafeLoader, node: yaml.MappingNode) -> Iterator[LineDict]:
    data = LineDict()
    data.line = node.start_mark.line + 1
    yield data
    data.update({str(k): v for k, v in loader.construct_mapping(node).items()})
    data.lines = {
        str(k.value): v.start_mark.line + 1 for k, v in node.value if isinstance(k, yaml.ScalarNode)
    }


def _construct_plain(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
    # Timestamps stay strings: stored attributes must be plain JSON.
    return str(loader.construct_scalar(node))


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_plain)
_Loader.add_constructor("tag:yaml.org,2002:binary", _construct_plain)


@dataclass
class Document:
    """One parsed document: its data, the file, the line it starts on (YAML) or its JSON path."""

    data: Any
    file: str
    line: int | None = None
    path: str | None = None


@dataclass
class ImportOptions:
    """How to read the input.

    ``scope`` qualifies the keys of Kubernetes objects and Terraform resources (names that are
    only unique within one cluster or one state); it defaults to the source name, and two sources
    that describe the same cluster or state share a scope so that their items merge.
    """

    scope: str = "default"
    default_namespace: str = "default"
    service_keys: tuple[str, ...] = DEFAULT_SERVICE_KEYS
    skip_unknown: bool = False
    strict: bool = False
    follow_locations: bool = True


@dataclass
class ParseContext:
    """What a parser writes into, and where it is reading."""

    snapshot: Snapshot
    options: ImportOptions
    file: str = ""
    base_dir: Path | None = None
    pending: dict[str, Any] = field(default_factory=dict)

    def at(self, node: Any, key: str | None = None, path: str | None = None) -> Origin:
        """The origin of ``node`` (or of its ``key``): a line in YAML, a JSON path otherwise."""
        if isinstance(node, LineDict) and node.line:
            return Origin(self.file, line=node.line_of(key))
        if path is None:
            return Origin(self.file)
        return Origin(self.file, path=f"{path}.{key}" if key else path)


def yaml_documents(text: str, file: str, snapshot: Snapshot) -> list[Document]:
    """Every non-empty document of a YAML stream; a syntax error is a problem with its line."""
    docs: list[Document] = []
    try:
        for data in yaml.load_all(text, Loader=_Loader):
            if data is None:
                continue
            line = data.line if isinstance(data, LineDict) else None
            docs.append(Document(data, file, line=line))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        snapshot.error(Origin(file, line=line), f"malformed YAML: {problem}")
        return []
    return docs


def json_document(text: str, file: str, snapshot: Snapshot) -> list[Document]:
    """The JSON document in ``text``; a syntax error is a problem with its line and column."""
    try:
        return [Document(json.loads(text), file, path="$")]
    except json.JSONDecodeError as exc:
        snapshot.error(
            Origin(file, line=exc.lineno), f"malformed JSON: {exc.msg} (column {exc.colno})"
        )
        return []


def read_documents(text: str, file: str, snapshot: Snapshot) -> list[Document]:
    """JSON when the name says so, or when the content parses as one JSON value; YAML otherwise."""
    if file.endswith((".json", ".tfstate")):
        return json_document(text, file, snapshot)
    if text.lstrip().startswith(("{", "[")):
        try:  # JSON is faster to read than YAML; a YAML stream of JSON documents falls through
            return [Document(json.loads(text), file, path="$")]
        except json.JSONDecodeError:
            pass
    return yaml_documents(text, file, snapshot)
