"""A generic JSON webhook, declared: ``Authorization: Bearer <secret>``; any JSON object; the
integration's mapping (``guardrail alert settings``) says where each field is. A delivery's identity
is its body's digest."""

from __future__ import annotations

from guardrail.integrations.inbound.core.payload import body_digest, json_body
from guardrail.integrations.inbound.core.types import (
    Delivery,
    Described,
    IntegrationType,
    SecretKind,
)
from guardrail.integrations.inbound.core.verify import bearer_token

NAME = "generic"


def describe(delivery: Delivery) -> Described:
    """Any JSON object; named by its digest."""
    json_body(delivery.body)
    return Described(event_type="generic.alert", dedup_key=body_digest(delivery.body))


INTEGRATION_TYPE = IntegrationType(
    name=NAME,
    title="Generic JSON webhook",
    signature="Authorization: Bearer",
    dedup="body digest; alerts by the mapped fingerprint",
    secret_kind=SecretKind.hashed,
    verify=bearer_token(),
    describe=describe,
    processors=(("generic.", "guardrail.alerts.intake:process_generic"),),
    kept_headers=("content-type", "user-agent"),
    setup=(
        "POST JSON to {url} with `Authorization: Bearer {secret}`; declare where the fields are "
        'with `guardrail alert settings <integration> --mapping \'{{"title": "…"}}\'`.'
    ),
)
