"""The worker side of pipeline triggers: send the request, fail (and so retry) on a non-2xx."""

from __future__ import annotations

import logging
from typing import Any

import httpx
from sqlalchemy.orm import Session

from guardrail.integrations.models import PipelineTarget
from guardrail.integrations.outbound.pipelines.requests import build
from guardrail.integrations.outbound.pipelines.service import TRIGGER_JOB
from guardrail.store.outbox import handler

log = logging.getLogger("guardrail.pipelines")
TIMEOUT_SECONDS = 15.0


class TriggerFailed(RuntimeError):
    """The target answered with an error; the job is retried with backoff."""


@handler(TRIGGER_JOB)
def send_trigger(session: Session, payload: dict[str, Any]) -> None:
    """Start the pipeline the payload names."""
    target = session.get(PipelineTarget, payload["target_id"])
    if target is None or target.revoked_at is not None:
        log.warning(
            "pipeline target %s is gone; trigger %s dropped",
            payload["target_id"],
            payload["trigger_id"],
        )
        return
    request = build(
        target, payload["ref"], payload["inputs"], payload["trigger_id"], payload.get("reason", "")
    )
    with httpx.Client(timeout=TIMEOUT_SECONDS) as client:
        response = client.request(
            request.method,
            request.url,
            headers=request.headers,
            json=request.json,
            data=request.data,
            content=request.content,
        )
    if response.status_code >= 300:
        raise TriggerFailed(
            f"{target.kind} target {target.name} answered HTTP {response.status_code}: "
            f"{response.text[:300]}"
        )
    log.info("pipeline %s triggered (%s)", target.name, payload["trigger_id"])
