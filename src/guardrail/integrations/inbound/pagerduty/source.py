"""PagerDuty Events API v2, declared. The Events API has no signature: the ``routing_key`` in the
body names (and so authenticates) the integration, as at PagerDuty. Senders post to
``/v2/enqueue`` (alert events) and ``/v2/change/enqueue`` (change events) at guardrail's root;
``/hooks/pagerduty/<id>`` takes the same alert events. A delivery's identity is its body's digest.
"""

from __future__ import annotations

import hmac

from guardrail.integrations.inbound.core.payload import body_digest
from guardrail.integrations.inbound.core.types import (
    BadDelivery,
    Delivery,
    Described,
    IntegrationType,
    SecretKind,
)
from guardrail.integrations.inbound.pagerduty.validate import (
    Unrecognized,
    check_change,
    check_event,
    load,
)
from guardrail.integrations.models import Integration

NAME = "pagerduty"
CHANGE_HEADER = "x-guardrail-pagerduty-kind"


def verify(integration: Integration, delivery: Delivery) -> bool:
    """The body's ``routing_key`` is this integration's."""
    try:
        key = load(delivery.body).get("routing_key")
    except Unrecognized:
        return False
    expected = integration.routing_key or ""
    return isinstance(key, str) and bool(expected) and hmac.compare_digest(key, expected)


def describe(delivery: Delivery) -> Described:
    """``pagerduty.<event_action>`` or ``pagerduty.change``; invalid events are refused."""
    try:
        data = load(delivery.body)
    except Unrecognized as exc:
        raise BadDelivery(f"Event object format is unrecognized: {exc}") from exc
    is_change = delivery.header(CHANGE_HEADER) == "change"
    checked = check_change(data) if is_change else check_event(data, delivery.body)
    if checked.errors:
        raise BadDelivery(
            "Event object is invalid: " + "; ".join(checked.errors),
            extra={"errors": checked.errors},
        )
    kind = "change" if is_change else str(data["event_action"])
    return Described(
        event_type=f"pagerduty.{kind}",
        dedup_key=body_digest(delivery.body),
        answer={"dedup_key": checked.dedup_key},
    )


INTEGRATION_TYPE = IntegrationType(
    name=NAME,
    title="PagerDuty Events API v2",
    signature="routing_key",
    dedup="body digest; alerts by dedup_key",
    secret_kind=SecretKind.hashed,
    verify=verify,
    describe=describe,
    processors=(
        ("pagerduty.change", "guardrail.alerts.intake:process_pagerduty_change"),
        ("pagerduty.", "guardrail.alerts.intake:process_pagerduty"),
    ),
    kept_headers=("content-type", "user-agent", CHANGE_HEADER),
    uses_routing_key=True,
    setup=(
        "Send PagerDuty Events API v2 events to this server instead of PagerDuty: alert events "
        "to /v2/enqueue, change events to /v2/change/enqueue, with routing_key {routing_key} "
        "(alert events are also taken at {url})."
    ),
)
