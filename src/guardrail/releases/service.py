"""Deployments (recorded or derived from events), their failure and rework links to incidents
(including rework an emergency change naming an incident implies), the ``root cause: <sha>``
references incidents make, and releases named by pipelines and people."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from sqlalchemy.orm import Session

from guardrail.audit import service as audit_service
from guardrail.changes import service as changes
from guardrail.changes.enums import ChangeType
from guardrail.cmdb import service as cmdb
from guardrail.errors import InvalidInput, NotFound
from guardrail.incidents import service as incidents
from guardrail.kit.context import Actor
from guardrail.kit.time import utcnow
from guardrail.releases import attribution, repository
from guardrail.releases.enums import DeploymentStatus, LinkKind, Provenance, is_production
from guardrail.releases.facts import DeploymentFact
from guardrail.releases.models import Deployment, DeploymentIncidentLink, Release
from guardrail.releases.schemas import DeploymentRecord, ReleaseCreate

_SLUG = re.compile(r"[^a-z0-9-]+")
_INCIDENT_REF = re.compile(r"\binc_[0-9a-z]{26}\b")
_ROOT_CAUSE = re.compile(r"root[\s_-]*cause\s*[:=]\s*(dep_[0-9a-z]{26}|[0-9a-f]{7,40})\b", re.I)
# A stronger provenance replaces a weaker one on the same link; never the other way round.
_STRENGTH = {
    Provenance.heuristic: 0,
    Provenance.rollback: 1,
    Provenance.emergency_change: 1,
    Provenance.explicit: 2,
}


def service_slug(name: str) -> str:
    """A service name as deployments keep it: lower case, dashes."""
    return _SLUG.sub("-", name.strip().lower()).strip("-")[:63]


def record_deployment(session: Session, actor: Actor, data: DeploymentRecord) -> Deployment:
    """Record a deployment a pipeline reports; the same key again updates it."""
    rollback_of = get_deployment(session, data.rollback_of) if data.rollback_of else None
    sha = data.commit.lower() if data.commit else None
    key = data.key or ":".join(
        [data.service, data.environment, data.version, sha or "", data.run_id or ""]
    )
    terminal = data.status.terminal
    now = utcnow()
    fact = DeploymentFact(
        key=f"api:{key}",
        source="api",
        environment=data.environment,
        service=data.service,
        version=data.version,
        sha=sha,
        status=data.status.value,
        status_at=data.finished_at or data.started_at or now,
        started_at=data.started_at or (None if terminal else now),
        finished_at=data.finished_at or (now if terminal else None),
        strategy=data.strategy.value,
        url=data.url,
        change_id=data.change_id,
    )
    dep = apply_deployment(session, actor, fact, rollback_of=rollback_of)
    if data.hotfix_for:
        link_rework(session, actor, dep.id, data.hotfix_for, Provenance.explicit, note="hotfix")
    return dep


def apply_deployment(
    session: Session,
    actor: Actor,
    fact: DeploymentFact,
    *,
    service: str | None = None,
    rollback_of: Deployment | None = None,
) -> Deployment:
    """Create or update the deployment ``fact.key`` names; events may come in any order."""
    dep = repository.deployment_by_key(session, fact.key)
    created = dep is None
    if dep is None:
        name = service_slug(
            service or fact.service or fact.repository.rsplit("/", 1)[-1] or "unknown"
        )
        found = cmdb.find_service(session, name)
        dep = Deployment(
            key=fact.key,
            source=fact.source,
            service=name,
            service_id=found.id if found else None,
            environment=fact.environment.strip().lower(),
            deployed_at=fact.finished_at or fact.started_at or fact.status_at or utcnow(),
        )
        session.add(dep)
    before = None if created else snapshot(dep)
    was_success, old_at = dep.status == "success" and not created, dep.deployed_at
    old_change = None if created else dep.change_id
    _merge(dep, fact)
    if rollback_of is not None:
        dep.rollback_of_id = rollback_of.id
    session.flush()
    if fact.rollback and dep.rollback_of_id is None:
        previous = repository.previous_success(session, dep)
        dep.rollback_of_id = previous.id if previous else None
    _attribute(session, dep, was_success, old_at, created)
    after = snapshot(dep)
    if before != after:
        action = "deployment.create" if created else "deployment.update"
        audit_service.record(
            session, actor, action, "deployment", dep.id, before=before, after=after
        )
    if dep.change_id and dep.change_id != old_change:
        link_emergency_rework(session, actor, dep)
    return dep


def link_emergency_rework(
    session: Session, actor: Actor, dep: Deployment
) -> list[DeploymentIncidentLink]:
    """Mark ``dep`` as rework for each incident its authorising change names, when that change
    is an emergency change (provenance ``emergency_change``; the note names the change)."""
    try:
        change = changes.get_change(session, dep.change_id or "")
    except NotFound:
        return []  # a change this database does not know: nothing to follow
    if change.type != ChangeType.emergency.value:
        return []
    links = []
    for incident_id in incidents_named(change.title, change.description, *change.links.values()):
        try:
            incidents.get_incident(session, incident_id)
        except NotFound:
            continue  # a reference to an incident that does not exist here is not evidence
        note = f"emergency change {change.id} names {incident_id}"
        links.append(
            link_rework(session, actor, dep.id, incident_id, Provenance.emergency_change, note)
        )
    return links


def incidents_named(*texts: str) -> list[str]:
    """The incident ids (``inc_…``) the texts mention, each once, in order of first mention."""
    found: dict[str, None] = {}
    for text in texts:
        for ref in _INCIDENT_REF.findall(text or ""):
            found.setdefault(ref, None)
    return list(found)


def _merge(dep: Deployment, fact: DeploymentFact) -> None:
    """Fill what the deployment lacks; apply the status unless a newer one is already there."""
    for field in ("repository", "version", "sha", "ref", "change_id"):
        value = getattr(fact, field)
        if value and not getattr(dep, field):
            setattr(dep, field, value)
    if fact.strategy:
        dep.strategy = fact.strategy
    dep.url = fact.url or dep.url
    if fact.started_at and (dep.started_at is None or fact.started_at < dep.started_at):
        dep.started_at = fact.started_at
    if fact.status and _newer(dep, fact):
        dep.status, dep.status_at = fact.status, fact.status_at or dep.status_at
        dep.finished_at = fact.finished_at if DeploymentStatus(fact.status).terminal else None
    dep.deployed_at = dep.finished_at or dep.started_at or dep.status_at or dep.deployed_at


def _newer(dep: Deployment, fact: DeploymentFact) -> bool:
    if dep.status_at is None or fact.status_at is None or fact.status_at > dep.status_at:
        return True
    if fact.status_at < dep.status_at:
        return False
    # Same instant: a final state wins over an intermediate one.
    return (
        DeploymentStatus(fact.status or "pending").terminal
        or not DeploymentStatus(dep.status).terminal
    )


def _attribute(
    session: Session, dep: Deployment, was_success: bool, old_at: Any, created: bool
) -> None:
    is_success = dep.status == "success"
    if not was_success and not is_success:
        if created:
            dep.attribution = "none"
        return
    if was_success and not is_success:
        attribution.clear(session, dep)
    since = dep.deployed_at if created else min(old_at, dep.deployed_at)
    if is_success or was_success:
        attribution.reattribute(session, dep.service, dep.environment, since)


def get_deployment(session: Session, deployment_id: str) -> Deployment:
    """One deployment by id."""
    dep = repository.deployment(session, deployment_id)
    if dep is None:
        raise NotFound(
            f"there is no deployment {deployment_id!r}; list them with `guardrail deploy list`"
        )
    return dep


def snapshot(dep: Deployment) -> dict[str, Any]:
    """The fields the audit trail keeps for a deployment."""
    return {
        "service": dep.service,
        "environment": dep.environment,
        "version": dep.version,
        "sha": dep.sha,
        "status": dep.status,
        "strategy": dep.strategy,
        "deployed_at": dep.deployed_at,
        "change_id": dep.change_id,
        "rollback_of_id": dep.rollback_of_id,
    }


# --- links to incidents ---


def link_failure(
    session: Session,
    actor: Actor,
    deployment_id: str,
    incident_id: str,
    provenance: Provenance | str = Provenance.explicit,
    note: str = "",
) -> DeploymentIncidentLink:
    """Record that ``deployment_id`` caused ``incident_id`` (the change failure rate counts it).

    Idempotent: linking again keeps one link, upgraded to the stronger provenance.
    """
    return _link(
        session, actor, deployment_id, incident_id, LinkKind.cause, Provenance(provenance), note
    )


def link_rework(
    session: Session,
    actor: Actor,
    deployment_id: str,
    incident_id: str,
    provenance: Provenance | str = Provenance.explicit,
    note: str = "",
) -> DeploymentIncidentLink:
    """Record that ``deployment_id`` was made because of ``incident_id`` (a hotfix; the changes
    practice calls this for an emergency change linked to an incident)."""
    return _link(
        session, actor, deployment_id, incident_id, LinkKind.rework, Provenance(provenance), note
    )


def unlink(
    session: Session,
    actor: Actor,
    deployment_id: str,
    incident_id: str,
    kind: LinkKind | str = LinkKind.cause,
) -> bool:
    """Remove a link (triage changed its mind); False when there was none."""
    row = repository.link(session, deployment_id, incident_id, LinkKind(kind).value)
    if row is None:
        return False
    before = _link_view(row)
    session.delete(row)
    session.flush()
    audit_service.record(
        session, actor, "deployment.unlink", "deployment", deployment_id, before=before
    )
    return True


def _link(
    session: Session,
    actor: Actor,
    deployment_id: str,
    incident_id: str,
    kind: LinkKind,
    provenance: Provenance,
    note: str,
) -> DeploymentIncidentLink:
    get_deployment(session, deployment_id)
    if not incident_id.strip():
        raise InvalidInput("name the incident to link (its id)")
    row = repository.link(session, deployment_id, incident_id, kind.value)
    if row is not None:
        if _STRENGTH[provenance] <= _STRENGTH[Provenance(row.provenance)]:
            return row
        before = _link_view(row)
        row.provenance, row.note = provenance.value, note or row.note
        session.flush()
        audit_service.record(
            session,
            actor,
            "deployment.link",
            "deployment",
            deployment_id,
            before=before,
            after=_link_view(row),
        )
        return row
    row = DeploymentIncidentLink(
        deployment_id=deployment_id,
        incident_id=incident_id,
        kind=kind.value,
        provenance=provenance.value,
        note=note,
        created_at=utcnow(),
        created_by=actor.name,
    )
    session.add(row)
    session.flush()
    audit_service.record(
        session, actor, "deployment.link", "deployment", deployment_id, after=_link_view(row)
    )
    return row


def _link_view(row: DeploymentIncidentLink) -> dict[str, Any]:
    return {
        "incident_id": row.incident_id,
        "kind": row.kind,
        "provenance": row.provenance,
        "note": row.note,
    }


def links_of_incident(session: Session, incident_id: str) -> list[DeploymentIncidentLink]:
    """Every link an incident has (causes and rework)."""
    return repository.links_of_incident(session, incident_id)


def resolve_root_cause_refs(session: Session, text: str) -> list[Deployment]:
    """The deployments that ``root cause: <sha>`` (or ``root cause: dep_…``) references in
    ``text`` name: for a commit, the first successful production deployment of each service
    that delivered it, else the successful deployments of that exact sha."""
    found: dict[str, Deployment] = {}
    for ref in _ROOT_CAUSE.findall(text or ""):
        for dep in _resolve(session, ref.lower()):
            found.setdefault(dep.id, dep)
    return list(found.values())


def _resolve(session: Session, ref: str) -> list[Deployment]:
    if ref.startswith("dep_"):
        dep = repository.deployment(session, ref)
        return [dep] if dep else []
    commits = repository.commits_by_sha(session, [ref]) if len(ref) == 40 else {}
    commit = next(iter(commits.values()), None) or repository.commit_by_prefix(session, ref)
    if commit is not None:
        delivering = repository.deployments_delivering(session, [commit.id])
        first: dict[str, Deployment] = {}
        for dep in delivering:
            if is_production(dep.environment):
                first.setdefault(dep.service, dep)
        if first:
            return list(first.values())
    return repository.deployments_with_sha_prefix(session, ref)


# --- releases ---


def create_release(session: Session, actor: Actor, data: ReleaseCreate) -> tuple[Release, bool]:
    """Name a release of a service's version; the same key again updates it. True if created."""
    name = service_slug(data.service)
    if not name:
        raise InvalidInput("name the service with letters or digits, e.g. --service checkout")
    key = f"api:{data.key or f'{name}:{data.version}'}"
    row = repository.release_by_key(session, key)
    created = row is None
    before = None if row is None else _release_view(row)
    if row is None:
        row = Release(key=key, service=name, version=data.version)
        session.add(row)
    row.version, row.name, row.body = data.version, data.name, data.body
    row.repository = data.repository or row.repository
    row.published_at = data.published_at or row.published_at
    row.url = data.url or row.url
    session.flush()
    after = _release_view(row)
    if before != after:
        action = "release.create" if created else "release.update"
        audit_service.record(session, actor, action, "release", row.id, before=before, after=after)
    return row, created


def _release_view(row: Release) -> dict[str, Any]:
    return {
        "service": row.service,
        "version": row.version,
        "name": row.name,
        "repository": row.repository,
        "published_at": row.published_at,
        "url": row.url,
        "body_sha256": hashlib.sha256((row.body or "").encode()).hexdigest(),
    }


def get_release(session: Session, release_id: str) -> Release:
    """One release by id."""
    row = repository.release(session, release_id)
    if row is None:
        raise NotFound(
            f"there is no release {release_id!r}; list them with `guardrail release list`"
        )
    return row
