"""The Backstage importer: entities, refs with Backstage's defaults, relations, bad input."""

from __future__ import annotations

from pathlib import Path

from guardrail.integrations.inbound.backstage.parser import parse_ref
from guardrail.integrations.inbound.cmdb_files import parse_content, parse_paths
from guardrail.integrations.inbound.documents import ImportOptions

OPTIONS = ImportOptions(scope="t")

ENTITIES = """\
apiVersion: backstage.io/v1alpha1
kind: User
metadata:
  name: jo
  namespace: ops
spec:
  profile: {displayName: Jo , email: jo@example.com, picture: https://example.com/p.png}
  memberOf: [sre, group:default/team-a]
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: Search_Service
  annotations:
    guardrail.io/tier: "2"
    backstage.io/source-location: url:https://git.example.com/search
spec:
  type: service
  lifecycle: experimental
  owner: user:ops/jo
  subcomponentOf: portal
  providesApis: [search-api]
  dependsOn: [resource:ops/index]
"""


def test_refs_default_kind_and_the_referring_entitys_namespace():
    assert parse_ref("team-a", "group", "ops") == ("group", "ops", "team-a")
    assert parse_ref("group:default/team-a", "group", "ops") == ("group", "default", "team-a")
    assert parse_ref("Resource:Artists-DB", None, "default") == (
        "resource",
        "default",
        "artists-db",
    )


def test_dependson_without_kind_is_an_error_with_its_line():
    text = ENTITIES.replace("dependsOn: [resource:ops/index]", "dependsOn: [index]")
    snapshot = parse_content(text, "catalog-info.yaml", OPTIONS)
    [error] = snapshot.errors
    assert error.origin.line == 23 and "needs a kind" in error.message


def test_entities_relations_and_service_fields():
    snapshot = parse_content(ENTITIES, "catalog-info.yaml", OPTIONS)
    assert snapshot.errors == []
    user = snapshot.items["user:ops/jo"]
    assert user.title == "Jo" and user.attributes["email"] == "jo@example.com"
    assert "picture" not in str(user.attributes)
    relations = {(r.source, r.type, r.target) for r in snapshot.relations}
    assert ("user:ops/jo", "member_of", "group:ops/sre") in relations
    assert ("user:ops/jo", "member_of", "group:default/team-a") in relations
    component = "component:default/search_service"
    assert (component, "owned_by", "user:ops/jo") in relations
    assert (component, "part_of", "component:default/portal") in relations
    assert (component, "provides_api", "api:default/search-api") in relations
    assert (component, "depends_on", "resource:ops/index") in relations
    [service] = snapshot.services
    assert service.name == "search-service"
    assert service.values["tier"] == 2 and service.values["lifecycle"] == "experimental"
    assert service.values["repository_url"] == "https://git.example.com/search"
    assert snapshot.items[component].service_ref == "search-service"


def test_unknown_kind_and_malformed_yaml_are_reported_with_lines():
    bad_kind = parse_content(ENTITIES.replace("kind: Component", "kind: Widget"), "c.yaml", OPTIONS)
    assert [
        (e.origin.line, "unknown Backstage kind 'Widget'" in e.message) for e in bad_kind.errors
    ] == [(11, True)]
    broken = parse_content(
        "apiVersion: backstage.io/v1alpha1\nkind: [Component\n", "c.yaml", OPTIONS
    )
    [error] = broken.errors
    assert error.origin.file == "c.yaml" and error.origin.line == 3
    assert error.message.startswith("malformed YAML")


def test_bad_name_is_an_error():
    text = "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: -bad-\n"
    [error] = parse_content(text, "g.yaml", OPTIONS).errors
    assert error.origin.line == 4 and "metadata.name" in error.message


def test_location_targets_are_read_relative_to_the_file(tmp_path: Path):
    (tmp_path / "teams").mkdir()
    (tmp_path / "teams" / "a.yaml").write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: a}\nspec: {type: team}\n"
    )
    (tmp_path / "all.yaml").write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {name: all}\n"
        "spec:\n  targets: [./teams/a.yaml, ./missing.yaml, https://example.com/x.yaml]\n"
    )
    snapshot = parse_paths([tmp_path / "all.yaml"], OPTIONS)
    assert "group:default/a" in snapshot.items
    assert snapshot.errors == []
    messages = " ".join(w.message for w in snapshot.warnings)
    assert "missing.yaml" in messages and "not followed" in messages
