"""Catalogue vocabularies."""

from __future__ import annotations

from enum import StrEnum


class Lifecycle(StrEnum):
    """Where a service is in its life (Backstage's spec.lifecycle values plus retired)."""

    experimental = "experimental"
    production = "production"
    deprecated = "deprecated"
    retired = "retired"


class ItemStatus(StrEnum):
    """Whether some source still describes a configuration item."""

    active = "active"
    retired = "retired"


class RelationType(StrEnum):
    """Typed relations between configuration items, read ``source --type--> target``."""

    depends_on = "depends_on"
    provides_api = "provides_api"
    consumes_api = "consumes_api"
    part_of = "part_of"
    runs_on = "runs_on"
    routes_to = "routes_to"
    selects = "selects"
    uses = "uses"
    owned_by = "owned_by"
    member_of = "member_of"


# Which end of a relation is the *dependent*, i.e. is affected when the other end changes.
# "source": the source depends on the target (a change to the target reaches the source).
# "target": the target depends on the source (an API depends on the component providing it; a
# system on its parts). None: the relation carries no technical dependency (ownership, membership).
DEPENDENT_END: dict[str, str | None] = {
    RelationType.depends_on: "source",
    RelationType.consumes_api: "source",
    RelationType.runs_on: "source",
    RelationType.routes_to: "source",
    RelationType.selects: "source",
    RelationType.uses: "source",
    RelationType.provides_api: "target",
    RelationType.part_of: "target",
    RelationType.owned_by: None,
    RelationType.member_of: None,
}


class ImpactDirection(StrEnum):
    """Which way an impact query walks."""

    dependents = "dependents"
    dependencies = "dependencies"
    both = "both"
