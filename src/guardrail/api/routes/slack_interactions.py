"""``POST /hooks/slack``: Slack's interactivity requests (buttons on change and incident messages).

Mounted at the root beside the other hooks. Slack signs each request (v0 scheme) with the app's
signing secret (GUARDRAIL_SLACK_SIGNING_SECRET); unsigned, mis-signed or stale requests are refused
before anything is read. Slack shows the JSON answer to the person who pressed the button.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from guardrail.changes import chat, service
from guardrail.errors import GuardrailError, Unauthorized
from guardrail.errors import NotFound as NotConfigured
from guardrail.integrations.outbound.slack import (
    client,
    incident_actions,
    interactions,
    messages,
    signature,
)
from guardrail.store.session import Database

router = APIRouter(tags=["hooks"])


def _act(db: Database, press: interactions.ButtonPress, request_id: str) -> dict[str, object]:
    try:
        with db.unit_of_work() as session:
            actor = chat.approver_actor(session, "slack", press.user_id, request_id)
            act = service.approve if press.action == "approve" else service.reject
            change = act(
                session, actor, press.change_id, f"from Slack by {press.user_name}", via="slack"
            )
            verb = "approved" if press.action == "approve" else "rejected"
            detail = f"It is now {change.state.replace('_', ' ')}."
            return messages.outcome(change.id, verb, actor.name.removeprefix("slack:"), detail)
    except GuardrailError as exc:
        # Slack shows this only to the person who pressed the button.
        return {
            "response_type": "ephemeral",
            "replace_original": False,
            "text": f"Not done: {exc.detail}",
        }


@router.post(
    "/hooks/slack",
    summary="Slack interactivity (Approve/Reject on changes, Acknowledge/Resolve on incidents)",
    responses={
        200: {"description": "Slack's message answer: `response_type`, `text`"},
        400: {"description": "A change button whose payload cannot be read"},
        401: {"description": "Signature missing, wrong, or older than five minutes"},
        404: {"description": "Slack interactivity is not set up (no signing secret)"},
    },
)
async def slack_interaction(request: Request) -> JSONResponse:
    """Verify Slack's signature and timestamp, then act on the button pressed.

    The body is Slack's `application/x-www-form-urlencoded` `payload` (a `block_actions` JSON
    document), signed with the app's signing secret in `X-Slack-Signature` and
    `X-Slack-Request-Timestamp`.
    """
    secret = client.settings().signing_secret
    if not secret:
        raise NotConfigured("Slack interactivity is not set up: set GUARDRAIL_SLACK_SIGNING_SECRET")
    body = await request.body()
    try:
        signature.verify(
            secret,
            request.headers.get("x-slack-request-timestamp"),
            request.headers.get("x-slack-signature"),
            body,
        )
    except signature.BadSignature as exc:
        raise Unauthorized(f"not a valid Slack request: {exc}") from exc
    incident = incident_actions.parse(body)  # Acknowledge / Resolve on an incident page
    if incident is not None:
        rid = getattr(request.state, "request_id", "req_slack")
        answer = await run_in_threadpool(incident_actions.act, request.app.state.db, incident, rid)
        return JSONResponse(answer)
    try:
        press = interactions.parse(body)
    except interactions.BadPayload as exc:
        return JSONResponse({"detail": str(exc)}, status_code=400)
    if press is None:
        return JSONResponse({"ok": True, "ignored": "not a guardrail button"})
    answer = await run_in_threadpool(
        _act, request.app.state.db, press, getattr(request.state, "request_id", "req_slack")
    )
    return JSONResponse(answer)
