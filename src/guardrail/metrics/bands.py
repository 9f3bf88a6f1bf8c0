"""DORA performance levels: the bands of the 2024 Accelerate State of DevOps Report.

The report's cluster table (elite / high / medium / low) gives, per metric, a range or a typical
value. guardrail turns each into cut points (docs/metrics.md says how, and where the report is
ambiguous). Deployment rework rate was introduced in the same report without a band, so it has
no level here.
"""

from __future__ import annotations

from collections.abc import Callable

REPORT = "DORA, Accelerate State of DevOps Report 2024 (software delivery performance clusters)"

HOUR = 3600.0
DAY = 24 * HOUR
WEEK = 7 * DAY
MONTH = 30 * DAY

LEVELS = ("elite", "high", "medium", "low")


def deployment_frequency(per_week: float | None) -> str | None:
    """Elite: on demand (daily or more); high: daily to weekly; medium: weekly to monthly."""
    if per_week is None:
        return None
    if per_week >= 7:
        return "elite"
    if per_week >= 1:
        return "high"
    if per_week >= 7 / 30:
        return "medium"
    return "low"


def lead_time(seconds: float | None) -> str | None:
    """Elite: under a day; high: a day to a week; medium: a week to a month; low: longer."""
    return _below(seconds, ((DAY, "elite"), (WEEK, "high"), (MONTH, "medium")))


def change_failure_rate(ratio: float | None) -> str | None:
    """The clusters' typical rates are elite 5 %, medium 10 %, high 20 %, low 40 %: a rate
    takes the level whose typical rate is nearest (cut points 7.5 %, 15 %, 30 %)."""
    if ratio is None:
        return None
    for cut, level in ((0.075, "elite"), (0.15, "medium"), (0.30, "high")):
        if ratio <= cut:
            return level
    return "low"


def recovery_time(seconds: float | None) -> str | None:
    """Elite: under an hour; high (and the report's medium): under a day; then medium up to a
    week (the gap the report leaves); low: a week or more."""
    return _below(seconds, ((HOUR, "elite"), (DAY, "high"), (WEEK, "medium")))


def rework_rate(_ratio: float | None) -> str | None:
    """Not banded: the 2024 report introduced the metric without cluster values."""
    return None


def _below(value: float | None, cuts: tuple[tuple[float, str], ...]) -> str | None:
    if value is None:
        return None
    for cut, level in cuts:
        if value < cut:
            return level
    return "low"


BANDS: dict[str, Callable[[float | None], str | None]] = {
    "deployment_frequency": deployment_frequency,
    "lead_time": lead_time,
    "change_failure_rate": change_failure_rate,
    "recovery_time": recovery_time,
    "rework_rate": rework_rate,
}
