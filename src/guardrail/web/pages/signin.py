"""Sign in with an API token, and sign out."""

from __future__ import annotations

from fastapi import Form, Request, Response
from fastapi.responses import RedirectResponse

from guardrail.api.deps import authenticate
from guardrail.config import Settings
from guardrail.errors import Forbidden, Unauthorized
from guardrail.web.render import render
from guardrail.web.routing import web_router
from guardrail.web.session import clear_session, safe_next, same_origin, set_session

router = web_router()

_ENDED = (
    "Your session ended: its API token is no longer valid (revoked or expired). "
    "Sign in with a current token."
)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@router.get("/signin")
def signin_form(request: Request, next: str | None = None, ended: str | None = None) -> Response:
    """The sign-in form."""
    notice = _ENDED if ended else None
    return render(
        request, "signin.html", {"next": safe_next(next), "error": None, "notice": notice}
    )


@router.post("/signin")
def signin(request: Request, token: str = Form(""), next: str = Form("/")) -> Response:
    """Check the token; on success keep it in the session cookie and go where the person wanted."""
    settings = _settings(request)
    if not same_origin(request, settings):
        raise Forbidden("sign in from guardrail's own sign-in page")
    target = safe_next(next)
    secret = token.strip()
    try:
        if not secret:
            raise Unauthorized("enter an API token")
        authenticate(request, secret)
    except Unauthorized as exc:
        context = {"next": target, "error": exc.detail, "notice": None}
        return render(request, "signin.html", context, status=401)
    response = RedirectResponse(target, status_code=303)
    set_session(response, secret, settings)
    return response


@router.post("/signout")
def signout(request: Request) -> Response:
    """Forget the session cookie."""
    settings = _settings(request)
    if not same_origin(request, settings):
        raise Forbidden("sign out from guardrail's own pages")
    response = RedirectResponse("/signin", status_code=303)
    clear_session(response, settings)
    return response
