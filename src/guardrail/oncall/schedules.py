"""Schedules: apply them from the on-call file, overrides, and who is on call when."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from guardrail.audit import service as audit_service
from guardrail.errors import InvalidInput, NotFound
from guardrail.identity import service as identity_service
from guardrail.kit.context import Actor
from guardrail.kit.jsonutil import to_jsonable
from guardrail.kit.time import as_utc
from guardrail.oncall import repository
from guardrail.oncall.enums import Rotation
from guardrail.oncall.models import OnCallOverride, OnCallSchedule
from guardrail.oncall.people import Directory
from guardrail.oncall.rotation import WEEKDAYS, Layer, Override, Restriction, Segment, segments
from guardrail.oncall.rotation import who as rotation_who
from guardrail.oncall.schemas import (
    AppliedItem,
    OnCallNow,
    OverrideIn,
    OverrideOut,
    ScheduleIn,
    ScheduleOut,
    SegmentOut,
    clock,
    duration,
)

MAX_WINDOW = timedelta(days=400)
UNTIL_HORIZON = timedelta(days=60)


def get_schedule(session: Session, ref: str) -> OnCallSchedule:
    """A schedule by name or id."""
    found = repository.schedule(session, ref)
    if found is None:
        raise NotFound(f"no on-call schedule {ref!r}; see `guardrail oncall schedules`")
    return found


def list_schedules(session: Session) -> list[OnCallSchedule]:
    """Every schedule, by name."""
    return repository.list_schedules(session)


def apply_schedule(
    session: Session, actor: Actor, spec: ScheduleIn, people: Directory
) -> AppliedItem:
    """Create or replace a schedule from its spec (members named by handle, id or email)."""
    layers = [
        _layer_document(layer.model_dump(by_alias=True, mode="json"), people)
        for layer in spec.layers
    ]
    team_id = identity_service.get_team(session, spec.team).id if spec.team else None
    values = {
        "description": spec.description,
        "timezone": spec.timezone,
        "team_id": team_id,
        "layers": to_jsonable(layers),
    }
    row = repository.schedule(session, spec.name)
    if row is None:
        row = OnCallSchedule(name=spec.name, **values)
        session.add(row)
        change = "created"
        before = None
    else:
        before = _view(row)
        if before == {"name": row.name, **values}:
            return AppliedItem(kind="schedule", name=spec.name, change="unchanged", id=row.id)
        for key, value in values.items():
            setattr(row, key, value)
        change = "updated"
    session.flush()
    audit_service.record(
        session,
        actor,
        f"oncall.schedule.{'create' if before is None else 'update'}",
        "oncall_schedule",
        row.id,
        before=before,
        after=_view(row),
    )
    return AppliedItem(kind="schedule", name=spec.name, change=change, id=row.id)


def _layer_document(raw: dict[str, Any], people: Directory) -> dict[str, Any]:
    raw = dict(raw)
    raw["members"] = [people.get(ref).id for ref in raw["members"]]
    raw["restrictions"] = [
        {"days": r["days"], "from": r["from"], "to": r["to"]} for r in raw["restrictions"]
    ]
    return raw


def _view(row: OnCallSchedule) -> dict[str, Any]:
    return {
        "name": row.name,
        "description": row.description,
        "timezone": row.timezone,
        "team_id": row.team_id,
        "layers": row.layers,
    }


def layers_of(row: OnCallSchedule) -> list[Layer]:
    """The stored layer documents as rotation layers."""
    return [_layer(doc) for doc in row.layers]


def _layer(doc: dict[str, Any]) -> Layer:
    rotation = Rotation(doc["rotation"])
    restrictions = tuple(
        Restriction(
            frozenset(WEEKDAYS.index(d) for d in r["days"]), clock(r["from"]), clock(r["to"])
        )
        for r in doc.get("restrictions", [])
    )
    return Layer(
        name=doc["name"],
        rotation=rotation,
        start=date.fromisoformat(str(doc["start"])),
        handoff=clock(doc["handoff"]),
        members=tuple(doc["members"]),
        length=duration(doc["length"]) if rotation == Rotation.custom else timedelta(days=1),
        restrictions=restrictions,
    )


def zone(row: OnCallSchedule) -> ZoneInfo:
    return ZoneInfo(row.timezone)


def _overrides(
    session: Session, row: OnCallSchedule, start: datetime, end: datetime
) -> list[Override]:
    return [
        Override(o.person_id, o.starts_at, o.ends_at, o.id)
        for o in repository.overrides(session, [row.id], start, end)
    ]


def on_call(session: Session, row: OnCallSchedule, at: datetime) -> str | None:
    """The person id on call on ``row`` at ``at`` (None when nobody is)."""
    at = as_utc(at)
    person, _ = rotation_who(
        layers_of(row), _overrides(session, row, at, at + timedelta(seconds=1)), zone(row), at
    )
    return person


def final_segments(
    session: Session, row: OnCallSchedule, start: datetime, end: datetime
) -> list[Segment]:
    """The schedule's final on-call segments between ``start`` and ``end``."""
    start, end = as_utc(start), as_utc(end)
    if end <= start:
        raise InvalidInput("the end of the window must come after its start")
    if end - start > MAX_WINDOW:
        raise InvalidInput(f"a window is at most {MAX_WINDOW.days} days")
    return segments(layers_of(row), _overrides(session, row, start, end), zone(row), start, end)


