"""Pages for practices not built yet: inside the frame, saying so plainly, with no made-up data."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Depends, Request, Response

from guardrail.kit.context import Actor
from guardrail.web.nav import NAV, NavItem
from guardrail.web.render import render
from guardrail.web.routing import web_router
from guardrail.web.session import signed_in


def router() -> APIRouter:
    """A route for every navigation entry that is not live yet."""
    pages = web_router()
    for item in NAV:
        if not item.live:
            pages.add_api_route(item.path, _page(item), methods=["GET"], name=f"{item.key}_page")
    return pages


def _page(item: NavItem) -> Callable[..., Response]:
    def placeholder(request: Request, _: Actor = Depends(signed_in())) -> Response:
        return render(request, "placeholder.html", {"item": item})

    placeholder.__doc__ = f"{item.label}: not built yet in this version."
    return placeholder
