"""Rendering: the Jinja2 environment, the common page context, and the headers every page sends."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined

from guardrail import __version__
from guardrail.kit.context import Actor
from guardrail.kit.time import as_utc, isoformat
from guardrail.web.nav import NAV, current_item

# Everything a page loads comes from guardrail itself: the policy makes the browser refuse any
# script, style, font or image from elsewhere, and inline scripts and styles too.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    # Pages show what a token may read; keep them out of shared caches and the back/forward cache.
    "Cache-Control": "no-store",
}


@cache
def environment() -> Environment:
    """The template environment (autoescaped; an undefined name is an error, not a blank)."""
    env = Environment(
        loader=PackageLoader("guardrail.web", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(static=static_url, nav=NAV, version=__version__)
    env.filters.update(when=format_when, iso=isoformat, who=actor_label)
    return env


def warm_templates() -> int:
    """Compile every template now (a cold page otherwise pays for it); how many were compiled.

    The environment and its compiled templates are shared by the whole process, so this costs
    once per process however many apps it builds."""
    env = environment()
    names = env.list_templates(filter_func=lambda name: name.endswith(".html"))
    for name in names:
        env.get_template(name)
    return len(names)


def static_url(path: str) -> str:
    """The URL of a file under web/static; the version busts caches on upgrade."""
    return f"/static/{path}?v={__version__}"


def format_when(value: datetime | None) -> str:
    """A timestamp as people read it, in UTC."""
    if value is None:
        return "—"
    return as_utc(value).strftime("%Y-%m-%d %H:%M UTC")


def actor_label(name: str) -> str:
    """An actor's name without the ``token:`` prefix the audit trail keeps."""
    return name.removeprefix("token:")


def page_actor(request: Request) -> Actor | None:
    """The signed-in actor, when the page's dependency found one."""
    actor: Actor | None = getattr(request.state, "actor", None)
    return actor


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> HTMLResponse:
    """Render ``template`` inside the frame with the common context."""
    path = request.url.path
    common = {
        "request": request,
        "actor": page_actor(request),
        "path": path,
        "current": current_item(path),
        "request_id": getattr(request.state, "request_id", ""),
    }
    html = environment().get_template(template).render({**common, **(context or {})})
    return HTMLResponse(html, status_code=status, headers=_HEADERS)


def error_page(request: Request, status: int, title: str, detail: str) -> HTMLResponse:
    """An error as a page in the frame."""
    context = {"title": title, "status": status, "detail": detail}
    return render(request, "error.html", context, status=status)
