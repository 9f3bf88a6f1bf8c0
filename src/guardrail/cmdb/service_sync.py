"""Catalogue services from importers: a Backstage Component becomes or updates a service.

Services are written through the catalogue's own functions (``cmdb.service``), so every change
is validated and audited like a change made by hand, and an unchanged descriptor writes nothing.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from guardrail.cmdb import item_repository as repo
from guardrail.cmdb import service as catalogue
from guardrail.cmdb.enums import Lifecycle
from guardrail.cmdb.reconcile import Run, service_name
from guardrail.cmdb.schemas import ServiceCreate, ServiceUpdate
from guardrail.cmdb.snapshot import ServiceFact, Snapshot
from guardrail.errors import InvalidInput, NotFound
from guardrail.identity import service as identity_service
from guardrail.kit.context import Actor


def sync(session: Session, actor: Actor, snapshot: Snapshot, run: Run) -> None:
    """Create or update the snapshot's services, then link items that name a service."""
    for fact in snapshot.services:
        _sync_service(session, actor, fact, run)
    _retire_services(session, actor, run)
    refs = {service_name(f.service_ref) for f in snapshot.items.values() if f.service_ref}
    refs |= {f.name for f in snapshot.services}
    for name, service_id in repo.service_ids_by_names(session, {r for r in refs if r}).items():
        repo.link_service(session, name, service_id)


def _sync_service(session: Session, actor: Actor, fact: ServiceFact, run: Run) -> None:
    values: dict[str, Any] = dict(fact.values)
    team = _team(session, fact, run)
    if team is not None:
        values["owner_team"] = team
    existing = catalogue.find_service(session, fact.name)
    try:
        if existing is None:
            catalogue.create_service(session, actor, ServiceCreate(name=fact.name, **values))
            run.summary.services_created += 1
            return
        before = catalogue.snapshot(existing)
        catalogue.update_service(session, actor, fact.name, ServiceUpdate(**values))
        if catalogue.snapshot(existing) != before:
            run.summary.services_updated += 1
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise InvalidInput(
            f"import refused, nothing was changed: {fact.origin}: service "
            f"{fact.name!r}: {field}: {first['msg']}"
        ) from exc


def _retire_services(session: Session, actor: Actor, run: Run) -> None:
    """A service whose Backstage Component left its source is marked retired, not deleted."""
    for action, _, before, _ in run.events:
        if action != "cmdb.item.retire" or not before or before.get("kind") != "component":
            continue
        service = catalogue.find_service(session, str(before.get("service_ref") or ""))
        if service is not None and service.lifecycle != Lifecycle.retired:
            catalogue.update_service(
                session, actor, service.id, ServiceUpdate(lifecycle=Lifecycle.retired)
            )
            run.summary.services_updated += 1


def _team(session: Session, fact: ServiceFact, run: Run) -> str | None:
    if not fact.owner_team:
        return None
    try:
        return identity_service.get_team(session, fact.owner_team).slug
    except NotFound:
        run.summary.warnings.append(
            {
                "file": fact.origin.file,
                "line": fact.origin.line,
                "path": fact.origin.path,
                "severity": "warning",
                "message": f"service {fact.name!r}: owner {fact.owner_team!r} is not a guardrail "
                "team; create the team to link ownership",
            }
        )
        return None
