"""How figures read: durations, rates and shares in words people use."""

from __future__ import annotations


def duration(seconds: float | None) -> str:
    """``45 s``, ``12 min``, ``3.4 h``, ``2.1 d``."""
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86400 * 2:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def figure(value: float | None, unit: str) -> str:
    """A value in its unit, for tiles, the CLI and exports."""
    if value is None:
        return "—"
    if unit == "seconds":
        return duration(value)
    if unit == "ratio":
        return f"{value * 100:.1f} %"
    if unit == "per_week":
        return f"{value:.1f} / week"
    return f"{value:.0f}"
