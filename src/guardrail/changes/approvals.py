"""Approvals: who may approve, separation of duties, expiry, and counting them per requirement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from guardrail.changes.models import Approval, Change
from guardrail.changes.policy.engine import Granted, Requirement
from guardrail.errors import Forbidden
from guardrail.identity import service as identity_service
from guardrail.identity.enums import Role
from guardrail.kit.context import Actor
from guardrail.kit.time import as_utc, parse_duration


@dataclass(frozen=True)
class Person:
    id: str
    handle: str
    email: str | None

    def names(self) -> set[str]:
        """Every way a commit might name this person."""
        names = {self.handle.lower(), self.id.lower()}
        if self.email:
            names |= {self.email.lower(), self.email.split("@")[0].lower()}
        return names


class Directory:
    """People and team memberships, read once per decision."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._people: dict[str, Person] | None = None
        self._groups: dict[str, set[str]] = {}

    def person(self, person_id: str | None) -> Person | None:
        if person_id is None:
            return None
        if self._people is None:
            self._people = {
                p.id: Person(p.id, p.handle, p.email)
                for p in identity_service.list_people(self.session)
            }
        return self._people.get(person_id)

    def members(self, group: str) -> set[str]:
        """Person ids in a team (empty when there is no such team)."""
        if group not in self._groups:
            teams = {t.slug: t for t in identity_service.list_teams(self.session)}
            team = teams.get(group)
            members = identity_service.team_out(team).members if team else []
            self._groups[group] = {m.person_id for m in members}
        return self._groups[group]

    def approvers(self) -> list[Person]:
        """People holding a live token with the approver role or higher."""
        ids = {
            t.person_id
            for t in identity_service.list_tokens(self.session)
            if t.person_id and Role(t.role).allows(Role.approver) and _live(t)
        }
        return sorted((p for i in ids if (p := self.person(i))), key=lambda p: p.handle)


def _live(token: Any) -> bool:
    from guardrail.kit.time import utcnow

    return token.expires_at is None or as_utc(token.expires_at) > utcnow()


def conflict_of_interest(change: Change, person: Person | None, token_id: str | None) -> str | None:
    """Why this approver may not approve this change (separation of duties), or None."""
    if person is not None and person.id == change.requester_person_id:
        return f"{person.handle} requested this change and cannot approve it"
    if token_id is not None and token_id == change.requester_token_id:
        return "the token that requested this change cannot approve it"
    if person is not None and person.names() & {a.lower() for a in change.authors}:
        return f"{person.handle} authored commits in this change and cannot approve it"
    return None


def check_may_approve(change: Change, actor: Actor, directory: Directory) -> Person:
    """The approving person, or Forbidden saying why they may not."""
    if actor.person_id is None:
        raise Forbidden(
            "approvals are personal: use a token linked to a person "
            "(guardrail token create --person HANDLE)"
        )
    person = directory.person(actor.person_id)
    if person is None:
        raise Forbidden("the token's person no longer exists")
    problem = conflict_of_interest(change, person, actor.token_id)
    if problem:
        raise Forbidden(f"separation of duties: {problem}")
    return person


def counter(change: Change, approvals: list[Approval], directory: Directory, now: datetime) -> Any:
    """The engine's approval lookup for one change: valid approvals per requirement."""

    def granted(requirement: Requirement) -> Granted:
        window = parse_duration(requirement.expires)
        result = Granted()
        seen: set[str] = set()
        for approval in approvals:
            if approval.decision != "approve" or approval.person_id in seen:
                continue
            if as_utc(approval.created_at) + window <= now:
                continue  # expired
            person = directory.person(approval.person_id)
            if person is None or conflict_of_interest(change, person, approval.token_id):
                continue
            if requirement.group and person.id not in directory.members(requirement.group):
                continue
            seen.add(person.id)
            result.count += 1
            result.approvers.append(person.handle)
        return result

    return granted


def eligible(change: Change, directory: Directory) -> list[str]:
    """Handles of people who could give a missing approval now."""
    unmet = [r for r in change.approvals_required if r["granted"] < r["count"]]
    if not unmet:
        return []
    approved = {a for r in change.approvals_required for a in r.get("approvers", [])}
    handles: set[str] = set()
    for person in directory.approvers():
        if person.handle in approved or conflict_of_interest(change, person, None):
            continue
        if any(not r["group"] or person.id in directory.members(r["group"]) for r in unmet):
            handles.add(person.handle)
    return sorted(handles)


def groups_of(person: Person, change: Change, directory: Directory) -> list[str]:
    """The required groups this person belongs to (recorded on the approval)."""
    groups = {r["group"] for r in change.approvals_required if r.get("group")}
    return sorted(g for g in groups if person.id in directory.members(g))


def fits_any(person: Person, change: Change, directory: Directory) -> bool:
    """Whether the person's approval would count for some requirement still missing approvals."""
    unmet = [r for r in change.approvals_required if r["granted"] < r["count"]]
    return any(not r["group"] or person.id in directory.members(r["group"]) for r in unmet)


def longest_validity(change: Change) -> timedelta:
    durations = [parse_duration(r["expires"]) for r in change.approvals_required]
    return max(durations, default=timedelta(hours=24))
