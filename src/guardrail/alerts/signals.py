"""A signal: one alert as a sender reports it, in guardrail's words, whatever the sender."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from guardrail.alerts.enums import SignalAction


@dataclass(frozen=True)
class Signal:
    """One alert's state in one delivery: fire, acknowledge or resolve ``fingerprint``."""

    action: SignalAction
    fingerprint: str
    title: str = ""
    severity: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, Any] = field(default_factory=dict)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    generator_url: str | None = None
    runbook_url: str | None = None


def labels_fingerprint(labels: dict[str, str]) -> str:
    """A stable fingerprint of a label set, for senders that send none."""
    text = "\x1f".join(f"{k}\x1e{labels[k]}" for k in sorted(labels))
    return "lbl:" + hashlib.sha256(text.encode()).hexdigest()[:16]


def string_labels(raw: Any) -> dict[str, str]:
    """Labels as strings; non-mapping input gives none."""
    if not isinstance(raw, dict):
        return {}
    return {str(k)[:200]: str(v)[:1000] for k, v in raw.items() if v is not None}


RUNBOOK_KEYS = ("runbook_url", "runbook", "runbookUrl", "runbook_link")


def runbook_of(*maps: dict[str, Any]) -> str | None:
    """The first runbook link among the usual annotation names."""
    for mapping in maps:
        for key in RUNBOOK_KEYS:
            value = mapping.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()[:2000]
    return None
