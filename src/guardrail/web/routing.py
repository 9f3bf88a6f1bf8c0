"""Page routes: errors become pages in the frame, and a missing sign-in becomes a redirect.

The API renders errors as problem+json through the app's exception handlers; pages catch them
here, inside their own routes, so the API's behaviour stays exactly as it is.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from guardrail.api.problems import validation_errors
from guardrail.errors import GuardrailError
from guardrail.web.render import error_page
from guardrail.web.session import SignInRequired, clear_session, signin_url

log = logging.getLogger("guardrail.web")

_TITLES = {
    400: "Bad request",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    422: "Invalid input",
}

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class WebRoute(APIRoute):
    """An APIRoute whose failures answer with HTML for people, not JSON for programs."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as exc:  # every failure on a page is answered with a page
                return _failure(request, exc)

        return route


def _failure(request: Request, exc: Exception) -> Response:
    if isinstance(exc, SignInRequired):
        response = RedirectResponse(signin_url(request, ended=exc.ended), status_code=303)
        if exc.ended:
            clear_session(response, request.app.state.settings)
        return response
    if isinstance(exc, GuardrailError):
        return error_page(request, exc.status, exc.title, exc.detail)
    if isinstance(exc, RequestValidationError):
        errors = validation_errors(list(exc.errors()))
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        return error_page(request, 422, "Invalid input", f"the address is invalid: {detail}")
    if isinstance(exc, HTTPException):
        title = _TITLES.get(exc.status_code, "Error")
        return error_page(request, exc.status_code, title, str(exc.detail))
    log.exception(
        "unhandled error on a page",
        extra={"request_id": getattr(request.state, "request_id", None)},
    )
    return error_page(
        request,
        500,
        "Something went wrong",
        "guardrail hit an unexpected error; the server log has the details under "
        "the request id below",
    )


def web_router() -> APIRouter:
    """A router for pages: HTML responses, HTML errors, and no entries in the OpenAPI schema."""
    return APIRouter(
        route_class=WebRoute, include_in_schema=False, default_response_class=HTMLResponse
    )
