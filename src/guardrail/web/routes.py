"""Web pages (placeholder until the web shell lands)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import HTMLResponse


def mount(app: FastAPI) -> None:
    @app.get("/", include_in_schema=False, response_class=HTMLResponse)
    def home() -> str:
        return "<h1>guardrail</h1>"
