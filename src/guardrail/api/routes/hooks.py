"""Inbound webhooks, ``POST /hooks/<source>/<integration id>``: verify, store once, enqueue, answer.

Mounted at the root (not under /api/v1): senders are configured with this URL, and they
authenticate with the integration's own scheme (a signature or token), not an API token.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader, HTTPBearer
from starlette.concurrency import run_in_threadpool

from guardrail.integrations.inbound.core import service as inbound
from guardrail.integrations.inbound.core.schemas import Receipt
from guardrail.integrations.inbound.core.types import Delivery
from guardrail.store.session import Database

router = APIRouter(tags=["hooks"])

# Declared for the OpenAPI document only (each source's scheme is checked by the inbound core):
# a sender proves itself with one of these, whichever its integration type uses.
_SCHEMES = [
    Depends(
        APIKeyHeader(
            name="X-Hub-Signature-256",
            auto_error=False,
            scheme_name="GitHubSignature",
            description="sha256=<HMAC-SHA256 of the raw body with the secret>",
        )
    ),
    Depends(
        APIKeyHeader(
            name="X-Gitlab-Token",
            auto_error=False,
            scheme_name="GitLabToken",
            description="The integration's secret",
        )
    ),
    Depends(
        HTTPBearer(
            auto_error=False,
            scheme_name="IntegrationBearer",
            description="The integration's secret (CDEvents and other senders)",
        )
    ),
]


def _store(db: Database, source: str, integration_id: str, delivery: Delivery) -> Receipt:
    with db.unit_of_work() as session:
        return inbound.receive(session, source, integration_id, delivery)


@router.post(
    "/hooks/{source}/{integration_id}",
    summary="Receive a webhook delivery",
    status_code=202,
    dependencies=_SCHEMES,
    responses={
        200: {"description": "A replay of a delivery already stored; nothing is counted twice"},
        400: {"description": "Malformed delivery"},
        401: {"description": "Signature or token does not verify; nothing stored"},
        404: {"description": "No such integration"},
        413: {"description": "Body over the size limit"},
    },
)
async def receive_hook(source: str, integration_id: str, request: Request) -> JSONResponse:
    """Verify the delivery, store it raw (once per delivery id) and queue its processing."""
    body = await request.body()
    headers = {k.lower(): v for k, v in request.headers.items()}
    receipt = await run_in_threadpool(
        _store, request.app.state.db, source, integration_id, Delivery(headers=headers, body=body)
    )
    answer = receipt.model_dump()
    if receipt.event_type == "ping":
        answer["pong"] = True
    return JSONResponse(answer, status_code=200 if receipt.duplicate else 202)
