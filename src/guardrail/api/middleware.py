"""ASGI middleware: request ids, body limits, content types, metrics and the access log."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.requests import Request
from starlette.routing import BaseRoute, Match, compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from guardrail.api.problems import PROBLEM_JSON, problem, unexpected_body
from guardrail.kit.ids import new_id

log = logging.getLogger("guardrail.access")
errors = logging.getLogger("guardrail.api")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_BODY_METHODS = {"POST", "PUT", "PATCH"}
# Inbound webhooks and the web forms carry their own content types.
_JSON_ONLY_PREFIXES = ("/api/",)
_MAX_CACHED_PATHS = 4096
_UNMATCHED = "unmatched"


class HttpMetrics:
    """Request counts and latencies, in the app's own registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "guardrail_http_requests_total",
            "HTTP requests handled.",
            ["method", "route", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "guardrail_http_request_duration_seconds",
            "Time to answer HTTP requests.",
            ["method", "route"],
            registry=registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )


class _TooLarge(Exception):
    pass


class RequestMiddleware:
    """Gives every request an id, enforces limits, records metrics and writes the access log."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: HttpMetrics,
        max_body_bytes: int,
        openapi: Callable[[], dict[str, Any]],
    ) -> None:
        self.app = app
        self.openapi = openapi
        self._templates: list[tuple[re.Pattern[str], str]] | None = None
        self._by_path: dict[str, str] = {}
        self._series: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        self.metrics = metrics
        self.max_body = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = self._request_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        started, status = time.perf_counter(), 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            early = self._refuse(scope)
            if early is not None:
                await early(scope, receive, send_wrapper)
            else:
                await self._call_limited(scope, receive, send_wrapper)
        finally:
            self._observe(scope, status, time.perf_counter() - started, request_id)

    async def _call_limited(self, scope: Scope, receive: Receive, send: Send) -> None:
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _TooLarge:
            response = problem(Request(scope), 413, self._too_large_detail())
            await response(scope, receive, send)

    def _refuse(self, scope: Scope) -> Any:
        length, ctype, chunked = _body_headers(scope["headers"])
        if length and length.isdigit() and int(length) > self.max_body:
            return problem(Request(scope), 413, self._too_large_detail())
        if scope["method"] in _BODY_METHODS and scope["path"].startswith(_JSON_ONLY_PREFIXES):
            ctype = ctype.split(";")[0].strip().lower()
            has_body = (length and length != "0") or chunked
            if has_body and ctype != "application/json" and not ctype.endswith("+json"):
                return problem(
                    Request(scope),
                    415,
                    f"send the body as application/json (got {ctype or 'no content type'!r})",
                )
        return None

    def _too_large_detail(self) -> str:
        return f"the request body is larger than {self.max_body} bytes; send less"

    @staticmethod
    def _request_id(scope: Scope) -> str:
        for key, value in scope["headers"]:
            if key == b"x-request-id":
                candidate = value.decode("latin-1")
                if _REQUEST_ID.match(candidate):
                    return candidate
        return new_id("req")

    def _template(self, scope: Scope) -> str:
        """The route's path template, so that metrics have one series per route, not per id."""
        path = scope["path"]
        template = self._by_path.get(path)
        if template is None:
            template = self._find_template(scope)
            if template == _UNMATCHED:
                return template  # the same path may match a route for another method
            if len(self._by_path) >= _MAX_CACHED_PATHS:
                self._by_path.clear()  # paths with ids are many; keep the memory bounded
            self._by_path[path] = template
        return template

    def _find_template(self, scope: Scope) -> str:
        if scope["path"].startswith("/static/"):
            return "/static"
        if self._templates is None:
            # Built on first use from the OpenAPI paths, which carry every router's full prefix.
            paths = sorted(self.openapi().get("paths", {}), key=lambda p: (p.count("{"), p))
            self._templates = [(compile_path(p)[0], p) for p in paths]
        for pattern, template in self._templates:
            if pattern.match(scope["path"]):
                return template
        # Web pages are left out of the OpenAPI document; their routes have no prefix.
        route = scope.get("route")
        return str(getattr(route, "path", None) or _UNMATCHED)

    def _observe(self, scope: Scope, status: int, seconds: float, request_id: str) -> None:
        method = scope["method"]
        key = (method, self._template(scope), status)
        series = self._series.get(key)
        if series is None:
            # The labelled children are looked up once per (method, route, status), not per request.
            series = self._series[key] = (
                self.metrics.requests.labels(method, key[1], str(status)),
                self.metrics.latency.labels(method, key[1]),
            )
        series[0].inc()
        series[1].observe(seconds)
        if log.isEnabledFor(logging.INFO):
            log.info(
                "%s %s %s",
                method,
                scope["path"],
                status,
                extra={"request_id": request_id, "duration_ms": round(seconds * 1000, 2)},
            )


def _body_headers(headers: list[tuple[bytes, bytes]]) -> tuple[str | None, str, bool]:
    """Content-Length, Content-Type and whether the body is chunked, in one pass over the raw
    headers (ASGI servers send their names in lower case)."""
    length, ctype, chunked = None, "", False
    for name, value in headers:
        if name == b"content-length":
            length = value.decode("latin-1")
        elif name == b"content-type":
            ctype = value.decode("latin-1")
        elif name == b"transfer-encoding":
            chunked = True
    return length, ctype, chunked


class GuardedRoutes:
    """Routes served outside FastAPI's stack (see ``api.app.GuardrailApp``): the first route that
    matches, and for an unexpected error the 500 problem+json, logged with the request id, that
    the app's handlers give every other route."""

    def __init__(self, routes: Sequence[BaseRoute]) -> None:
        self.routes = tuple(routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        request_id = scope.get("state", {}).get("request_id")
        try:
            route, child_scope = next(
                (r, child)
                for r in self.routes
                for match, child in [r.matches(scope)]
                if match is Match.FULL
            )
            scope.update(child_scope)
            scope["route"] = route  # metrics label by it, as after Starlette's router
            await route.handle(scope, receive, tracking_send)
        except _TooLarge:
            raise  # the request middleware answers 413
        except Exception:
            if started:
                raise
            errors.exception("unhandled error", extra={"request_id": request_id})
            content = unexpected_body(scope["path"], request_id)
            headers = [(b"content-type", PROBLEM_JSON.encode())]
            headers.append((b"content-length", str(len(content)).encode()))
            await send({"type": "http.response.start", "status": 500, "headers": headers})
            await send({"type": "http.response.body", "body": content})
