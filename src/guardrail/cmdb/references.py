"""References that leave the snapshot: resolved against the CMDB, or reported as dangling."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from guardrail.cmdb import item_repository as repo
from guardrail.cmdb.snapshot import ItemFact, RelationFact, Snapshot


def resolve(
    session: Session, snapshot: Snapshot, relations: list[RelationFact], strict: bool
) -> dict[str, str]:
    """Ids of referenced items described elsewhere; placeholders or warnings for the rest.

    A reference to an item no source really describes becomes this source's placeholder claim
    (re-stated on every import while the reference stands, so it is not retired by mistake).
    """
    outside = {k for r in relations for k in (r.source, r.target) if k not in snapshot.items}
    external = repo.item_ids_by_keys(session, outside)
    described = _described(session, external.values())
    kept: list[RelationFact] = []
    for relation in relations:
        if all(
            _resolved(snapshot, relation, end, external, described, strict)
            for end in (relation.source, relation.target)
        ):
            kept.append(relation)
    relations[:] = kept
    return external


def _described(session: Session, item_ids: Iterable[str]) -> set[str]:
    """The items that some source describes for real (an active claim that is no placeholder)."""
    return {
        row.item_id
        for row in repo.claims_for_items(session, item_ids)
        if row.retired_at is None and not (row.data or {}).get("placeholder")
    }


def _resolved(
    snapshot: Snapshot,
    relation: RelationFact,
    end: str,
    external: dict[str, str],
    described: set[str],
    strict: bool,
) -> bool:
    """Whether the relation may keep this end (adding a placeholder item when it must)."""
    if end in snapshot.items or external.get(end) in described:
        return True
    message = (
        f"dangling reference: {end} ({relation.type}) is not described by this import nor in "
        "the CMDB"
    )
    if strict:
        snapshot.error(relation.origin, message)
        return False
    if relation.placeholder_kind is None:
        if end in external:
            return True
        snapshot.warn(relation.origin, f"{message}; relation skipped")
        return False
    snapshot.warn(relation.origin, f"{message}; kept as a placeholder until a source describes it")
    name = end.rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    snapshot.items[end] = ItemFact(
        key=end,
        kind=relation.placeholder_kind,
        name=name,
        origin=relation.origin,
        placeholder=True,
    )
    return True
