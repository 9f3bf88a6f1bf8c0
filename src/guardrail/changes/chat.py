"""Chat identities: which guardrail person a Slack user is, and whether they may approve."""

from __future__ import annotations

from sqlalchemy.orm import Session

from guardrail.audit import service as audit_service
from guardrail.changes import approvals as approvals_module
from guardrail.changes import repository
from guardrail.changes.models import ChatIdentity
from guardrail.changes.schemas import ChatLink
from guardrail.errors import Forbidden, NotFound
from guardrail.identity import service as identity_service
from guardrail.identity.enums import Role
from guardrail.kit.context import Actor


def link(session: Session, actor: Actor, data: ChatLink) -> ChatIdentity:
    """Say that a chat user is a guardrail person (replacing an earlier link)."""
    people = {p.handle: p for p in identity_service.list_people(session)}
    person = people.get(data.person) or next(
        (p for p in people.values() if p.id == data.person), None
    )
    if person is None:
        raise NotFound(f"no person {data.person!r}")
    row = repository.chat_identity(session, data.provider, data.external_id)
    if row is None:
        row = ChatIdentity(
            provider=data.provider, external_id=data.external_id, person_id=person.id
        )
        session.add(row)
    else:
        row.person_id = person.id
    session.flush()
    audit_service.record(
        session,
        actor,
        "chat.link",
        "person",
        person.id,
        after={"provider": data.provider, "external_id": data.external_id},
    )
    return row


def approver_actor(session: Session, provider: str, external_id: str, request_id: str) -> Actor:
    """The actor for a chat user who pressed a button: a linked person with the approver role."""
    person_id = repository.chat_person(session, provider, external_id)
    if person_id is None:
        raise Forbidden(
            f"your {provider} user {external_id} is not linked to a guardrail person; an admin "
            f"links it with `guardrail change chat-link {external_id} PERSON`"
        )
    directory = approvals_module.Directory(session)
    person = directory.person(person_id)
    if person is None or person not in directory.approvers():
        raise Forbidden("approving needs the approver role; you hold no approver token")
    return Actor(
        name=f"{provider}:{person.handle}",
        role=Role.approver.value,
        person_id=person_id,
        request_id=request_id,
    )
