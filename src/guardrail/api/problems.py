"""Every error as application/problem+json (RFC 9457) with a detail a person can act on."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from guardrail.errors import GuardrailError

log = logging.getLogger("guardrail.api")

PROBLEM_JSON = "application/problem+json"
_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


def problem_body(
    path: str, status: int, detail: str, request_id: str | None, *, slug: str | None = None
) -> dict[str, Any]:
    """The RFC 9457 body every error answers with."""
    title = _TITLES.get(status, "Error")
    return {
        "type": f"urn:guardrail:problem:{slug or title.lower().replace(' ', '-')}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": path,
        "request_id": request_id,
    }


def problem(
    request: Request, status: int, detail: str, *, slug: str | None = None, **extra: Any
) -> JSONResponse:
    """A problem+json response for ``request``."""
    request_id = getattr(request.state, "request_id", None)
    body = problem_body(request.url.path, status, detail, request_id, slug=slug)
    body.update(extra)
    headers = {"WWW-Authenticate": 'Bearer realm="guardrail"'} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header"}:
        where, rest = parts[0], parts[1:]
        return f"{where}.{'.'.join(rest)}" if rest else where
    return ".".join(parts)


def _message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        return "unknown field; remove it (see /openapi.json for the accepted fields)"
    if kind == "missing":
        return "required field is missing"
    if kind == "json_invalid":
        return f"the body is not valid JSON: {error.get('ctx', {}).get('error', 'parse error')}"
    return str(error.get("msg", "invalid value"))


def validation_errors(errors: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Pydantic errors as ``{field, message}`` pairs."""
    return [{"field": _field(e.get("loc", ())), "message": _message(e)} for e in errors]


async def _guardrail_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, GuardrailError)
    return problem(request, exc.status, exc.detail, slug=exc.type_slug, **exc.extra)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = validation_errors(list(exc.errors()))
    summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
    return problem(
        request, 422, f"the request is invalid: {summary}", slug="invalid-input", errors=errors
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"there is no route {request.url.path}; the API is described at /openapi.json"
    if exc.status_code == 405:
        detail = f"{request.method} is not allowed on {request.url.path}"
    return problem(request, exc.status_code, detail)


_UNEXPECTED = (
    "guardrail hit an unexpected error; the server log has the details under this request id"
)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception(
        "unhandled error", extra={"request_id": getattr(request.state, "request_id", None)}
    )
    return problem(request, 500, _UNEXPECTED)


def unexpected_body(path: str, request_id: str | None) -> bytes:
    """The 500 problem+json body, for the endpoints served outside FastAPI's handlers."""
    return json.dumps(problem_body(path, 500, _UNEXPECTED, request_id)).encode()


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(GuardrailError, _guardrail_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
