"""Alertmanager, declared. Alertmanager does not sign webhooks: its ``http_config`` presents the
integration's secret as a bearer token (``authorization: {credentials: …}``) or as the password of
basic auth (any user name). A delivery's identity is its body's digest: Alertmanager's retries of
one notification are byte-identical, and alert-level dedup (fingerprints) handles the rest."""

from __future__ import annotations

import base64
import binascii
import hmac

from guardrail.integrations.inbound.alertmanager.parser import parse
from guardrail.integrations.inbound.core.payload import body_digest
from guardrail.integrations.inbound.core.types import (
    Delivery,
    Described,
    IntegrationType,
    SecretKind,
)
from guardrail.integrations.inbound.core.verify import bearer_token, hash_secret
from guardrail.integrations.models import Integration

NAME = "alertmanager"
_bearer = bearer_token()


def verify(integration: Integration, delivery: Delivery) -> bool:
    """``Authorization: Bearer <secret>`` or ``Basic <user:secret>``."""
    value = delivery.header("authorization") or ""
    scheme, _, credentials = value.partition(" ")
    if scheme.lower() != "basic":
        return _bearer(integration, delivery)
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    password = decoded.partition(":")[2]
    if not password or not integration.secret_hash:
        return False
    return hmac.compare_digest(hash_secret(password), integration.secret_hash)


def describe(delivery: Delivery) -> Described:
    """Validate the notification (400 with reasons) and name it by its body's digest."""
    data, _ = parse(delivery.body)
    return Described(
        event_type=f"alertmanager.{data.get('status') or 'firing'}",
        dedup_key=body_digest(delivery.body),
    )


INTEGRATION_TYPE = IntegrationType(
    name=NAME,
    title="Alertmanager",
    signature="bearer token or basic-auth password",
    dedup="body digest; alerts by fingerprint",
    secret_kind=SecretKind.hashed,
    verify=verify,
    describe=describe,
    processors=(("alertmanager.", "guardrail.alerts.intake:process_alertmanager"),),
    kept_headers=("content-type", "user-agent"),
    setup=(
        "In alertmanager.yml add a receiver:\n"
        "  webhook_configs:\n"
        "    - url: {url}\n"
        "      send_resolved: true\n"
        "      http_config:\n"
        "        authorization:\n"
        "          credentials: {secret}"
    ),
)
