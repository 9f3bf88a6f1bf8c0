"""Dependencies: the database, and the authenticated actor with the role a route needs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from guardrail.errors import Forbidden, Unauthorized
from guardrail.identity import service as identity_service
from guardrail.identity.enums import Role
from guardrail.kit.context import Actor
from guardrail.kit.time import utcnow
from guardrail.store.session import Database

SESSION_COOKIE = "guardrail_token"
_bearer = HTTPBearer(auto_error=False, description="An API token: `Authorization: Bearer grd_…`")
_TOUCH_EVERY = timedelta(minutes=5)


def get_db(request: Request) -> Database:
    """The app's database."""
    db: Database = request.app.state.db
    return db


def _secret(request: Request, credentials: HTTPAuthorizationCredentials | None) -> str:
    header = request.headers.get("authorization")
    if header is not None and credentials is None:
        raise Unauthorized("the Authorization header must be `Bearer <token>`")
    if credentials is not None:
        return credentials.credentials
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        return cookie
    raise Unauthorized("this route needs an API token: send `Authorization: Bearer <token>`")


def authenticate(request: Request, secret: str) -> Actor:
    """The actor behind ``secret``; remembers when the token was last used (coarsely)."""
    db = get_db(request)
    with db.reader() as session:
        token = identity_service.authenticate(session, secret)
        actor = Actor(
            name=f"token:{token.name}",
            role=token.role,
            token_id=token.id,
            person_id=token.person_id,
            request_id=request.state.request_id,
        )
        stale = token.last_used_at is None or utcnow() - token.last_used_at > _TOUCH_EVERY
    if stale:
        with db.unit_of_work() as session:
            identity_service.touch_token(session, actor.token_id or "")
    return actor


def require(role: Role) -> Callable[..., Actor]:
    """A dependency that admits tokens whose role is at least ``role``."""

    def dependency(
        request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)
    ) -> Actor:
        actor = authenticate(request, _secret(request, credentials))
        if not Role(actor.role).allows(role):
            raise Forbidden(
                f"this needs the {role.value} role or higher; your token has {actor.role}"
            )
        return actor

    dependency.required_role = role  # type: ignore[attr-defined]
    return dependency
