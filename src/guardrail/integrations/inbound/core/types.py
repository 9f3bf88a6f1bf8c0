"""Integration types: each source declares how it signs, names deliveries, and what processes them.

A source module (``integrations/inbound/<src>/source.py``) exposes ``INTEGRATION_TYPE``; its module
is listed in ``TYPE_MODULES``, one per line. A practice that takes a new kind of sender (alerts:
alertmanager, pagerduty, generic) adds its source module there and nothing else changes: the
``/hooks/<type>/<id>`` route, ``guardrail integration create --type`` and the raw-event store pick
it up.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from guardrail.errors import GuardrailError, NotFound

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from guardrail.integrations.models import InboundEvent, Integration

# Source modules, one per line.
TYPE_MODULES = (
    "guardrail.integrations.inbound.github.source",
    "guardrail.integrations.inbound.gitlab.source",
    "guardrail.integrations.inbound.cdevents.source",
    "guardrail.integrations.inbound.alertmanager.source",
    "guardrail.integrations.inbound.pagerduty.source",
    "guardrail.integrations.inbound.generic.source",
)


class BadDelivery(GuardrailError):
    """The delivery is malformed (not the JSON the source sends, a required header missing)."""

    status = 400
    title = "Bad request"
    type_slug = "bad-delivery"


class SecretKind(StrEnum):
    """How an integration's secret is kept: as given (HMAC needs it) or hashed (compared only)."""

    kept = "kept"
    hashed = "hashed"


@dataclass(frozen=True)
class Delivery:
    """An HTTP delivery as received: lower-cased headers and the raw body bytes."""

    headers: Mapping[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass(frozen=True)
class Described:
    """What the source says a delivery is: its event type and its idempotency key."""

    event_type: str
    dedup_key: str
    answer: dict[str, Any] = field(default_factory=dict)


Verifier = Callable[["Integration", Delivery], bool]
Describer = Callable[[Delivery], Described]
Processor = Callable[["Session", "InboundEvent"], str]


@dataclass(frozen=True)
class IntegrationType:
    """One kind of sender, declared.

    ``processors`` maps event-type prefixes to ``"module:function"`` processors; the longest
    matching prefix wins, so a later practice can claim a narrower family of one source's events
    (``dev.cdevents.incident.``) without touching the broader one.
    """

    name: str
    title: str
    signature: str
    dedup: str
    secret_kind: SecretKind
    verify: Verifier
    describe: Describer
    processors: tuple[tuple[str, str], ...] = ()
    setup: str = ""
    kept_headers: tuple[str, ...] = ()
    uses_routing_key: bool = False

    def processor_for(self, event_type: str) -> Processor | None:
        """The processor for ``event_type``, or None when nothing handles it (stored, ignored)."""
        best = max(
            (p for p in self.processors if event_type.startswith(p[0])),
            key=lambda p: len(p[0]),
            default=None,
        )
        if best is None:
            return None
        module, _, name = best[1].partition(":")
        fn: Processor = getattr(importlib.import_module(module), name)
        return fn


_TYPES: dict[str, IntegrationType] = {}


def types() -> dict[str, IntegrationType]:
    """Every registered integration type, by name."""
    if not _TYPES:
        # Filled in one step: concurrent first requests must never see a partial registry.
        loaded: dict[str, IntegrationType] = {}
        for module in TYPE_MODULES:
            itype: IntegrationType = importlib.import_module(module).INTEGRATION_TYPE
            loaded[itype.name] = itype
        _TYPES.update(loaded)
    return _TYPES


def get_type(name: str) -> IntegrationType:
    """The type called ``name``; NotFound names the known ones."""
    found = types().get(name)
    if found is None:
        known = ", ".join(sorted(types()))
        raise NotFound(f"there is no integration type {name!r}; known types: {known}")
    return found
