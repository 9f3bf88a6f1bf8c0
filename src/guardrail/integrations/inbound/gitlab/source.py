"""GitLab, declared: X-Gitlab-Token carries the secret itself (no HMAC), X-Gitlab-Event-UUID (or
Idempotency-Key) names the delivery, the body's object_kind is the event type."""

from __future__ import annotations

from guardrail.integrations.inbound.core.payload import body_digest, json_body
from guardrail.integrations.inbound.core.types import (
    Delivery,
    Described,
    IntegrationType,
    SecretKind,
)
from guardrail.integrations.inbound.core.verify import token_header

NAME = "gitlab"
TOKEN_HEADER = "X-Gitlab-Token"
# Newest first: GitLab 17.4+ sends Idempotency-Key, older versions the event UUID, very old none.
DEDUP_HEADERS = ("X-Gitlab-Event-UUID", "Idempotency-Key")

MAPPING = {
    "push": "commits on the branch, each with its first parent (the previous commit of the push)",
    "merge_request": "the merge request; merged when action is merge / state merged",
    "pipeline": "a pipeline run and its commit",
    "deployment": "a deployment and its status (running, success, failed, canceled)",
    "issue": "action close / reopen: the status of the action item exported as that issue",
}


def describe(delivery: Delivery) -> Described:
    """Event type from the body's object_kind; dedup key from the event UUID, else the body hash."""
    data = json_body(delivery.body)
    kind = str(data.get("object_kind") or delivery.header("X-Gitlab-Event") or "unknown")
    key = next((v for h in DEDUP_HEADERS if (v := delivery.header(h))), None)
    return Described(event_type=kind, dedup_key=key or body_digest(delivery.body))


INTEGRATION_TYPE = IntegrationType(
    name=NAME,
    title="GitLab",
    signature=TOKEN_HEADER,
    dedup="X-Gitlab-Event-UUID (else Idempotency-Key, else the body's SHA-256)",
    secret_kind=SecretKind.hashed,
    verify=token_header(TOKEN_HEADER),
    describe=describe,
    processors=(
        ("", "guardrail.releases.ingest:process_event"),
        ("issue", "guardrail.problems.trackers:process_gitlab_issue"),
    ),
    kept_headers=("X-Gitlab-Event", *DEDUP_HEADERS, "X-Gitlab-Instance", "X-Gitlab-Webhook-UUID"),
    setup=(
        "In the project's Settings > Webhooks > Add new webhook: URL {url}, Secret token {secret}; "
        "trigger on push events, merge request events, pipeline events and deployment events."
    ),
)
