"""Every query on people, teams and tokens."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from guardrail.identity.models import ApiToken, Membership, Person, Team


def token_by_hash(session: Session, secret_hash: str) -> ApiToken | None:
    return session.scalars(select(ApiToken).where(ApiToken.secret_hash == secret_hash)).first()


def token_by_id(session: Session, token_id: str) -> ApiToken | None:
    return session.get(ApiToken, token_id)


def list_tokens(session: Session, *, include_revoked: bool) -> list[ApiToken]:
    query = select(ApiToken).order_by(ApiToken.created_at)
    if not include_revoked:
        query = query.where(ApiToken.revoked_at.is_(None))
    return list(session.scalars(query))


def count_tokens(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ApiToken)) or 0


def person(session: Session, handle_or_id: str) -> Person | None:
    column = Person.id if handle_or_id.startswith("per_") else Person.handle
    return session.scalars(select(Person).where(column == handle_or_id)).first()


def list_people(session: Session) -> list[Person]:
    return list(session.scalars(select(Person).order_by(Person.handle)))


def team(session: Session, slug_or_id: str) -> Team | None:
    column = Team.id if slug_or_id.startswith("team_") else Team.slug
    query = (
        select(Team)
        .where(column == slug_or_id)
        .options(selectinload(Team.memberships).selectinload(Membership.person))
    )
    return session.scalars(query).first()


def list_teams(session: Session) -> list[Team]:
    query = (
        select(Team)
        .order_by(Team.slug)
        .options(selectinload(Team.memberships).selectinload(Membership.person))
    )
    return list(session.scalars(query))


def teams_by_ids(session: Session, ids: set[str]) -> dict[str, Team]:
    if not ids:
        return {}
    return {t.id: t for t in session.scalars(select(Team).where(Team.id.in_(ids)))}
