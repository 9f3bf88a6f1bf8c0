"""Canonical JSON for hashing and export."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from guardrail.kit.time import isoformat


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return isoformat(value)
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def canonical(value: Any) -> str:
    """Deterministic JSON: sorted keys, no spaces, datetimes as UTC ISO strings."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=_default)


def to_jsonable(value: Any) -> Any:
    """Round-trip through canonical JSON so that stored values compare equal later."""
    return json.loads(canonical(value))
