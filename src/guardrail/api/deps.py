"""Dependencies: the database, and the authenticated actor with the role a route needs."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import event

from guardrail.errors import Forbidden, Unauthorized
from guardrail.identity import service as identity_service
from guardrail.identity.enums import Role
from guardrail.identity.models import ApiToken
from guardrail.kit.context import Actor
from guardrail.kit.time import as_utc, utcnow
from guardrail.store.session import Database

SESSION_COOKIE = "guardrail_token"
_bearer = HTTPBearer(auto_error=False, description="An API token: `Authorization: Bearer grd_…`")
_TOUCH_EVERY = timedelta(minutes=5)
# A token that was found live is trusted for this long without asking the database again. A
# revocation made through this process takes effect at once (see _forget); one made through
# another process (another API replica, the CLI) takes effect here within this many seconds.
TOKEN_CACHE_SECONDS = 5.0


@dataclass(frozen=True)
class _Known:
    """A live token as last read from the database, without its secret."""

    token_id: str
    name: str
    role: str
    person_id: str | None
    expires_at: datetime | None
    last_used_at: datetime | None
    read_at: float


_known: dict[str, _Known] = {}  # by the secret's hash
_revoked: dict[str, float] = {}  # token id -> when this process revoked or edited it
_known_lock = threading.Lock()


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
    key = identity_service.hash_secret(secret)
    known = _cached(key)
    if known is None:
        with db.reader() as session:
            token = identity_service.authenticate(session, secret)
            known = _remember(key, token)
    now = utcnow()
    if known.last_used_at is None or now - as_utc(known.last_used_at) > _TOUCH_EVERY:
        with db.unit_of_work() as session:
            identity_service.touch_token(session, known.token_id)
        with _known_lock:
            if key in _known:
                _known[key] = replace(known, last_used_at=now)
    return Actor(
        name=f"token:{known.name}",
        role=known.role,
        token_id=known.token_id,
        person_id=known.person_id,
        request_id=request.state.request_id,
    )


def _cached(key: str) -> _Known | None:
    """The token read less than TOKEN_CACHE_SECONDS ago, unless it expired or was revoked."""
    with _known_lock:
        known = _known.get(key)
        if known is None:
            return None
        fresh = time.monotonic() - known.read_at < TOKEN_CACHE_SECONDS
        expired = known.expires_at is not None and as_utc(known.expires_at) <= utcnow()
        if fresh and not expired and known.token_id not in _revoked:
            return known
        del _known[key]  # read it again: the database says why it is refused, if it is
        return None


def _remember(key: str, token: ApiToken) -> _Known:
    now = time.monotonic()
    known = _Known(
        token.id, token.name, token.role, token.person_id, token.expires_at, token.last_used_at, now
    )
    with _known_lock:
        for token_id, at in list(_revoked.items()):
            if now - at > 2 * TOKEN_CACHE_SECONDS:
                del _revoked[token_id]
        if known.token_id not in _revoked:  # a revocation may not be committed yet: don't keep it
            if len(_known) > 10_000:
                _known.clear()
            _known[key] = known
    return known


def _forget(target: ApiToken, _value: Any, _old: Any, _initiator: Any) -> None:
    """A token revoked or edited through this process is read from the database from now on."""
    with _known_lock:
        _revoked[target.id] = time.monotonic()
        for key in [k for k, v in _known.items() if v.token_id == target.id]:
            del _known[key]


# Any edit made with the ORM in this process (revoking, a new expiry, a new role) forgets the
# token here at once; an edit made elsewhere is seen within TOKEN_CACHE_SECONDS.
for _attribute in (
    ApiToken.revoked_at,
    ApiToken.expires_at,
    ApiToken.role,
    ApiToken.person_id,
    ApiToken.name,
):
    event.listen(_attribute, "set", _forget)


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
