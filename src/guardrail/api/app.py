"""The FastAPI app factory: API, web pages and health in one ASGI app."""

from __future__ import annotations

import importlib
from typing import Any

from fastapi import APIRouter, FastAPI
from prometheus_client import CollectorRegistry
from starlette.types import ASGIApp, Receive, Scope, Send

from guardrail import __version__
from guardrail.api import problems
from guardrail.api.middleware import GuardedRoutes, HttpMetrics, RequestMiddleware
from guardrail.api.routes import pagerduty, pagerduty_schema, system
from guardrail.config import Settings, get_settings
from guardrail.kit.logs import configure_logging
from guardrail.store.engine import make_engine
from guardrail.store.session import Database

DESCRIPTION = """\
guardrail's JSON API. Authenticate with `Authorization: Bearer <token>`; every route names the
role it needs (viewer < pipeline < engineer < approver < admin). Errors are
`application/problem+json` (RFC 9457).
"""


# Every /api/v1 router, one module per line. A new practice adds its module here.
ROUTER_MODULES = (
    "guardrail.api.routes.services",
    "guardrail.api.routes.identity",
    "guardrail.api.routes.audit",
    "guardrail.api.routes.cmdb",
    "guardrail.api.routes.changes",
    "guardrail.api.routes.slo",
    "guardrail.api.routes.integrations",
    "guardrail.api.routes.releases",
    "guardrail.api.routes.incidents",
    "guardrail.api.routes.alerts",
    "guardrail.api.routes.oncall",
    "guardrail.api.routes.metrics",
    "guardrail.api.routes.problems",
    "guardrail.api.routes.postmortems",
    "guardrail.api.routes.action_items",
    "guardrail.api.routes.improvements",
)


class GuardrailApp(FastAPI):
    """FastAPI, with a few hot endpoints answered before its middleware stack.

    A PagerDuty sender posts one event per request, and the stack around every request (the
    error middleware, FastAPI's telemetry and body-limit layers, the router) cost more CPU than
    checking and storing the event. Those endpoints (``fast``: method and exact path) still get
    guardrail's own request middleware (request id, body limit, metrics, access log) and a 500
    problem+json for an unexpected error.
    """

    fast: dict[tuple[str, str], ASGIApp]

    def openapi(self) -> dict[str, Any]:
        """FastAPI's document, plus the endpoints it does not serve (described by hand)."""
        if self.openapi_schema is None:
            schema = super().openapi()
            schema["paths"].update(pagerduty_schema.PATHS)
            schema.setdefault("components", {}).setdefault("schemas", {}).update(
                pagerduty_schema.SCHEMAS
            )
            self.openapi_schema = schema
        return self.openapi_schema

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            app = self.fast.get((scope["method"], scope["path"]))
            if app is not None:
                scope["app"] = self
                await app(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


def api_router() -> APIRouter:
    """Every /api/v1 router."""
    router = APIRouter(prefix="/api/v1")
    for name in ROUTER_MODULES:
        router.include_router(importlib.import_module(name).router)
    return router


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    """Build the app for ``settings`` (read from the environment when not given)."""
    settings = settings or get_settings()
    db = db or Database(make_engine(settings.database_url))
    app = GuardrailApp(
        title="guardrail",
        version=__version__,
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        # Swagger UI and ReDoc load their scripts from a CDN; guardrail serves nothing from outside.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.metrics_registry = CollectorRegistry()
    metrics = HttpMetrics(app.state.metrics_registry)
    importlib.import_module("guardrail.metrics.exporter").install(app.state.metrics_registry, db)
    problems.install(app)
    app.include_router(system.router)
    app.include_router(importlib.import_module("guardrail.api.routes.pagerduty").router)
    app.include_router(importlib.import_module("guardrail.api.routes.hooks").router)
    app.include_router(importlib.import_module("guardrail.api.routes.slack_interactions").router)
    app.include_router(api_router())
    _mount_web(app)
    app.add_middleware(
        RequestMiddleware,
        metrics=metrics,
        max_body_bytes=settings.max_body_bytes,
        openapi=app.openapi,
    )
    fast = RequestMiddleware(
        GuardedRoutes(pagerduty.routes),
        metrics=metrics,
        max_body_bytes=settings.max_body_bytes,
        openapi=app.openapi,
    )
    app.fast = {("POST", path): fast for path in pagerduty.FAST_PATHS}
    return app


def _mount_web(app: FastAPI) -> None:
    from guardrail.web.routes import mount

    mount(app)


def create_server_process_app() -> FastAPI:
    """The app of one of several server processes (`guardrail serve --processes N`): each is a
    fresh interpreter, so it sets up logging from the GUARDRAIL_* environment its parent set."""
    settings = get_settings()
    configure_logging(settings.log_format, settings.log_level)
    return create_app(settings)
