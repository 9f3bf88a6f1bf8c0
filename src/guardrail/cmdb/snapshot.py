"""The neutral snapshot an importer produces and reconciliation applies.

Importers (``guardrail.integrations.inbound.*``) turn a tool's files into items, relations and
service descriptions keyed by stable natural keys; they never touch the database. Problems carry
the file and the line (YAML) or JSON path where they were found.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from guardrail.errors import InvalidInput
from guardrail.kit.jsonutil import canonical


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a fact was read: a file and a line number or a JSON path."""

    file: str
    line: int | None = None
    path: str | None = None

    def __str__(self) -> str:
        if self.line is not None:
            return f"{self.file}:{self.line}"
        if self.path:
            return f"{self.file} at {self.path}"
        return self.file


@dataclass(frozen=True, slots=True)
class Problem:
    """An error (the import is refused) or a warning (the import goes on) about the input."""

    origin: Origin
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        return f"{self.origin}: {self.severity}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.origin.file,
            "line": self.origin.line,
            "path": self.origin.path,
            "severity": self.severity,
            "message": self.message,
        }


@dataclass(slots=True)
class ItemFact:
    """One source's description of one configuration item."""

    key: str
    kind: str
    name: str
    origin: Origin
    title: str = ""
    description: str = ""
    owner: str | None = None
    lifecycle: str | None = None
    service_ref: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    placeholder: bool = False

    def data(self) -> dict[str, Any]:
        """The stored claim: every field but the key and the origin."""
        data: dict[str, Any] = {"kind": self.kind, "name": self.name}
        for name in ("title", "description", "owner", "lifecycle", "service_ref"):
            value = getattr(self, name)
            if value:
                data[name] = value
        if self.attributes:
            data["attributes"] = self.attributes
        if self.placeholder:
            data["placeholder"] = True
        return data


@dataclass(slots=True)
class RelationFact:
    """``source --type--> target`` between two item keys, as one source states it."""

    source: str
    type: str
    target: str
    origin: Origin
    attributes: dict[str, Any] = field(default_factory=dict)
    # Whether a target missing from the snapshot and the CMDB may stand as a placeholder item
    # (a Backstage ref to an entity another source describes) or the relation is dropped.
    placeholder_kind: str | None = None


@dataclass(slots=True)
class ServiceFact:
    """A catalogue service described by an importer (a Backstage Component)."""

    name: str
    origin: Origin
    values: dict[str, Any] = field(default_factory=dict)
    owner_team: str | None = None


@dataclass
class Snapshot:
    """Everything one import read: items by key, relations, services, and problems."""

    items: dict[str, ItemFact] = field(default_factory=dict)
    relations: list[RelationFact] = field(default_factory=list)
    services: list[ServiceFact] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    types: set[str] = field(default_factory=set)

    def add_item(self, item: ItemFact) -> None:
        """Add an item; a second description of the same key in one snapshot is an error."""
        existing = self.items.get(item.key)
        if existing is not None and not existing.placeholder:
            self.error(item.origin, f"{item.key} is described twice (first at {existing.origin})")
            return
        self.items[item.key] = item

    def relate(self, relation: RelationFact) -> None:
        self.relations.append(relation)

    def error(self, origin: Origin, message: str) -> None:
        self.problems.append(Problem(origin, message, "error"))

    def warn(self, origin: Origin, message: str) -> None:
        self.problems.append(Problem(origin, message, "warning"))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def raise_for_errors(self) -> None:
        """Refuse the whole import when any error was found, listing every one."""
        errors = self.errors
        if not errors:
            return
        shown = "; ".join(str(p) for p in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        raise InvalidInput(
            f"import refused, nothing was changed: {shown}{more}",
            extra={"problems": [p.as_dict() for p in errors]},
        )


def digest(value: Any) -> str:
    """A short stable hash of a JSON-able value (claims and relations compare by it)."""
    return hashlib.blake2b(canonical(value).encode(), digest_size=16).hexdigest()
