"""Guardrails versions: apply (validated, versioned, audited), list, and pick the one in force."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from guardrail.audit import service as audit_service
from guardrail.changes import repository
from guardrail.changes.models import PolicyVersion
from guardrail.changes.policy import document as document_module
from guardrail.changes.policy.builtin import BUILTIN_GUARDRAILS, builtin_document
from guardrail.changes.schemas import PolicyApply, PolicyOut
from guardrail.cmdb import service as cmdb
from guardrail.errors import InvalidInput, NotFound
from guardrail.kit.context import Actor

DEFAULT_SCOPE = "default"


@dataclass(frozen=True)
class InForce:
    """The guardrails that decide a change: a stored version, or the built-in ones."""

    policy_id: str | None
    scope: str
    version: int
    digest: str
    document: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.policy_id,
            "scope": self.scope,
            "version": self.version,
            "digest": self.digest,
        }


def validate(data: PolicyApply) -> dict[str, Any]:
    """The normalised document, or InvalidInput listing every problem with line and column."""
    try:
        return document_module.parse(data.source, data.modules)
    except document_module.PolicyInvalid as exc:
        problems = [p.as_dict() for p in exc.problems]
        first = exc.problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise InvalidInput(
            f"{data.filename} is invalid at line {first.line}, column {first.column}: "
            f"{first.message}{more}; the version in force is unchanged",
            extra={"problems": problems},
        ) from exc


def apply(session: Session, actor: Actor, data: PolicyApply) -> PolicyVersion:
    """Store a new version of a service's (or the default) guardrails after validating it."""
    document = validate(data)
    service_id = cmdb.get_service(session, data.service).id if data.service else None
    scope = service_id or DEFAULT_SCOPE
    latest = repository.latest_policy(session, scope)
    digest = document_module.digest(document)
    if latest is not None and latest.digest == digest and latest.source == data.source:
        return latest  # the same file applied twice is one version
    version = PolicyVersion(
        scope=scope,
        service_id=service_id,
        version=(latest.version + 1) if latest else 1,
        source=data.source,
        modules=data.modules,
        document=document,
        digest=digest,
        filename=data.filename,
        created_by=actor.name,
    )
    session.add(version)
    session.flush()
    audit_service.record(
        session,
        actor,
        "guardrails.apply",
        "guardrails",
        version.id,
        before={"version": latest.version, "digest": latest.digest} if latest else None,
        after={
            "scope": scope,
            "version": version.version,
            "digest": digest,
            "filename": data.filename,
            "steps": [s["step"] for s in document["steps"]],
        },
    )
    return version


# Stored versions by id. A version row is never updated (each apply inserts a new one), so an
# entry can only be missing, never stale; the digest is compared anyway. Which version is in
# force is asked of the database on every decision (``newest_policy_ref``), so every replica
# uses a newly applied version from its next decision on.
_versions: OrderedDict[str, InForce] = OrderedDict()
_versions_lock = threading.Lock()
_CACHED_VERSIONS = 512


def in_force(session: Session, service_id: str) -> InForce:
    """The service's newest guardrails, else the organisation default, else the built-in ones."""
    ref = repository.newest_policy_ref(session, service_id, DEFAULT_SCOPE)
    if ref is not None:
        stored = _stored(session, *ref)
        if stored is not None:
            return stored
    return _builtin()


def recorded(session: Session, policy_id: str | None, digest: str) -> InForce:
    """The version stored on a change (it keeps deciding that change after newer applies)."""
    if policy_id is not None:
        stored = _stored(session, policy_id, digest)
        if stored is not None:
            return stored
    return _builtin()


def _stored(session: Session, policy_id: str, digest: str) -> InForce | None:
    with _versions_lock:
        hit = _versions.get(policy_id)
    if hit is not None and hit.digest == digest:
        return hit
    row = repository.policy(session, policy_id)
    if row is None:
        return None
    force = InForce(row.id, row.scope, row.version, row.digest, row.document)
    with _versions_lock:
        _versions[row.id] = force
        while len(_versions) > _CACHED_VERSIONS:
            _versions.popitem(last=False)
    return force


def _builtin() -> InForce:
    document, digest = builtin_document()
    return InForce(None, "builtin", 0, digest, document)


def list_versions(
    session: Session, service: str | None, default: bool, limit: int
) -> list[PolicyOut]:
    """Versions, newest first, for one service, the default, or all."""
    scope = (
        DEFAULT_SCOPE if default else (cmdb.get_service(session, service).id if service else None)
    )
    return [to_out(v) for v in repository.policy_versions(session, scope, limit)]


def get_version(session: Session, policy_id: str) -> PolicyOut:
    """One stored version with its source."""
    stored = repository.policy(session, policy_id)
    if stored is None:
        raise NotFound(
            f"no guardrails version {policy_id!r}; list them with `guardrail policy history`"
        )
    return to_out(stored)


def current(session: Session, service: str | None) -> PolicyOut:
    """The guardrails in force for a service (or the default), as stored or built in."""
    service_id = cmdb.get_service(session, service).id if service else DEFAULT_SCOPE
    force = in_force(session, service_id)
    if force.policy_id is not None:
        return get_version(session, force.policy_id)
    return PolicyOut(
        id="builtin",
        scope="builtin",
        service_id=None,
        version=0,
        digest=force.digest,
        filename="builtin guardrails (DESIGN.md example)",
        created_by="guardrail",
        created_at=_epoch(),
        source=BUILTIN_GUARDRAILS,
        modules={},
        steps=force.document["steps"],
    )


def to_out(version: PolicyVersion) -> PolicyOut:
    out = PolicyOut.model_validate(version)
    return out.model_copy(update={"steps": version.document.get("steps", [])})


def _epoch() -> Any:
    from datetime import UTC, datetime

    return datetime(1970, 1, 1, tzinfo=UTC)
