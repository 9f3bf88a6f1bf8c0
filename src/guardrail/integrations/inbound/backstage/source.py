"""The Backstage source, declared: which kinds it reads, how refs default, what relations mean.

Refs are ``[kind:][namespace/]name``. A missing namespace means the referring entity's own
namespace; a missing kind means the field's default kind below (``dependsOn`` has none: Backstage
requires the kind there). Keys are the full lower-case ref, ``component:default/artist-lookup``.
"""

from __future__ import annotations

from dataclasses import dataclass

NAME = "backstage"
API_VERSIONS = ("backstage.io/v1alpha1", "backstage.io/v1beta1")
ANNOTATION_TIER = "guardrail.io/tier"
ANNOTATION_RUNBOOK = "guardrail.io/runbook"
ANNOTATION_SERVICE = "guardrail.io/service"
ANNOTATION_SOURCE_LOCATION = "backstage.io/source-location"

# Backstage kind -> CMDB item kind (Resources are refined by spec.type, see RESOURCE_KINDS).
KINDS = {
    "component": "component",
    "api": "api",
    "system": "system",
    "domain": "domain",
    "resource": "resource",
    "group": "group",
    "user": "user",
    "template": "template",
    "location": "location",
}
RESOURCE_KINDS = {
    "database": "database",
    "db": "database",
    "queue": "queue",
    "topic": "queue",
    "bucket": "storage",
    "s3-bucket": "storage",
    "cache": "cache",
}
# Component types that are services in guardrail's catalogue.
SERVICE_COMPONENT_TYPES = frozenset({"service", "website"})


@dataclass(frozen=True)
class RelationField:
    """A spec field that states relations: the relation, its default kind, and its direction."""

    field: str
    relation: str
    default_kind: str | None
    reverse: bool = False  # True: the referenced entity is the relation's source


RELATION_FIELDS = (
    RelationField("owner", "owned_by", "group"),
    RelationField("system", "part_of", "system"),
    RelationField("domain", "part_of", "domain"),
    RelationField("subcomponentOf", "part_of", "component"),
    RelationField("subdomainOf", "part_of", "domain"),
    RelationField("dependsOn", "depends_on", None),
    RelationField("dependencyOf", "depends_on", None, reverse=True),
    RelationField("providesApis", "provides_api", "api"),
    RelationField("consumesApis", "consumes_api", "api"),
    RelationField("memberOf", "member_of", "group"),
    RelationField("parent", "part_of", "group"),
    RelationField("children", "part_of", "group", reverse=True),
    RelationField("members", "member_of", "user", reverse=True),
)
