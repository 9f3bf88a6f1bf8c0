"""The web dashboard: server-rendered pages and the files they load, all served by guardrail."""

from __future__ import annotations

import importlib

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from guardrail.web.pages import placeholders

# Page modules, one per line, each with a ``router``. A practice that ships its pages adds its
# module here and sets live=True on its entry in nav.NAV.
PAGE_MODULES = (
    "guardrail.web.pages.signin",
    "guardrail.web.pages.home",
    "guardrail.web.pages.services",
    "guardrail.web.pages.changes",
    "guardrail.web.pages.slos",
    "guardrail.web.pages.releases",
    "guardrail.web.pages.oncall",
    "guardrail.web.pages.cmdb",
    "guardrail.web.pages.incidents",
    "guardrail.web.pages.improvements",
    "guardrail.web.pages.problems",
)


def mount(app: FastAPI) -> None:
    """Mount the static files and every page on ``app``."""
    # From the installed package, so the dashboard works offline and needs no build step.
    app.mount("/static", StaticFiles(packages=[("guardrail.web", "static")]), name="static")
    # The placeholders come last, so a real page wins even before its nav entry is flipped.
    for name in PAGE_MODULES:
        app.include_router(importlib.import_module(name).router)
    app.include_router(placeholders.router())
