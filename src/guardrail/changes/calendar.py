"""Freeze windows and the change calendar (JSON and an iCalendar feed), with conflicts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from icalendar import Calendar, Event, vRecur
from sqlalchemy.orm import Session

from guardrail.audit import service as audit_service
from guardrail.changes import freeze as freeze_module
from guardrail.changes import repository
from guardrail.changes.models import Change, FreezeWindow
from guardrail.changes.schemas import FreezeCreate, FreezeOut
from guardrail.cmdb import service as cmdb
from guardrail.errors import NotFound
from guardrail.kit.context import Actor
from guardrail.kit.time import as_utc, isoformat, utcnow

UNPLANNED_LENGTH = timedelta(hours=1)


def create_freeze(session: Session, actor: Actor, data: FreezeCreate) -> FreezeWindow:
    """Add a freeze window (its RRULE is checked now, not when a gate runs)."""
    if data.rrule:
        freeze_module.parse_rrule(data.rrule, data.starts_at)
    for name in data.services:
        cmdb.get_service(session, name)
    window = FreezeWindow(**data.model_dump(), created_by=actor.name)
    session.add(window)
    session.flush()
    audit_service.record(
        session, actor, "freeze.create", "freeze", window.id, after=data.model_dump(mode="json")
    )
    return window


def cancel_freeze(session: Session, actor: Actor, freeze_id: str) -> FreezeWindow:
    """End a freeze window early (it stays on record)."""
    window = repository.freeze(session, freeze_id)
    if window is None:
        raise NotFound(f"no freeze window {freeze_id!r}; list them with `guardrail freeze list`")
    if window.cancelled_at is None:
        window.cancelled_at = utcnow()
        session.flush()
        audit_service.record(
            session,
            actor,
            "freeze.cancel",
            "freeze",
            window.id,
            after={"cancelled_at": window.cancelled_at},
        )
    return window


def list_freezes(session: Session, include_cancelled: bool = False) -> list[FreezeOut]:
    """Freeze windows with their next occurrences."""
    now = utcnow()
    out = []
    for window in repository.all_freezes(session, include_cancelled):
        upcoming = freeze_module.occurrences(window, now, now + timedelta(days=90))[:5]
        out.append(
            FreezeOut.model_validate(window).model_copy(
                update={"next": [o.as_dict() for o in upcoming]}
            )
        )
    return out


@dataclass
class CalendarView:
    start: datetime
    end: datetime
    changes: list[dict[str, Any]]
    freezes: list[dict[str, Any]]
    conflicts: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": isoformat(self.start),
            "to": isoformat(self.end),
            "changes": self.changes,
            "freezes": self.freezes,
            "conflicts": self.conflicts,
        }


def calendar(session: Session, start: datetime, end: datetime) -> CalendarView:
    """Changes and freeze occurrences in [start, end), and the conflicts between them."""
    changes = repository.changes_between(session, start, end)
    services = {c.service_id: cmdb.find_service(session, c.service_id) for c in changes}
    entries = [_entry(c, services.get(c.service_id)) for c in changes]
    windows = repository.all_freezes(session, include_cancelled=False)
    occurrences = [o for w in windows for o in freeze_module.occurrences(w, start, end)]
    conflicts = _overlaps(entries) + _frozen(entries, occurrences, services)
    return CalendarView(start, end, entries, [o.as_dict() for o in occurrences], conflicts)


def _entry(change: Change, service: Any) -> dict[str, Any]:
    begin = as_utc(change.planned_start or change.created_at)
    finish = as_utc(change.planned_end or change.completed_at or begin + UNPLANNED_LENGTH)
    return {
        "id": change.id,
        "title": change.title,
        "state": change.state,
        "service": service.name if service else change.service_id,
        "tier": service.tier if service else None,
        "environment": change.environment,
        "risk_level": change.risk_level,
        "planned": change.planned_start is not None,
        "starts_at": isoformat(begin),
        "ends_at": isoformat(finish),
        "_begin": begin,
        "_end": finish,
    }


def _overlaps(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Two live changes to the same service and environment whose windows overlap."""
    live = [e for e in entries if e["state"] not in ("cancelled", "rejected", "blocked")]
    found = []
    for i, a in enumerate(live):
        for b in live[i + 1 :]:
            same = a["service"] == b["service"] and a["environment"] == b["environment"]
            if same and a["_begin"] < b["_end"] and b["_begin"] < a["_end"]:
                found.append(
                    {
                        "kind": "overlap",
                        "changes": [a["id"], b["id"]],
                        "detail": f"{a['service']} in {a['environment']}: {a['id']} and "
                        f"{b['id']} overlap",
                    }
                )
    return found


def _frozen(
    entries: list[dict[str, Any]], occurrences: list[Any], services: dict[str, Any]
) -> list[dict[str, Any]]:
    found = []
    for entry in entries:
        if not entry["planned"] or entry["state"] in ("cancelled", "rejected"):
            continue
        for occ in occurrences:
            scoped = freeze_module.in_scope(
                occ.window, entry["service"], entry["tier"] or 3, entry["environment"]
            )
            if scoped and occ.starts_at < entry["_end"] and entry["_begin"] < occ.ends_at:
                found.append(
                    {
                        "kind": "freeze",
                        "changes": [entry["id"]],
                        "freeze": occ.window.id,
                        "detail": f"{entry['id']} is planned inside freeze {occ.window.name!r}",
                    }
                )
    for entry in entries:
        entry.pop("_begin"), entry.pop("_end")
    return found


def ical(session: Session, start: datetime, end: datetime, base_url: str) -> bytes:
    """The calendar as iCalendar: freezes (recurring ones keep their RRULE) and changes."""
    cal = Calendar()
    cal.add("prodid", "-//guardrail//change calendar//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "guardrail changes and freezes")
    for window in repository.all_freezes(session, include_cancelled=False):
        cal.add_component(_freeze_event(window))
    view = calendar(session, start, end)
    for entry in view.changes:
        cal.add_component(_change_event(entry, base_url))
    return cal.to_ical()


def _freeze_event(window: FreezeWindow) -> Event:
    event = Event()
    event.add("uid", f"{window.id}@guardrail")
    event.add("dtstamp", as_utc(window.created_at))
    event.add("dtstart", as_utc(window.starts_at))
    event.add("dtend", as_utc(window.ends_at))
    event.add("summary", f"Change freeze: {window.name}")
    event.add("description", window.reason or "No changes in scope")
    event.add("categories", ["FREEZE"])
    if window.rrule:
        event.add("rrule", vRecur.from_ical(window.rrule.removeprefix("RRULE:")))
    return event


def _change_event(entry: dict[str, Any], base_url: str) -> Event:
    event = Event()
    event.add("uid", f"{entry['id']}@guardrail")
    event.add("dtstamp", utcnow())
    event.add("dtstart", datetime.fromisoformat(entry["starts_at"].replace("Z", "+00:00")))
    event.add("dtend", datetime.fromisoformat(entry["ends_at"].replace("Z", "+00:00")))
    event.add("summary", f"[{entry['state']}] {entry['title']}")
    event.add(
        "description", f"{entry['service']} → {entry['environment']}, risk {entry['risk_level']}"
    )
    event.add("url", f"{base_url.rstrip('/')}/changes/{entry['id']}")
    event.add("categories", ["CHANGE"])
    return event
