"""The web dashboard: server-rendered pages and the files they load, all served by guardrail."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from guardrail.web.pages import home, placeholders, services, signin


def mount(app: FastAPI) -> None:
    """Mount the static files and every page on ``app``."""
    # From the installed package, so the dashboard works offline and needs no build step.
    app.mount("/static", StaticFiles(packages=[("guardrail.web", "static")]), name="static")
    # A practice that ships its page adds its router here and sets live=True in nav.NAV; the
    # placeholders come last, so a real page wins even before its entry is flipped.
    for router in (signin.router, home.router, services.router, placeholders.router()):
        app.include_router(router)
