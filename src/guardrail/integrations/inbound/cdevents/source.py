"""CDEvents, declared: CloudEvents 1.0 over HTTP in binary mode (``ce-*`` headers, the CDEvent as
the body) or structured mode (``application/cloudevents+json``, the CDEvent under ``data``); a
bare CDEvent is accepted too. CloudEvents has no signature: the sender presents the integration's
secret as ``Authorization: Bearer``. A delivery is unique by CloudEvents ``source`` + ``id``."""

from __future__ import annotations

from typing import Any

from guardrail.integrations.inbound.core.payload import dig, json_body
from guardrail.integrations.inbound.core.types import (
    BadDelivery,
    Delivery,
    Described,
    IntegrationType,
    SecretKind,
)
from guardrail.integrations.inbound.core.verify import bearer_token

NAME = "cdevents"
STRUCTURED = "application/cloudevents+json"

MAPPING = {
    "dev.cdevents.change.merged": "a merged pull request (change), at the event's timestamp",
    "dev.cdevents.pipelinerun.finished": "a pipeline run with its outcome",
    "dev.cdevents.service.deployed": "a successful deployment of subject.id to content.environment",
    "dev.cdevents.service.upgraded": "a successful deployment of subject.id to content.environment",
    "dev.cdevents.service.rolledback": "a successful rollback deployment; the previous one failed",
    "dev.cdevents.artifact.published": "an artifact; a hex version in its purl names its commit",
}


def cdevent(delivery: Delivery) -> dict[str, Any]:
    """The CDEvent a delivery carries, whichever mode it came in."""
    data = json_body(delivery.body)
    if "specversion" in data and isinstance(data.get("data"), dict):
        return data["data"]  # structured mode: the CloudEvent envelope holds the CDEvent
    return data


def _envelope(delivery: Delivery) -> tuple[str | None, str | None, str | None]:
    """CloudEvents (type, source, id) from the binary-mode headers or the structured body."""
    if delivery.header("ce-id"):
        return delivery.header("ce-type"), delivery.header("ce-source"), delivery.header("ce-id")
    data = json_body(delivery.body)
    if "specversion" in data and "type" in data:
        return data.get("type"), data.get("source"), data.get("id")
    context = dig(data, "context") or {}
    return context.get("type"), context.get("source"), context.get("id")


def describe(delivery: Delivery) -> Described:
    """Event type from ce-type (or the context); dedup key from source + id."""
    event_type, source, event_id = _envelope(delivery)
    if not event_type or not source or not event_id:
        raise BadDelivery(
            "a CloudEvent needs type, source and id: as ce-type, ce-source and ce-id headers "
            f"(binary mode), in a {STRUCTURED} body (structured mode), or in the CDEvent context"
        )
    return Described(event_type=str(event_type), dedup_key=f"{source}#{event_id}"[:300])


INTEGRATION_TYPE = IntegrationType(
    name=NAME,
    title="CDEvents",
    signature="Authorization: Bearer",
    dedup="CloudEvents source + id",
    secret_kind=SecretKind.hashed,
    verify=bearer_token(),
    describe=describe,
    processors=(
        ("dev.cdevents.", "guardrail.releases.ingest:process_event"),
        ("dev.cdevents.incident.", "guardrail.alerts.intake:process_cdevents_incident"),
    ),
    kept_headers=("ce-specversion", "ce-type", "ce-source", "ce-id", "ce-subject", "content-type"),
    setup=(
        "Point the CDEvents sender (a CloudEvents HTTP sink) at {url} and send the header "
        "`Authorization: Bearer {secret}`; binary and structured modes are both accepted."
    ),
)
