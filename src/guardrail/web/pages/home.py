"""The home page: where the scoreboard will be, and what the catalogue holds today."""

from __future__ import annotations

from fastapi import Depends, Request, Response

from guardrail.cmdb import service as cmdb
from guardrail.cmdb.schemas import ServiceFilter
from guardrail.kit.context import Actor
from guardrail.store.session import Database
from guardrail.web.render import render
from guardrail.web.routing import web_router
from guardrail.web.session import signed_in

router = web_router()

TIERS = (1, 2, 3, 4)


@router.get("/")
def home(request: Request, _: Actor = Depends(signed_in())) -> Response:
    """The scoreboard's place, and the number of services by tier."""
    db: Database = request.app.state.db
    with db.reader() as session:
        by_tier = {
            tier: cmdb.list_services(session, ServiceFilter(tier=tier), limit=1, offset=0)[1]
            for tier in TIERS
        }
    return render(request, "home.html", {"by_tier": by_tier, "total": sum(by_tier.values())})
