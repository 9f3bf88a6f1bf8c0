"""iCalendar feeds of on-call shifts, per schedule and per person, and their URL tokens.

A feed is read with an API token like any route, or with the feed's own secret token in the URL
(``?token=…``), because calendar apps subscribe to a URL and cannot send headers. The token only
opens that one feed; guardrail keeps its SHA-256, so it is shown once, when it is made.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from icalendar import Calendar, Event
from sqlalchemy.orm import Session

from guardrail.audit import service as audit_service
from guardrail.errors import NotFound, Unauthorized
from guardrail.kit.context import Actor
from guardrail.kit.time import as_utc, utcnow
from guardrail.oncall import repository, schedules
from guardrail.oncall.enums import FeedKind
from guardrail.oncall.models import FeedToken
from guardrail.oncall.people import Directory
from guardrail.oncall.schemas import FeedIn, FeedOut, SegmentOut

PAST = timedelta(days=7)
DEFAULT_DAYS = 60
MAX_DAYS = 180


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_path(kind: FeedKind, subject: str) -> str:
    plural = "schedules" if kind == FeedKind.schedule else "people"
    return f"/api/v1/oncall/{plural}/{subject}/calendar.ics"


def create_feed(session: Session, actor: Actor, data: FeedIn, base_url: str) -> FeedOut:
    """Make a new secret feed URL for a schedule or a person (earlier ones keep working)."""
    if data.schedule:
        kind, subject = FeedKind.schedule, schedules.get_schedule(session, data.schedule)
        subject_id, name = subject.id, subject.name
    else:
        person = Directory(session).get(data.person or "")
        kind, subject_id, name = FeedKind.person, person.id, person.handle
    token = "gcal_" + secrets.token_urlsafe(24)
    row = FeedToken(
        kind=kind.value, subject_id=subject_id, token_hash=_hash(token), created_by=actor.name
    )
    session.add(row)
    session.flush()
    audit_service.record(
        session,
        actor,
        "oncall.feed.create",
        f"oncall_{kind.value}_feed",
        row.id,
        after={"kind": kind.value, "subject_id": subject_id},
    )
    url = base_url.rstrip("/") + feed_path(kind, name) + f"?token={token}"
    return FeedOut(kind=kind.value, subject=name, url=url, token=token)


def check_token(session: Session, kind: FeedKind, subject_id: str, token: str) -> None:
    """Raise Unauthorized unless ``token`` opens this feed."""
    row = repository.feed_token(session, _hash(token))
    if row is None or row.kind != kind.value or row.subject_id != subject_id:
        raise Unauthorized("this feed token is unknown, revoked or for another feed")


def resolve_subject(session: Session, kind: FeedKind, ref: str) -> str:
    """The id of the schedule or person a feed URL names."""
    if kind == FeedKind.schedule:
        return schedules.get_schedule(session, ref).id
    person = Directory(session).find(ref)
    if person is None:
        raise NotFound(f"no person {ref!r}")
    return person.id


def _window(days: int, now: datetime | None) -> tuple[datetime, datetime]:
    now = as_utc(now or utcnow())
    return now - PAST, now + timedelta(days=max(1, min(days, MAX_DAYS)))


def schedule_calendar(
    session: Session, ref: str, *, days: int = DEFAULT_DAYS, now: datetime | None = None
) -> bytes:
    """The schedule's final shifts as an iCalendar file."""
    row = schedules.get_schedule(session, ref)
    start, end = _window(days, now)
    calendar = _calendar(f"On call: {row.name}")
    for segment in schedules.segments_out(session, row, start, end):
        if segment.person_id:
            calendar.add_component(_event(row.id, segment, f"On call: {segment.name} ({row.name})"))
    return calendar.to_ical()


def person_calendar(
    session: Session, ref: str, *, days: int = DEFAULT_DAYS, now: datetime | None = None
) -> bytes:
    """One person's shifts on every schedule as an iCalendar file."""
    person_id = resolve_subject(session, FeedKind.person, ref)
    name = Directory(session).name(person_id) or ref
    start, end = _window(days, now)
    calendar = _calendar(f"On call: {name}")
    for row in schedules.list_schedules(session):
        for segment in schedules.segments_out(session, row, start, end):
            if segment.person_id == person_id:
                calendar.add_component(_event(row.id, segment, f"On call: {row.name}"))
    return calendar.to_ical()


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", "-//guardrail//on-call//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    return calendar


def _event(schedule_id: str, segment: SegmentOut, summary: str) -> Event:
    event = Event()
    # Stable per shift, so a calendar app updates the event instead of duplicating it.
    event.add(
        "uid", f"{schedule_id}-{segment.person_id}-{int(segment.start.timestamp())}@guardrail"
    )
    event.add("dtstamp", utcnow())
    event.add("dtstart", segment.start)
    event.add("dtend", segment.end)
    event.add("summary", summary)
    event.add("description", f"Source: {segment.source}")
    event.add("transp", "TRANSPARENT")
    return event
