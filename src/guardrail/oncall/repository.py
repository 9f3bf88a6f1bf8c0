"""Every on-call query."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from guardrail.oncall.models import (
    ContactMethod,
    Delivery,
    EscalationPolicy,
    EscalationRun,
    FeedToken,
    NotifyChannel,
    OnCallOverride,
    OnCallSchedule,
    ServicePolicy,
)


def schedule(session: Session, ref: str) -> OnCallSchedule | None:
    return session.scalars(
        select(OnCallSchedule).where(or_(OnCallSchedule.id == ref, OnCallSchedule.name == ref))
    ).first()


def list_schedules(session: Session) -> list[OnCallSchedule]:
    return list(session.scalars(select(OnCallSchedule).order_by(OnCallSchedule.name)))


def overrides(
    session: Session, schedule_ids: Sequence[str], start: datetime, end: datetime
) -> list[OnCallOverride]:
    """Overrides of these schedules that overlap ``[start, end)``."""
    if not schedule_ids:
        return []
    return list(
        session.scalars(
            select(OnCallOverride)
            .where(
                OnCallOverride.schedule_id.in_(schedule_ids),
                OnCallOverride.starts_at < end,
                OnCallOverride.ends_at > start,
            )
            .order_by(OnCallOverride.starts_at)
        )
    )


def override(session: Session, override_id: str) -> OnCallOverride | None:
    return session.get(OnCallOverride, override_id)


def policy(session: Session, ref: str) -> EscalationPolicy | None:
    return session.scalars(
        select(EscalationPolicy).where(
            or_(EscalationPolicy.id == ref, EscalationPolicy.name == ref)
        )
    ).first()


def list_policies(session: Session) -> list[EscalationPolicy]:
    return list(session.scalars(select(EscalationPolicy).order_by(EscalationPolicy.name)))


def default_policy(session: Session) -> EscalationPolicy | None:
    return session.scalars(
        select(EscalationPolicy)
        .where(EscalationPolicy.is_default.is_(True))
        .order_by(EscalationPolicy.name)
    ).first()


def policy_for_service(session: Session, service_id: str) -> EscalationPolicy | None:
    return session.scalars(
        select(EscalationPolicy)
        .join(ServicePolicy, ServicePolicy.policy_id == EscalationPolicy.id)
        .where(ServicePolicy.service_id == service_id)
    ).first()


def clear_defaults(session: Session, keep_id: str) -> None:
    for row in session.scalars(
        select(EscalationPolicy).where(
            EscalationPolicy.is_default.is_(True), EscalationPolicy.id != keep_id
        )
    ):
        row.is_default = False


def policy_services(session: Session) -> dict[str, list[str]]:
    """Service ids per policy id."""
    result: dict[str, list[str]] = {}
    for row in session.scalars(select(ServicePolicy).order_by(ServicePolicy.service_id)):
        result.setdefault(row.policy_id, []).append(row.service_id)
    return result


def set_service_policy(session: Session, service_id: str, policy_id: str) -> None:
    row = session.get(ServicePolicy, service_id)
    if row is None:
        session.add(ServicePolicy(service_id=service_id, policy_id=policy_id))
    else:
        row.policy_id = policy_id


def unlink_services(session: Session, policy_id: str, keep: Sequence[str]) -> None:
    session.execute(
        delete(ServicePolicy).where(
            ServicePolicy.policy_id == policy_id, ServicePolicy.service_id.not_in(list(keep))
        )
    )


def channel(session: Session, ref: str) -> NotifyChannel | None:
    return session.scalars(
        select(NotifyChannel).where(or_(NotifyChannel.id == ref, NotifyChannel.name == ref))
    ).first()


def list_channels(session: Session) -> list[NotifyChannel]:
    return list(session.scalars(select(NotifyChannel).order_by(NotifyChannel.name)))


def contacts(session: Session, person_ids: Sequence[str]) -> list[ContactMethod]:
    if not person_ids:
        return []
    return list(
        session.scalars(
            select(ContactMethod)
            .where(ContactMethod.person_id.in_(list(person_ids)))
            .order_by(ContactMethod.person_id, ContactMethod.kind, ContactMethod.created_at)
        )
    )


def replace_contacts(session: Session, person_id: str, kind: str, address: str) -> bool:
    """Make ``address`` the person's only contact of ``kind``; return whether anything changed."""
    rows = list(
        session.scalars(
            select(ContactMethod).where(
                ContactMethod.person_id == person_id, ContactMethod.kind == kind
            )
        )
    )
    if [r.address for r in rows] == [address]:
        return False
    for row in rows:
        session.delete(row)
    session.flush()
    session.add(ContactMethod(person_id=person_id, kind=kind, address=address))
    return True


def person_for_slack_user(session: Session, slack_user: str) -> str | None:
    return session.scalar(
        select(ContactMethod.person_id).where(
            ContactMethod.kind == "slack_user", ContactMethod.address == slack_user
        )
    )


def feed_token(session: Session, token_hash: str) -> FeedToken | None:
    return session.scalars(
        select(FeedToken).where(FeedToken.token_hash == token_hash, FeedToken.revoked_at.is_(None))
    ).first()


def feed_tokens(session: Session, kind: str, subject_id: str) -> list[FeedToken]:
    return list(
        session.scalars(
            select(FeedToken).where(
                FeedToken.kind == kind,
                FeedToken.subject_id == subject_id,
                FeedToken.revoked_at.is_(None),
            )
        )
    )


def run_for_incident(
    session: Session, incident_id: str, *, lock: bool = False
) -> EscalationRun | None:
    query = select(EscalationRun).where(EscalationRun.incident_id == incident_id)
    if lock:
        # Acknowledgement and the escalation job serialise on the run's row.
        query = query.with_for_update()
    return session.scalars(query).first()


def run(session: Session, run_id: str, *, lock: bool = False) -> EscalationRun | None:
    query = select(EscalationRun).where(EscalationRun.id == run_id)
    if lock:
        query = query.with_for_update()
    return session.scalars(query).first()


def list_runs(
    session: Session, *, incident_id: str | None, status: str | None, limit: int
) -> list[EscalationRun]:
    query = select(EscalationRun)
    if incident_id:
        query = query.where(EscalationRun.incident_id == incident_id)
    if status:
        query = query.where(EscalationRun.status == status)
    return list(session.scalars(query.order_by(EscalationRun.started_at.desc()).limit(limit)))


def delivery(session: Session, delivery_id: str, *, lock: bool = False) -> Delivery | None:
    query = select(Delivery).where(Delivery.id == delivery_id)
    if lock:
        query = query.with_for_update()
    return session.scalars(query).first()


def delivery_by_key(session: Session, dedup_key: str) -> Delivery | None:
    return session.scalars(select(Delivery).where(Delivery.dedup_key == dedup_key)).first()


def list_deliveries(
    session: Session, *, incident_id: str | None, status: str | None, limit: int
) -> list[Delivery]:
    query = select(Delivery)
    if incident_id:
        query = query.where(Delivery.incident_id == incident_id)
    if status:
        query = query.where(Delivery.status == status)
    return list(
        session.scalars(query.order_by(Delivery.created_at.desc(), Delivery.id.desc()).limit(limit))
    )


def paged_destinations(session: Session, incident_id: str) -> list[Delivery]:
    """The page deliveries of an incident (the channels that an update goes to)."""
    return list(
        session.scalars(
            select(Delivery)
            .where(Delivery.incident_id == incident_id, Delivery.event == "page")
            .order_by(Delivery.created_at)
        )
    )
