"""Processors the inbound core runs for stored alert deliveries (one worker job per delivery),
and the SLO burn-alert sink. Each turns a delivery into signals and hands them to the service."""

from __future__ import annotations

from sqlalchemy.orm import Session

from guardrail.alerts import service
from guardrail.alerts.settings import Origin, conf_for
from guardrail.integrations.inbound.alertmanager import parser as alertmanager
from guardrail.integrations.inbound.core import service as inbound
from guardrail.integrations.inbound.core.payload import json_body
from guardrail.integrations.inbound.generic import parser as generic
from guardrail.integrations.inbound.pagerduty import parser as pagerduty
from guardrail.integrations.models import InboundEvent


def origin_of(session: Session, event: InboundEvent) -> Origin:
    """The integration a stored delivery came through, as an alert origin."""
    row = inbound.get_integration(session, event.integration_id)
    return Origin(type=row.type, integration_id=row.id, service_id=row.service_id, name=row.name)


def process_alertmanager(session: Session, event: InboundEvent) -> str:
    """An Alertmanager notification: every alert in it, firing or resolved."""
    _, signals = alertmanager.parse(event.body.encode("utf-8"))
    service.ingest(session, origin_of(session, event), signals, event_id=event.id)
    return "processed"


def process_pagerduty(session: Session, event: InboundEvent) -> str:
    """A PagerDuty alert event: trigger, acknowledge or resolve one dedup_key."""
    signal = pagerduty.signal(event.body.encode("utf-8"))
    service.ingest(session, origin_of(session, event), [signal], event_id=event.id)
    return "processed"


def process_pagerduty_change(session: Session, event: InboundEvent) -> str:
    """A PagerDuty change event: recorded as a change of the integration's service."""
    from guardrail.alerts.changes import record_change_event

    origin = origin_of(session, event)
    return record_change_event(
        session, origin, event.id, pagerduty.change(event.body.encode("utf-8"))
    )


def process_generic(session: Session, event: InboundEvent) -> str:
    """A generic JSON delivery, read through the integration's mapping."""
    origin = origin_of(session, event)
    signals = generic.parse(event.body.encode("utf-8"), conf_for(session, origin).mapping)
    if not signals:
        return "ignored"
    service.ingest(session, origin, signals, event_id=event.id)
    return "processed"


def process_cdevents_incident(session: Session, event: InboundEvent) -> str:
    """A CDEvents incident event (detected, reported, resolved)."""
    from guardrail.alerts.cdevents import signal_of

    signal = signal_of(event.event_type, json_body(event.body.encode("utf-8")))
    if signal is None:
        return "ignored"
    service.ingest(session, origin_of(session, event), [signal], event_id=event.id)
    return "processed"
