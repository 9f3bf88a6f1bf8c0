"""Tokens (shown once, stored hashed), people and teams."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy.orm import Session

from guardrail.audit import service as audit_service
from guardrail.errors import Conflict, InvalidInput, NotFound, Unauthorized
from guardrail.identity import repository
from guardrail.identity.enums import Role
from guardrail.identity.models import ApiToken, Membership, Person, Team
from guardrail.identity.schemas import (
    MemberAdd,
    MemberOut,
    PersonCreate,
    TeamCreate,
    TeamOut,
    TokenCreate,
)
from guardrail.kit.context import Actor
from guardrail.kit.time import utcnow

TOKEN_PREFIX = "grd_"


def hash_secret(secret: str) -> str:
    """Tokens are random, so a plain SHA-256 is enough to store them safely."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def create_token(
    session: Session, actor: Actor, data: TokenCreate, *, secret: str | None = None
) -> tuple[ApiToken, str]:
    """Create a token and return it with its secret, which is never stored."""
    secret = secret or _new_secret()
    if len(secret) < 20:
        raise InvalidInput("a token must be at least 20 characters long")
    if repository.token_by_hash(session, hash_secret(secret)) is not None:
        raise Conflict("that token secret is already in use; choose another")
    person_id = _person_id(session, data.person)
    token = ApiToken(
        name=data.name,
        role=data.role.value,
        secret_hash=hash_secret(secret),
        hint=secret[:8],
        person_id=person_id,
        created_by=actor.name,
        created_at=utcnow(),
        expires_at=utcnow() + timedelta(days=data.expires_in_days)
        if data.expires_in_days
        else None,
    )
    session.add(token)
    session.flush()
    audit_service.record(
        session, actor, "token.create", "token", token.id, after=_token_view(token)
    )
    return token, secret


def revoke_token(session: Session, actor: Actor, token_id: str) -> ApiToken:
    """Revoke a token; later requests with it are refused."""
    token = repository.token_by_id(session, token_id)
    if token is None:
        raise NotFound(f"no token {token_id!r}; list tokens with `guardrail token list`")
    if token.revoked_at is not None:
        return token
    before = _token_view(token)
    token.revoked_at = utcnow()
    session.flush()
    audit_service.record(
        session, actor, "token.revoke", "token", token.id, before=before, after=_token_view(token)
    )
    return token


def authenticate(session: Session, secret: str) -> ApiToken:
    """The live token for ``secret``, or Unauthorized saying why not."""
    token = repository.token_by_hash(session, hash_secret(secret))
    if token is None:
        raise Unauthorized(
            "the API token is not recognised; create one with `guardrail token create`"
        )
    if token.revoked_at is not None:
        raise Unauthorized(f"the API token {token.id} was revoked; ask an admin for a new one")
    if token.expires_at is not None and token.expires_at <= utcnow():
        raise Unauthorized(f"the API token {token.id} expired; ask an admin for a new one")
    return token


def list_tokens(session: Session, *, include_revoked: bool = False) -> list[ApiToken]:
    """Tokens, oldest first, without their secrets."""
    return repository.list_tokens(session, include_revoked=include_revoked)


def has_tokens(session: Session) -> bool:
    """Whether any token was ever created (the first serve bootstraps one when not)."""
    return repository.count_tokens(session) > 0


def bootstrap_admin(session: Session, secret: str | None) -> str | None:
    """On an empty database, create the first admin token and return its secret (once)."""
    if has_tokens(session):
        return None
    data = TokenCreate(name="bootstrap admin", role=Role.admin)
    _, secret = create_token(session, Actor.system("bootstrap"), data, secret=secret)
    return secret


def create_person(session: Session, actor: Actor, data: PersonCreate) -> Person:
    """Add a person."""
    if repository.person(session, data.handle) is not None:
        raise Conflict(f"a person with handle {data.handle!r} already exists")
    person = Person(**data.model_dump())
    session.add(person)
    session.flush()
    audit_service.record(
        session, actor, "person.create", "person", person.id, after=data.model_dump()
    )
    return person


def create_team(session: Session, actor: Actor, data: TeamCreate) -> Team:
    """Add a team."""
    if repository.team(session, data.slug) is not None:
        raise Conflict(f"a team with slug {data.slug!r} already exists")
    team = Team(**data.model_dump(), memberships=[])
    session.add(team)
    session.flush()
    audit_service.record(session, actor, "team.create", "team", team.id, after=data.model_dump())
    return team


def add_member(session: Session, actor: Actor, team_ref: str, data: MemberAdd) -> Team:
    """Add a person to a team with a role (or change their role)."""
    team = get_team(session, team_ref)
    person = repository.person(session, data.person)
    if person is None:
        raise NotFound(f"no person {data.person!r}; create them first")
    existing = next((m for m in team.memberships if m.person_id == person.id), None)
    if existing is None:
        team.memberships.append(
            Membership(person_id=person.id, role=data.role.value, person=person)
        )
    else:
        existing.role = data.role.value
    session.flush()
    audit_service.record(
        session,
        actor,
        "team.member.add",
        "team",
        team.id,
        after={"person_id": person.id, "role": data.role.value},
    )
    return team


def get_team(session: Session, ref: str) -> Team:
    """A team by slug or id, with its members."""
    team = repository.team(session, ref)
    if team is None:
        raise NotFound(f"no team {ref!r}; list teams with GET /api/v1/teams")
    return team


def list_teams(session: Session) -> list[Team]:
    """Every team with its members."""
    return repository.list_teams(session)


def list_people(session: Session) -> list[Person]:
    """Every person."""
    return repository.list_people(session)


def team_out(team: Team) -> TeamOut:
    members = [
        MemberOut(person_id=m.person_id, handle=m.person.handle, name=m.person.name, role=m.role)
        for m in team.memberships
    ]
    return TeamOut(
        id=team.id, slug=team.slug, name=team.name, description=team.description, members=members
    )


def _person_id(session: Session, ref: str | None) -> str | None:
    if ref is None:
        return None
    person = repository.person(session, ref)
    if person is None:
        raise NotFound(f"no person {ref!r}")
    return person.id


def _token_view(token: ApiToken) -> dict[str, object]:
    return {
        "name": token.name,
        "role": token.role,
        "hint": token.hint,
        "person_id": token.person_id,
        "expires_at": token.expires_at,
        "revoked_at": token.revoked_at,
    }


def touch_token(session: Session, token_id: str) -> None:
    """Record that a token was used just now (not audited: it is not a change)."""
    token = repository.token_by_id(session, token_id)
    if token is not None:
        token.last_used_at = utcnow()
        session.flush()
