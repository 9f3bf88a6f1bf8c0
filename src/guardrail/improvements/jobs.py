"""Background work: at each improvement's review date, measure "did we get there?"."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from guardrail.improvements import service
from guardrail.kit.context import Actor
from guardrail.kit.time import utcnow
from guardrail.store.outbox import periodic

REVIEW_EVERY = timedelta(minutes=5)


@periodic("improvements.review", every=REVIEW_EVERY)
def review_due(session: Session, payload: dict[str, Any]) -> None:
    """Review the improvements whose review date has come (each date is reviewed once)."""
    service.review_due(session, Actor.system("improvements.review"), utcnow())
