"""Small inputs in the real formats, and helpers to import them (shared by the CMDB tests)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from guardrail.cmdb import service as cmdb
from guardrail.cmdb.schemas import ImportSummary
from guardrail.integrations.inbound.cmdb_files import parse_content, parse_paths
from guardrail.integrations.inbound.documents import ImportOptions
from guardrail.kit.context import Actor
from guardrail.store.session import Database

ACTOR = Actor.system("tests")

CATALOG = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: checkout
  title: Checkout
  description: Takes the money
  annotations:
    guardrail.io/tier: "1"
    guardrail.io/runbook: https://runbooks.example.com/checkout
spec:
  type: service
  lifecycle: production
  owner: payments
  system: shop
  dependsOn: ['resource:orders-db', 'component:pricing']
  providesApis: [checkout-api]
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: pricing
spec:
  type: service
  lifecycle: production
  owner: payments
  system: shop
  dependsOn: ['resource:orders-db']
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: storefront
spec:
  type: website
  lifecycle: production
  owner: web
  consumesApis: [checkout-api]
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: checkout-api
spec:
  type: openapi
  lifecycle: production
  owner: payments
  definition: "openapi: 3.0.0"
---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata:
  name: orders-db
  description: Orders database
spec:
  type: database
  owner: payments
  system: shop
---
apiVersion: backstage.io/v1alpha1
kind: System
metadata:
  name: shop
spec:
  owner: payments
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: payments
spec:
  type: team
  children: []
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: web
spec:
  type: team
  children: []
"""


def state(resources: list[dict[str, Any]], **extra: Any) -> str:
    """A format-4 Terraform state holding ``resources``."""
    body = {
        "version": 4,
        "terraform_version": "1.6.0",
        "serial": 3,
        "lineage": "l-1",
        "outputs": {"db_password": {"value": "hunter2", "type": "string", "sensitive": True}},
        "resources": resources,
        **extra,
    }
    return json.dumps(body, indent=2)


def db_instance(
    name: str = "orders",
    *,
    entity: str | None = "resource:orders-db",
    engine: str = "postgres",
    service: str | None = None,
    identifier: str | None = None,
) -> dict[str, Any]:
    tags: dict[str, str] = {"Name": name}
    if entity:
        tags["guardrail.io/entity"] = entity
    if service:
        tags["service"] = service
    return {
        "mode": "managed",
        "type": "aws_db_instance",
        "name": name,
        "provider": 'provider["terraform.example/hashicorp/aws"]',
        "instances": [
            {
                "schema_version": 2,
                "attributes": {
                    "id": f"db-{name}",
                    "identifier": identifier or f"{name}-db",
                    "engine": engine,
                    "password": "hunter2",
                    "endpoint": f"{name}.internal:5432",
                    "tags": tags,
                },
                "sensitive_attributes": [[{"type": "get_attr", "value": "password"}]],
                "private": "c2VjcmV0",
            }
        ],
    }


def import_text(
    db: Database,
    text: str,
    *,
    source: str,
    filename: str = "input.yaml",
    strict: bool = False,
    scope: str | None = None,
) -> ImportSummary:
    snapshot = parse_content(text, filename, ImportOptions(scope=scope or source, strict=strict))
    with db.unit_of_work() as session:
        return cmdb.import_snapshot(session, ACTOR, source, snapshot, strict=strict)


def import_paths(db: Database, paths: list[Path], *, source: str) -> ImportSummary:
    snapshot = parse_paths(paths, ImportOptions(scope=source))
    with db.unit_of_work() as session:
        return cmdb.import_snapshot(session, ACTOR, source, snapshot)


def audit_count(db: Database) -> int:
    from guardrail.audit import service as audit_service

    with db.reader() as session:
        return audit_service.list_events(session, object_id=None, action=None, limit=1, offset=0)[1]
