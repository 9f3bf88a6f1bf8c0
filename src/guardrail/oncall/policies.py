"""Escalation policies, notification channels and people's contact methods."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from guardrail.audit import service as audit_service
from guardrail.cmdb import service as cmdb
from guardrail.errors import NotFound
from guardrail.identity import service as identity_service
from guardrail.identity.models import Person
from guardrail.integrations.outbound.email import sender as smtp
from guardrail.kit.context import Actor
from guardrail.kit.jsonutil import to_jsonable
from guardrail.oncall import repository, schedules
from guardrail.oncall.enums import ChannelKind, TargetType
from guardrail.oncall.models import EscalationPolicy, NotifyChannel
from guardrail.oncall.people import Directory
from guardrail.oncall.schemas import (
    AppliedItem,
    ChannelIn,
    ContactIn,
    PolicyIn,
    PolicyOut,
    duration,
)

CONTACT_FIELDS = {
    "email": "email",
    "slack_webhook": "slack",
    "slack_user": "slack_user",
    "webhook": "webhook",
}


@dataclass(frozen=True)
class Destination:
    """Where one notification goes."""

    target: str  # "person:alice", "channel:ops"
    channel: str  # ChannelKind
    address: str
    person_id: str | None = None
    secret: str | None = None


# --- channels and contacts ---


def apply_channel(session: Session, actor: Actor, spec: ChannelIn) -> AppliedItem:
    """Create or update a named channel; its address is never written to the audit trail."""
    address = spec.email if spec.kind == ChannelKind.email else spec.url
    row = repository.channel(session, spec.name)
    if row is None:
        row = NotifyChannel(
            name=spec.name, kind=spec.kind.value, address=address, secret=spec.secret
        )
        session.add(row)
        change = "created"
    elif (row.kind, row.address, row.secret) == (spec.kind.value, address, spec.secret):
        return AppliedItem(kind="channel", name=spec.name, change="unchanged", id=row.id)
    else:
        row.kind, row.address, row.secret = spec.kind.value, address or "", spec.secret
        change = "updated"
    session.flush()
    audit_service.record(
        session,
        actor,
        f"oncall.channel.{'create' if change == 'created' else 'update'}",
        "oncall_channel",
        row.id,
        after={"name": row.name, "kind": row.kind},
    )
    return AppliedItem(kind="channel", name=spec.name, change=change, id=row.id)


def apply_contacts(
    session: Session, actor: Actor, spec: ContactIn, people: Directory
) -> AppliedItem:
    """Set the given contact methods of a person (each replaces that kind's earlier one)."""
    person = people.get(spec.person)
    changed = []
    for field, kind in CONTACT_FIELDS.items():
        value = getattr(spec, field)
        if value and repository.replace_contacts(session, person.id, kind, value):
            changed.append(kind)
    session.flush()
    if changed:
        audit_service.record(
            session, actor, "oncall.contacts.update", "person", person.id, after={"kinds": changed}
        )
    change = "updated" if changed else "unchanged"
    return AppliedItem(kind="contacts", name=person.handle, change=change, id=person.id)


def person_for_slack_user(session: Session, slack_user: str) -> Person | None:
    """The person whose contact methods name this Slack user id."""
    person_id = repository.person_for_slack_user(session, slack_user)
    return session.get(Person, person_id) if person_id else None


# --- policies ---


def apply_policy(session: Session, actor: Actor, spec: PolicyIn, people: Directory) -> AppliedItem:
    """Create or replace an escalation policy; a changed policy gets a new version."""
    levels = [_level(session, level.model_dump(), people) for level in spec.levels]
    service_ids = [cmdb.get_service(session, ref).id for ref in spec.services]
    values = {
        "description": spec.description,
        "is_default": spec.default,
        "repeat": spec.repeat,
        "levels": levels,
    }
    row = repository.policy(session, spec.name)
    if row is None:
        row = EscalationPolicy(name=spec.name, version=1, **values)
        session.add(row)
        session.flush()
        change, before = "created", None
    else:
        before = policy_snapshot(row)
        same = all(getattr(row, k) == v for k, v in values.items())
        linked = sorted(repository.policy_services(session).get(row.id, []))
        if same and linked == sorted(service_ids):
            return AppliedItem(kind="policy", name=spec.name, change="unchanged", id=row.id)
        for key, value in values.items():
            setattr(row, key, value)
        row.version += 0 if same else 1
        change = "updated"
    _link(session, row, service_ids)
    audit_service.record(
        session,
        actor,
        f"oncall.policy.{'create' if before is None else 'update'}",
        "oncall_policy",
        row.id,
        before=before,
        after={**policy_snapshot(row), "services": service_ids},
    )
    return AppliedItem(kind="policy", name=spec.name, change=change, id=row.id)


def _link(session: Session, row: EscalationPolicy, service_ids: list[str]) -> None:
    if row.is_default:
        repository.clear_defaults(session, row.id)
    repository.unlink_services(session, row.id, service_ids)
    for service_id in service_ids:
        repository.set_service_policy(session, service_id, row.id)
    session.flush()


def _level(session: Session, level: dict[str, Any], people: Directory) -> dict[str, Any]:
    targets = [_target(session, t, people) for t in level["targets"]]
    return {"delay_seconds": int(duration(level["delay"]).total_seconds()), "targets": targets}


def _target(session: Session, target: dict[str, Any], people: Directory) -> dict[str, str]:
    if target.get("person"):
        person = people.get(target["person"])
        return {"type": TargetType.person.value, "id": person.id, "name": person.handle}
    if target.get("schedule"):
        found = schedules.get_schedule(session, target["schedule"])
        return {"type": TargetType.schedule.value, "id": found.id, "name": found.name}
    if target.get("team"):
        team = identity_service.get_team(session, target["team"])
        return {"type": TargetType.team.value, "id": team.id, "name": team.slug}
    channel = repository.channel(session, target["channel"])
    if channel is None:
        raise NotFound(f"no channel {target['channel']!r}; declare it under `channels:`")
    return {"type": TargetType.channel.value, "id": channel.id, "name": channel.name}


def policy_snapshot(row: EscalationPolicy) -> dict[str, Any]:
    """What a run copies: the policy as it is now, with its version."""
    return to_jsonable(
        {
            "id": row.id,
            "name": row.name,
            "version": row.version,
            "repeat": row.repeat,
            "levels": row.levels,
        }
    )


def policy_for(session: Session, service_id: str | None) -> EscalationPolicy | None:
    """The service's policy, else the default policy."""
    found = repository.policy_for_service(session, service_id) if service_id else None
    return found or repository.default_policy(session)


def list_policies(session: Session) -> list[PolicyOut]:
    """Every policy with the services it pages for."""
    linked = repository.policy_services(session)
    return [
        PolicyOut(
            id=p.id,
            name=p.name,
            description=p.description,
            default=p.is_default,
            repeat=p.repeat,
            version=p.version,
            levels=p.levels,
            services=linked.get(p.id, []),
        )
        for p in repository.list_policies(session)
    ]


# --- resolving targets at page time ---


def destinations(session: Session, target: dict[str, str], at: datetime) -> list[Destination]:
    """Where a level's target is reached now (a schedule resolves to whoever is on call)."""
    kind = TargetType(target["type"])
    if kind == TargetType.channel:
        channel = repository.channel(session, target["id"])
        if channel is None:
            return []
        return [
            Destination(
                f"channel:{channel.name}", channel.kind, channel.address, secret=channel.secret
            )
        ]
    return person_destinations(session, _people_of(session, kind, target["id"], at))


def _people_of(session: Session, kind: TargetType, ref: str, at: datetime) -> list[str]:
    if kind == TargetType.person:
        return [ref]
    if kind == TargetType.schedule:
        row = repository.schedule(session, ref)
        person = schedules.on_call(session, row, at) if row else None
        return [person] if person else []
    try:
        team = identity_service.get_team(session, ref)
    except NotFound:
        return []
    return [m.person_id for m in identity_service.team_out(team).members]


def person_destinations(session: Session, person_ids: list[str]) -> list[Destination]:
    """Each person's contact methods; their identity email when they gave no email contact.

    The identity email is used only where email is set up (GUARDRAIL_SMTP_HOST): without a server
    it would be a page that can never arrive, retried and logged as failed at every incident. An
    email contact named in the on-call file is always paged, so a missing server shows up there.
    """
    people = Directory(session)
    contacts = repository.contacts(session, person_ids)
    email_is_set_up = bool(smtp.settings().host)
    result = []
    for person_id in dict.fromkeys(person_ids):
        handle = people.handle(person_id) or person_id
        mine = [
            c for c in contacts if c.person_id == person_id and c.kind in ChannelKind.__members__
        ]
        result += [Destination(f"person:{handle}", c.kind, c.address, person_id) for c in mine]
        person = people.find(person_id)
        has_email = any(c.kind == "email" for c in mine)
        if email_is_set_up and not has_email and person is not None and person.email:
            result.append(Destination(f"person:{handle}", "email", person.email, person_id))
    return result
