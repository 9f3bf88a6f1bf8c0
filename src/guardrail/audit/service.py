"""Append to the hash chain, and verify it."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from guardrail.audit import repository
from guardrail.audit.models import GENESIS_HASH, AuditEvent
from guardrail.kit.context import Actor
from guardrail.kit.ids import new_id
from guardrail.kit.jsonutil import canonical, to_jsonable
from guardrail.kit.time import isoformat, utcnow


def event_hash(event: AuditEvent) -> str:
    """The hash of an event: its content and its predecessor's hash."""
    return _hash({key: getattr(event, key) for key in _HASHED})


_HASHED = (
    "seq",
    "id",
    "at",
    "actor",
    "actor_role",
    "token_id",
    "action",
    "object_type",
    "object_id",
    "before",
    "after",
    "request_id",
    "prev_hash",
)


def _hash(values: dict[str, Any]) -> str:
    body = {key: values[key] for key in _HASHED}
    body["at"] = isoformat(values["at"])
    return hashlib.sha256(canonical(body).encode()).hexdigest()


def record(
    session: Session,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: str,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain in the caller's transaction."""
    entry = Entry(action, object_type, object_id, before, after)
    return AuditEvent(**_append(session, actor, [entry])[0])


@dataclass(frozen=True)
class Entry:
    """One event to append with ``record_many``."""

    action: str
    object_type: str
    object_id: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


def record_many(session: Session, actor: Actor, entries: Iterable[Entry]) -> int:
    """Append many events under one lock of the chain head, in one batched insert."""
    return len(_append(session, actor, list(entries)))


def _append(session: Session, actor: Actor, entries: list[Entry]) -> list[dict[str, Any]]:
    """Lock the head, chain ``entries`` after it, insert them and move the head: plain SQL
    statements (no ORM unit of work), since every write in guardrail passes through here."""
    if not entries:
        return []
    # Flush first, as the ORM path did: the caller's pending rows reach the database before the
    # event that describes them, and the head lock is taken as late as possible.
    session.flush()
    seq, prev_hash = repository.lock_head_row(session)
    rows = []
    for entry in entries:
        seq += 1
        row = _build(seq, prev_hash, actor, entry)
        rows.append(row)
        prev_hash = row["hash"]
    repository.append(session, rows, seq, prev_hash)
    return rows


def _build(seq: int, prev_hash: str, actor: Actor, entry: Entry) -> dict[str, Any]:
    """One event's row, hashed."""
    row: dict[str, Any] = {
        "seq": seq,
        "id": new_id("aud"),
        "at": utcnow(),
        "actor": actor.name,
        "actor_role": actor.role,
        "token_id": actor.token_id,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "before": to_jsonable(entry.before) if entry.before is not None else None,
        "after": to_jsonable(entry.after) if entry.after is not None else None,
        "request_id": actor.request_id,
        "prev_hash": prev_hash,
    }
    row["hash"] = _hash(row)
    return row


@dataclass
class Finding:
    """One break in the chain."""

    seq: int
    event_id: str | None
    problem: str

    def __str__(self) -> str:
        who = (
            f"audit event {self.event_id} (seq {self.seq})" if self.event_id else f"seq {self.seq}"
        )
        return f"{who}: {self.problem}"


@dataclass
class VerifyResult:
    checked: int
    findings: list[Finding]

    @property
    def ok(self) -> bool:
        return not self.findings


def verify(session: Session) -> VerifyResult:
    """Walk the chain and report every edited, deleted, inserted or reordered row."""
    findings: list[Finding] = []
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
    for event in repository.iter_events(session):
        checked += 1
        findings.extend(_check_event(event, expected_seq, prev_hash))
        expected_seq, prev_hash = event.seq + 1, event.hash
    findings.extend(_check_head(session, expected_seq - 1, prev_hash))
    return VerifyResult(checked=checked, findings=findings)


def _check_event(event: AuditEvent, expected_seq: int, prev_hash: str) -> Iterator[Finding]:
    if event.seq != expected_seq:
        missing = (
            f"{expected_seq}"
            if event.seq == expected_seq + 1
            else (f"{expected_seq}..{event.seq - 1}")
        )
        yield Finding(expected_seq, None, f"missing: seq {missing} deleted before {event.id}")
    if event.prev_hash != prev_hash:
        yield Finding(
            event.seq,
            event.id,
            "does not follow its predecessor (rows deleted, inserted or reordered)",
        )
    if event_hash(event) != event.hash:
        yield Finding(event.seq, event.id, "content does not match its hash (row was edited)")


def _check_head(session: Session, last_seq: int, last_hash: str) -> Iterator[Finding]:
    head = repository.get_head(session)
    if head is None:
        if last_seq > 0:
            yield Finding(last_seq, None, "the chain head is missing")
        return
    if head.seq != last_seq or head.hash != last_hash:
        yield Finding(
            head.seq,
            None,
            f"the newest event should be seq {head.seq}, found seq {last_seq}: "
            "rows at the end of the chain were deleted or altered",
        )


def export_lines(session: Session) -> Iterator[str]:
    """Every event as one line of JSON, in chain order."""
    for event in repository.iter_events(session):
        yield canonical(to_dict(event))


def to_dict(event: AuditEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "id": event.id,
        "at": isoformat(event.at),
        "actor": event.actor,
        "actor_role": event.actor_role,
        "token_id": event.token_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "before": event.before,
        "after": event.after,
        "request_id": event.request_id,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


def list_events(
    session: Session, *, object_id: str | None, action: str | None, limit: int, offset: int
) -> tuple[list[AuditEvent], int]:
    """Events, newest first, optionally for one object or action."""
    return repository.list_events(
        session, object_id=object_id, action=action, limit=limit, offset=offset
    )
