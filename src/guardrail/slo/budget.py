"""Error-budget arithmetic as the SRE Workbook defines it. Pure functions, no I/O.

- budget = 1 - objective (a fraction of events, or of time slices)
- burn rate = error ratio ÷ budget (1 spends exactly the budget over the SLO period)
- budget remaining = 1 - error ratio over the period ÷ budget (negative once overspent)
- time to exhaustion = remaining x period ÷ current burn rate
- a multiwindow alert pair fires when both windows burn faster than its factor, where
  factor = share of the budget the pair catches x period ÷ long window
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from guardrail.slo.enums import Severity
from guardrail.slo.spec import AlertWindow

HOUR = 3600
MINUTE = 60


@dataclass(frozen=True)
class WindowPair:
    """A Workbook alert pair before scaling: share of budget, long and short window."""

    severity: Severity
    budget_percent: float
    long_seconds: int
    short_seconds: int


# The Workbook's recommendation for a 30-day SLO, page: 2% in 1h / 5m and 5% in 6h / 30m;
# ticket: 10% in 1d / 2h and 10% in 3d / 6h.
WORKBOOK_PAIRS: tuple[WindowPair, ...] = (
    WindowPair(Severity.page, 2.0, HOUR, 5 * MINUTE),
    WindowPair(Severity.page, 5.0, 6 * HOUR, 30 * MINUTE),
    WindowPair(Severity.ticket, 10.0, 24 * HOUR, 2 * HOUR),
    WindowPair(Severity.ticket, 10.0, 72 * HOUR, 6 * HOUR),
)


def burn_factor(budget_percent: float, period_seconds: int, long_seconds: int) -> float:
    """The burn rate that spends ``budget_percent`` of the budget in the long window."""
    return budget_percent / 100.0 * period_seconds / long_seconds


def default_windows(
    period_seconds: int, pairs: tuple[WindowPair, ...] = WORKBOOK_PAIRS
) -> list[AlertWindow]:
    """The Workbook pairs with their factors scaled to the SLO period (30d: 14.4, 6, 3, 1)."""
    return [
        AlertWindow(
            severity=pair.severity,
            long_seconds=pair.long_seconds,
            short_seconds=pair.short_seconds,
            factor=round(burn_factor(pair.budget_percent, period_seconds, pair.long_seconds), 10),
            budget_percent=pair.budget_percent,
        )
        for pair in pairs
    ]


def error_budget(objective: float) -> float:
    """1 - objective."""
    return 1.0 - objective


def burn_rate(error_ratio: float | None, budget: float) -> float | None:
    """How many times faster than sustainable the budget is being spent."""
    if error_ratio is None or budget <= 0:
        return None
    return error_ratio / budget


def remaining(error_ratio: float | None, budget: float) -> float | None:
    """The share of the period's budget left; negative once overspent."""
    rate = burn_rate(error_ratio, budget)
    return None if rate is None else 1.0 - rate


def time_to_exhaustion(
    remaining_fraction: float | None, current_burn: float | None, period_seconds: int
) -> float | None:
    """Seconds until the budget is gone at the current burn rate; None if it never will be."""
    if remaining_fraction is None or current_burn is None:
        return None
    if remaining_fraction <= 0:
        return 0.0
    if current_burn <= 0:
        return None
    return remaining_fraction * period_seconds / current_burn


def ratio(bad: float, total: float) -> float | None:
    """bad ÷ total, or None without traffic (no traffic is not an error)."""
    if total <= 0 or math.isnan(total) or math.isnan(bad):
        return None
    return bad / total


def slice_is_good(good: float, total: float, slice_target: float) -> bool:
    """A time slice is good when its good ratio reaches the slice target (no traffic: good)."""
    if total <= 0:
        return True
    return good / total >= slice_target


def pair_fires(
    long_ratio: float | None, short_ratio: float | None, factor: float, budget: float
) -> bool:
    """Both windows above factor x budget: the budget burns fast now and has for a while."""
    if long_ratio is None or short_ratio is None:
        return False
    threshold = factor * budget
    return long_ratio > threshold and short_ratio > threshold


def firing_severities(
    windows: list[AlertWindow], ratios: dict[int, float | None], budget: float
) -> dict[Severity, list[AlertWindow]]:
    """For each severity, the window pairs that fire given error ratios by window (seconds)."""
    firing: dict[Severity, list[AlertWindow]] = {}
    for window in windows:
        if pair_fires(
            ratios.get(window.long_seconds), ratios.get(window.short_seconds), window.factor, budget
        ):
            firing.setdefault(window.severity, []).append(window)
    return firing
