"""The merge rule: one configuration item from what several sources say about it.

For every field (and every top-level attribute) the item takes the value of the first claim, in
this order, that has one:

1. active claims before retired ones (an item is retired only when every claim is),
2. real descriptions before placeholders (a placeholder only says "something refers to this"),
3. the source with the higher priority (defaults: Backstage 30, Kubernetes 20, Terraform 10),
4. the claim seen first, then the source name (so the result never depends on import order).

When two active, real claims give different values for the same field, the item records a
conflict: the value chosen, its source, and every other source's value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

FIELDS = ("kind", "name", "title", "description", "owner", "lifecycle", "service_ref")
DEFAULT_PRIORITY = {"backstage": 30, "kubernetes": 20, "terraform": 10}


@dataclass(frozen=True, slots=True)
class ClaimView:
    """A claim as the merge sees it."""

    source: str
    priority: int
    data: dict[str, Any]
    first_seen_at: datetime
    retired: bool

    @property
    def placeholder(self) -> bool:
        return bool(self.data.get("placeholder"))


@dataclass(slots=True)
class Merged:
    """The merged view of an item."""

    values: dict[str, Any]
    attributes: dict[str, Any]
    conflicts: list[dict[str, Any]]
    active: bool
    sources: list[str]


def default_priority(source_type: str) -> int:
    """The priority a new source of ``source_type`` gets ("backstage+kubernetes": the highest)."""
    return max((DEFAULT_PRIORITY.get(t, 0) for t in source_type.split("+")), default=0)


def rank(claims: list[ClaimView]) -> list[ClaimView]:
    """Claims in merge order, best first."""
    return sorted(
        claims,
        key=lambda c: (c.retired, c.placeholder, -c.priority, c.first_seen_at, c.source),
    )


def merge(claims: list[ClaimView]) -> Merged:
    """Apply the merge rule to every claim on one item."""
    ranked = rank(claims)
    values = {name: _first(ranked, lambda d, n=name: d.get(n)) for name in FIELDS}
    attribute_keys = {k for c in ranked for k in (c.data.get("attributes") or {})}
    attributes = {
        key: _first(ranked, lambda d, k=key: (d.get("attributes") or {}).get(k))
        for key in sorted(attribute_keys)
    }
    real = [c for c in ranked if not c.retired and not c.placeholder]
    return Merged(
        values=values,
        attributes={k: v for k, v in attributes.items() if v is not None},
        conflicts=_conflicts(real) if len(real) > 1 else [],
        active=any(not c.retired for c in ranked),
        sources=[c.source for c in ranked if not c.retired],
    )


def _first(ranked: list[ClaimView], get: Any) -> Any:
    for claim in ranked:
        value = get(claim.data)
        if value not in (None, "", [], {}):
            return value
    return None


def _conflicts(real: list[ClaimView]) -> list[dict[str, Any]]:
    conflicts = []
    fields = [(name, lambda d, n=name: d.get(n)) for name in FIELDS]
    keys = sorted({k for c in real for k in (c.data.get("attributes") or {})})
    fields += [(f"attributes.{k}", lambda d, k=k: (d.get("attributes") or {}).get(k)) for k in keys]
    for name, get in fields:
        stated = [(c.source, get(c.data)) for c in real if get(c.data) not in (None, "", [], {})]
        if len({_comparable(v) for _, v in stated}) > 1:
            chosen, *others = stated
            conflicts.append(
                {
                    "field": name,
                    "chosen": {"source": chosen[0], "value": chosen[1]},
                    "others": [{"source": s, "value": v} for s, v in others],
                }
            )
    return conflicts


def _comparable(value: Any) -> str:
    return repr(value) if not isinstance(value, str) else value
