"""A short per-process cache of routing keys, so an event sender's request reads nothing first.

PagerDuty senders name their integration by the ``routing_key`` in every body; looking it up for
each event cost a query per request. The answer is kept ``TTL_SECONDS`` per key. Revoking an
integration forgets its key in the process that revoked it at once; another process (an API
replica) may keep accepting the revoked key for up to ``TTL_SECONDS`` — the bound on how stale a
replica can be. Unknown keys are not cached (an integration created elsewhere works at once).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from sqlalchemy import Engine

TTL_SECONDS = 5.0
MAX_KEYS = 10_000


@dataclass(frozen=True)
class Route:
    """What a routing key names: its active integration's id, type and service."""

    integration_id: str
    type: str
    service_id: str | None


_CACHE: dict[tuple[int, str], tuple[float, Route]] = {}
_LOCK = threading.Lock()


def _key(engine: Engine, routing_key: str) -> tuple[int, str]:
    # Per database as well: one process (tests, the CLI) may talk to several. An engine and its
    # execution-option variants (the read-only one) share one pool, so the pool names the
    # database. Routing keys are 128 random bits: a pool id reused later cannot mix them up.
    return id(engine.pool), routing_key


def cached(engine: Engine, routing_key: str) -> Route | None:
    """The route cached for ``routing_key``, if still fresh."""
    hit = _CACHE.get(_key(engine, routing_key))
    if hit is None or hit[0] < time.monotonic():
        return None
    return hit[1]


def remember(engine: Engine, routing_key: str, route: Route) -> None:
    """Keep ``route`` for ``routing_key`` for ``TTL_SECONDS``."""
    with _LOCK:
        if len(_CACHE) >= MAX_KEYS:
            _CACHE.clear()  # a crude bound; only a flood of distinct valid keys gets here
        _CACHE[_key(engine, routing_key)] = (time.monotonic() + TTL_SECONDS, route)


def forget(routing_key: str) -> None:
    """Drop ``routing_key`` from the cache (its integration was revoked in this process)."""
    with _LOCK:
        for key in [k for k in _CACHE if k[1] == routing_key]:
            del _CACHE[key]