def segments_out(
    session: Session, row: OnCallSchedule, start: datetime, end: datetime
) -> list[SegmentOut]:
    """Segments with people's handles and names, for the API, the page and the feeds."""
    people = Directory(session)
    return [
        SegmentOut(
            start=s.start,
            end=s.end,
            person_id=s.person_id,
            person=people.handle(s.person_id),
            name=people.name(s.person_id),
            source=s.source,
        )
        for s in final_segments(session, row, start, end)
    ]


def who(session: Session, at: datetime, schedule: str | None = None) -> list[OnCallNow]:
    """Who is on call at ``at`` on one schedule, or on each schedule."""
    at = as_utc(at)
    rows = [get_schedule(session, schedule)] if schedule else list_schedules(session)
    result = []
    for row in rows:
        first = segments_out(session, row, at, at + UNTIL_HORIZON)[0]
        result.append(
            OnCallNow(
                schedule=row.name,
                schedule_id=row.id,
                timezone=row.timezone,
                at=at,
                person_id=first.person_id,
                person=first.person,
                name=first.name,
                source=first.source,
                until=first.end if first.end < at + UNTIL_HORIZON else None,
            )
        )
    return result


def add_override(session: Session, actor: Actor, schedule: str, data: OverrideIn) -> OnCallOverride:
    """Put someone on call on a schedule for a while, above every layer."""
    row = get_schedule(session, schedule)
    person = Directory(session).get(data.person)
    starts_at, ends_at = as_utc(data.starts_at), as_utc(data.ends_at)
    if ends_at <= starts_at:
        raise InvalidInput("an override must end after it starts")
    override = OnCallOverride(
        schedule_id=row.id,
        person_id=person.id,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=data.reason,
        created_by=actor.name,
    )
    session.add(override)
    session.flush()
    audit_service.record(
        session,
        actor,
        "oncall.override.create",
        "oncall_schedule",
        row.id,
        after=to_jsonable(
            {
                "override": override.id,
                "person_id": person.id,
                "starts_at": starts_at,
                "ends_at": ends_at,
                "reason": data.reason,
            }
        ),
    )
    return override


def remove_override(session: Session, actor: Actor, override_id: str) -> None:
    """Delete an override."""
    override = repository.override(session, override_id)
    if override is None:
        raise NotFound(f"no override {override_id!r}")
    before = to_jsonable(
        {
            "override": override.id,
            "person_id": override.person_id,
            "starts_at": override.starts_at,
            "ends_at": override.ends_at,
        }
    )
    session.delete(override)
    session.flush()
    audit_service.record(
        session,
        actor,
        "oncall.override.delete",
        "oncall_schedule",
        override.schedule_id,
        before=before,
    )


def schedule_out(session: Session, row: OnCallSchedule, now: datetime) -> ScheduleOut:
    """A schedule with its current and future overrides."""
    people = Directory(session)
    overrides = repository.overrides(session, [row.id], as_utc(now), as_utc(now) + MAX_WINDOW)
    return ScheduleOut(
        id=row.id,
        name=row.name,
        description=row.description,
        timezone=row.timezone,
        team_id=row.team_id,
        layers=row.layers,
        overrides=[
            OverrideOut(
                id=o.id,
                schedule=row.name,
                person=people.handle(o.person_id) or o.person_id,
                starts_at=o.starts_at,
                ends_at=o.ends_at,
                reason=o.reason,
            )
            for o in overrides
        ],
    )
