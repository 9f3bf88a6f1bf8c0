"""The service catalogue: create, read, update and list services."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from guardrail.audit import service as audit_service
from guardrail.cmdb import repository
from guardrail.cmdb.models import Service
from guardrail.cmdb.schemas import ServiceCreate, ServiceFilter, ServiceOut, ServiceUpdate
from guardrail.errors import Conflict, NotFound
from guardrail.identity import repository as identity_repository
from guardrail.kit.context import Actor

_URL_FIELDS = ("runbook_url", "repository_url")


def get_service(session: Session, ref: str) -> Service:
    """A service by id or name, or NotFound that says how to find the right one."""
    service = repository.get(session, ref)
    if service is None:
        raise NotFound(f"no service {ref!r}; list services with `guardrail service list`")
    return service


def find_service(session: Session, ref: str) -> Service | None:
    """A service by id or name, or None."""
    return repository.get(session, ref)


def create_service(session: Session, actor: Actor, data: ServiceCreate) -> Service:
    """Register a service in the catalogue."""
    if repository.get_by_name(session, data.name) is not None:
        raise Conflict(f"a service named {data.name!r} already exists; update it instead")
    values = _values(session, data.model_dump(exclude_unset=False))
    service = Service(**values)
    session.add(service)
    session.flush()
    audit_service.record(
        session, actor, "service.create", "service", service.id, after=snapshot(service)
    )
    return service


def update_service(session: Session, actor: Actor, ref: str, data: ServiceUpdate) -> Service:
    """Change the given fields of a service."""
    service = get_service(session, ref)
    before = snapshot(service)
    for key, value in _values(session, data.model_dump(exclude_unset=True)).items():
        setattr(service, key, value)
    after = snapshot(service)
    if after != before:
        session.flush()
        audit_service.record(
            session, actor, "service.update", "service", service.id, before=before, after=after
        )
    return service


def list_services(
    session: Session, filters: ServiceFilter, *, limit: int, offset: int
) -> tuple[list[Service], int]:
    """Services matching the filters, by name, one page."""
    team_id = None
    if filters.team:
        team = identity_repository.team(session, filters.team)
        if team is None:
            raise NotFound(f"no team {filters.team!r}")
        team_id = team.id
    return repository.list_services(session, filters, team_id=team_id, limit=limit, offset=offset)


def to_out(session: Session, services: list[Service]) -> list[ServiceOut]:
    """Output models with the owner team's slug filled in."""
    teams = identity_repository.teams_by_ids(
        session, {s.owner_team_id for s in services if s.owner_team_id}
    )
    return [
        ServiceOut.model_validate(s).model_copy(
            update={"owner_team": teams[s.owner_team_id].slug if s.owner_team_id else None}
        )
        for s in services
    ]


def snapshot(service: Service) -> dict[str, Any]:
    """The audited view of a service."""
    return {
        "name": service.name,
        "display_name": service.display_name,
        "description": service.description,
        "owner_team_id": service.owner_team_id,
        "tier": service.tier,
        "lifecycle": service.lifecycle,
        "runbook_url": service.runbook_url,
        "repository_url": service.repository_url,
        "environments": list(service.environments or []),
    }


def _values(session: Session, raw: dict[str, Any]) -> dict[str, Any]:
    values = dict(raw)
    if "owner_team" in values:
        ref = values.pop("owner_team")
        values["owner_team_id"] = _team_id(session, ref)
    for key in _URL_FIELDS:
        if values.get(key) is not None:
            values[key] = str(values[key])
    if "lifecycle" in values and values["lifecycle"] is not None:
        values["lifecycle"] = str(
            values["lifecycle"].value
            if hasattr(values["lifecycle"], "value")
            else values["lifecycle"]
        )
    return {
        k: v for k, v in values.items() if v is not None or k in {"owner_team_id", *_URL_FIELDS}
    }


def _team_id(session: Session, ref: str | None) -> str | None:
    if ref is None:
        return None
    team = identity_repository.team(session, ref)
    if team is None:
        raise NotFound(f"no team {ref!r}; create it with POST /api/v1/teams first")
    return team.id
