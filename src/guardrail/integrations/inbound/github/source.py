"""GitHub, declared: X-Hub-Signature-256 over the raw body, X-GitHub-Delivery as the dedup key,
X-GitHub-Event as the event type, and what each event becomes."""

from __future__ import annotations

from guardrail.integrations.inbound.core.types import (
    BadDelivery,
    Delivery,
    Described,
    IntegrationType,
    SecretKind,
)
from guardrail.integrations.inbound.core.verify import hmac_header

NAME = "github"
SIGNATURE_HEADER = "X-Hub-Signature-256"
DELIVERY_HEADER = "X-GitHub-Delivery"
EVENT_HEADER = "X-GitHub-Event"

# event -> what guardrail records from it (the parser implements exactly this table)
MAPPING = {
    "push": "commits on the branch, each with its first parent (the previous commit of the push)",
    "pull_request": "the pull request; merged = action closed with pull_request.merged true",
    "deployment": "a deployment (pending), keyed by repository and deployment id",
    "deployment_status": "the deployment's status; it carries the deployment, so order is free",
    "workflow_run": "a pipeline run and its head commit",
    "check_suite": "a pipeline run and its head commit",
    "release": "a release of the repository's service, by tag",
    "issues": "closed / reopened: the status of the action item exported as that issue",
    "ping": "nothing: answered, stored, ignored",
}


def describe(delivery: Delivery) -> Described:
    """Event type from X-GitHub-Event, dedup key from X-GitHub-Delivery (same on redelivery)."""
    event = delivery.header(EVENT_HEADER)
    delivery_id = delivery.header(DELIVERY_HEADER)
    if not event or not delivery_id:
        raise BadDelivery(f"a GitHub delivery carries {EVENT_HEADER} and {DELIVERY_HEADER} headers")
    answer = {"pong": True} if event == "ping" else {}
    return Described(event_type=event, dedup_key=delivery_id, answer=answer)


INTEGRATION_TYPE = IntegrationType(
    name=NAME,
    title="GitHub",
    signature=SIGNATURE_HEADER,
    dedup=DELIVERY_HEADER,
    secret_kind=SecretKind.kept,
    verify=hmac_header(SIGNATURE_HEADER),
    describe=describe,
    processors=(
        ("", "guardrail.releases.ingest:process_event"),
        ("issues", "guardrail.problems.trackers:process_github_issue"),
    ),
    kept_headers=(EVENT_HEADER, DELIVERY_HEADER, "X-GitHub-Hook-ID", "User-Agent"),
    setup=(
        "In the repository's Settings > Webhooks > Add webhook: Payload URL {url}, "
        "Content type application/json, Secret {secret}; choose the events push, pull requests, "
        "deployments, deployment statuses, workflow runs, check suites and releases."
    ),
)
