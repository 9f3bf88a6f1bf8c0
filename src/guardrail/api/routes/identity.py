"""Tokens, people and teams over HTTP."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, status

from guardrail.api.deps import get_db, require
from guardrail.identity import service as identity
from guardrail.identity.enums import Role
from guardrail.identity.schemas import (
    MemberAdd,
    PersonCreate,
    PersonOut,
    TeamCreate,
    TeamOut,
    TokenCreate,
    TokenCreated,
    TokenOut,
)
from guardrail.kit.context import Actor
from guardrail.store.session import Database

router = APIRouter(tags=["identity"])


@router.get("/me", summary="Who the token belongs to")
def me(actor: Actor = Depends(require(Role.viewer))) -> dict[str, str | None]:
    """The calling token's name, role and person."""
    return {
        "name": actor.name,
        "role": actor.role,
        "token_id": actor.token_id,
        "person_id": actor.person_id,
    }


@router.get("/tokens", summary="List API tokens")
def list_tokens(
    include_revoked: bool = Query(False),
    db: Database = Depends(get_db),
    _: Actor = Depends(require(Role.admin)),
) -> list[TokenOut]:
    """Tokens without their secrets."""
    with db.reader() as session:
        tokens = identity.list_tokens(session, include_revoked=include_revoked)
        return [TokenOut.model_validate(t) for t in tokens]


@router.post("/tokens", status_code=status.HTTP_201_CREATED, summary="Create an API token")
def create_token(
    data: TokenCreate, db: Database = Depends(get_db), actor: Actor = Depends(require(Role.admin))
) -> TokenCreated:
    """Create a token; the response is the only time its secret is shown."""
    with db.unit_of_work() as session:
        token, secret = identity.create_token(session, actor, data)
        return TokenCreated(**TokenOut.model_validate(token).model_dump(), token=secret)


@router.delete("/tokens/{token_id}", summary="Revoke an API token")
def revoke_token(
    token_id: str, db: Database = Depends(get_db), actor: Actor = Depends(require(Role.admin))
) -> TokenOut:
    """Revoke a token; it is refused from now on."""
    with db.unit_of_work() as session:
        return TokenOut.model_validate(identity.revoke_token(session, actor, token_id))


@router.get("/people", summary="List people")
def list_people(
    db: Database = Depends(get_db), _: Actor = Depends(require(Role.viewer))
) -> list[PersonOut]:
    """Everyone guardrail knows."""
    with db.reader() as session:
        return [PersonOut.model_validate(p) for p in identity.list_people(session)]


@router.post("/people", status_code=status.HTTP_201_CREATED, summary="Add a person")
def create_person(
    data: PersonCreate, db: Database = Depends(get_db), actor: Actor = Depends(require(Role.admin))
) -> PersonOut:
    """Add a person."""
    with db.unit_of_work() as session:
        return PersonOut.model_validate(identity.create_person(session, actor, data))


@router.get("/teams", summary="List teams with their members")
def list_teams(
    db: Database = Depends(get_db), _: Actor = Depends(require(Role.viewer))
) -> list[TeamOut]:
    """Every team."""
    with db.reader() as session:
        return [identity.team_out(t) for t in identity.list_teams(session)]


@router.post("/teams", status_code=status.HTTP_201_CREATED, summary="Add a team")
def create_team(
    data: TeamCreate, db: Database = Depends(get_db), actor: Actor = Depends(require(Role.admin))
) -> TeamOut:
    """Add a team."""
    with db.unit_of_work() as session:
        return identity.team_out(identity.create_team(session, actor, data))


@router.get("/teams/{ref}", summary="Get a team by slug or id")
def get_team(
    ref: str, db: Database = Depends(get_db), _: Actor = Depends(require(Role.viewer))
) -> TeamOut:
    """One team with its members."""
    with db.reader() as session:
        return identity.team_out(identity.get_team(session, ref))


@router.post("/teams/{ref}/members", summary="Add a member to a team")
def add_member(
    ref: str,
    data: MemberAdd,
    db: Database = Depends(get_db),
    actor: Actor = Depends(require(Role.admin)),
) -> TeamOut:
    """Add a person to a team, or change their role in it."""
    with db.unit_of_work() as session:
        identity.add_member(session, actor, ref, data)
    with db.reader() as session:
        return identity.team_out(identity.get_team(session, ref))
