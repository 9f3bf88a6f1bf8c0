"""Small statistics with definitions the docs state exactly (and tests recompute)."""

from __future__ import annotations

import math
from statistics import fmean, median


def median_of(values: list[float]) -> float | None:
    """The median (mean of the middle two for an even count), or None without values."""
    return median(values) if values else None


def p90(values: list[float]) -> float | None:
    """The 90th percentile by nearest rank: the ceil(0.9 n)-th smallest value."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def mean_of(values: list[float]) -> float | None:
    return fmean(values) if values else None


def ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None
