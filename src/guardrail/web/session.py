"""Signing in to the web pages: the session cookie holds an API token, checked on every page."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlencode, urlsplit

from fastapi import Request, Response

from guardrail.api.deps import SESSION_COOKIE, authenticate
from guardrail.config import Settings
from guardrail.errors import Forbidden, Unauthorized
from guardrail.identity.enums import Role
from guardrail.kit.context import Actor

SIGNIN_PATH = "/signin"
# A local path: one leading slash, not "//" or "/\" (which browsers treat as another host).
_LOCAL_PATH = re.compile(r"^/(?![/\\])[^\s\x00-\x1f\x7f]*$")


class SignInRequired(Exception):
    """The page needs a signed-in token; ``ended`` when the cookie's token stopped working."""

    def __init__(self, ended: bool = False) -> None:
        super().__init__("sign in first")
        self.ended = ended


def signed_in(role: Role = Role.viewer) -> Callable[[Request], Actor]:
    """A page dependency: the actor behind the session cookie, with at least ``role``."""

    def dependency(request: Request) -> Actor:
        secret = request.cookies.get(SESSION_COOKIE)
        if not secret:
            raise SignInRequired()
        try:
            actor = authenticate(request, secret)
        except Unauthorized as exc:
            raise SignInRequired(ended=True) from exc
        request.state.actor = actor
        if not Role(actor.role).allows(role):
            raise Forbidden(
                f"this page needs the {role.value} role or higher; your token has {actor.role}"
            )
        return actor

    return dependency


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a local path, never another site or the sign-in page."""
    if not value or not _LOCAL_PATH.match(value):
        return "/"
    if urlsplit(value).path in {SIGNIN_PATH, "/signout"}:
        return "/"
    return value


def signin_url(request: Request, *, ended: bool = False) -> str:
    """The sign-in page, remembering the page that was asked for."""
    wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    params = {"next": wanted}
    if ended:
        params["ended"] = "1"
    return f"{SIGNIN_PATH}?{urlencode(params)}"


def set_session(response: Response, secret: str, settings: Settings) -> None:
    """Keep the token in a cookie that scripts cannot read and other sites cannot send."""
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        httponly=True,
        samesite="strict",
        secure=settings.cookie_secure,
        path="/",
    )


def clear_session(response: Response, settings: Settings) -> None:
    """Forget the session cookie."""
    response.delete_cookie(
        SESSION_COOKIE, httponly=True, samesite="strict", secure=settings.cookie_secure, path="/"
    )


def same_origin(request: Request, settings: Settings) -> bool:
    """Whether a form post came from guardrail's own pages (a missing Origin is allowed)."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    own = {request.headers.get("host", "")}
    if settings.public_url:
        own.add(urlsplit(settings.public_url).netloc)
    own.discard("")
    return urlsplit(origin).netloc in own
