"""Calls back into the incidents practice, which may land after this one (imported lazily)."""

from __future__ import annotations

import importlib
import logging
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from guardrail.errors import GuardrailError
from guardrail.kit.context import Actor

log = logging.getLogger("guardrail.oncall")


def timeline(
    session: Session, incident_id: str, kind: str, text: str, data: dict[str, Any]
) -> None:
    """Add an entry to the incident's timeline, if the incidents practice is there to take it."""
    try:
        incidents = importlib.import_module("guardrail.incidents.service")
    except ImportError:
        return
    add = getattr(incidents, "add_timeline_entry", None)
    if add is None:
        return
    try:
        # A savepoint: an incident the timeline does not know must not undo the page itself.
        with session.begin_nested():
            add(session, Actor.system("oncall"), incident_id, kind, text, data)
    except (GuardrailError, SQLAlchemyError) as exc:
        detail = exc.detail if isinstance(exc, GuardrailError) else type(exc).__name__
        log.warning("timeline entry for %s not added: %s", incident_id, detail)
