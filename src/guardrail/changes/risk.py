"""Risk scoring: explainable points from named factors, and a level from thresholds.

Pure: the service gathers the inputs (CMDB blast radius, failure rate, freeze calendar); the same
function scores scenarios in `guardrail policy test`.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from guardrail.changes.enums import RiskLevel
from guardrail.changes.policy.risk_config import DAYS, RiskConfig

TIER_POINTS = {1: 25, 2: 15, 3: 5, 4: 0}


@dataclass
class RiskInput:
    """What risk is computed from."""

    change_type: str
    tier: int
    evidence: dict[str, Any]
    at: datetime
    impacted: list[dict[str, Any]] = field(default_factory=list)  # {name, tier}
    failure_rate: float | None = None  # failed / completed in the window; None without history
    completed_recently: int = 0
    hours_to_freeze: float | None = None
    overdue_actions: list[dict[str, Any]] = field(default_factory=list)  # {id, priority, title}


@dataclass
class Factor:
    name: str
    points: int
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "points": self.points, "detail": self.detail}


def score(data: RiskInput, config: RiskConfig) -> tuple[int, RiskLevel, list[Factor]]:
    """Total points, the level they reach, and every factor with its points (zeros included)."""
    factors = [
        _tier(data.tier),
        _blast_radius(data.impacted),
        _size(data.evidence["diff"]),
        _sensitive(data.evidence["diff"], config),
        _failure_rate(data.failure_rate, data.completed_recently),
        _missing(data.evidence),
        _timing(data.at, data.hours_to_freeze, config),
        _emergency(data.change_type),
        _overdue_actions(data.overdue_actions, config),
    ]
    total = sum(f.points for f in factors)
    return total, level_for(total, config), factors


def level_for(points: int, config: RiskConfig) -> RiskLevel:
    """The level ``points`` reach under the thresholds."""
    level = RiskLevel.low
    for name in ("medium", "high", "critical"):
        if points >= config.thresholds[name]:
            level = RiskLevel(name)
    return level


def _tier(tier: int) -> Factor:
    return Factor("service_tier", TIER_POINTS.get(tier, 5), f"tier {tier} service")


def _blast_radius(impacted: list[dict[str, Any]]) -> Factor:
    if not impacted:
        return Factor("blast_radius", 0, "no other service depends on it in the CMDB")
    critical = [s["name"] for s in impacted if s.get("tier") in (1, 2)]
    points = min(20, 4 * len(impacted)) + min(10, 5 * len(critical))
    names = ", ".join(s["name"] for s in impacted[:5])
    more = f" and {len(impacted) - 5} more" if len(impacted) > 5 else ""
    tiers = f"; {len(critical)} of tier 1 or 2" if critical else ""
    return Factor(
        "blast_radius", points, f"{len(impacted)} dependent service(s): {names}{more}{tiers}"
    )


def _size(diff: dict[str, Any]) -> Factor:
    if not diff["present"]:
        return Factor("change_size", 0, "unknown (no diff attached)")
    lines, files = diff["lines"], diff["files"]
    points = 0 if lines < 50 else 5 if lines < 200 else 10 if lines < 1000 else 20
    points += 5 if files > 25 else 0
    return Factor("change_size", points, f"{files} file(s), {lines} line(s) changed")


def _sensitive(diff: dict[str, Any], config: RiskConfig) -> Factor:
    hits: dict[str, str] = {}
    for category, globs in config.sensitive_paths.items():
        for path in diff["paths"]:
            if any(fnmatch.fnmatch(path, glob) for glob in globs):
                hits[category] = path
                break
    if not hits:
        return Factor("sensitive_paths", 0, "no sensitive path touched")
    points = min(2 * config.sensitive_points, config.sensitive_points * len(hits))
    detail = ", ".join(f"{category} ({path})" for category, path in hits.items())
    return Factor("sensitive_paths", points, f"touches {detail}")


def _failure_rate(rate: float | None, completed: int) -> Factor:
    if rate is None:
        return Factor("change_failure_rate", 0, "no completed changes in the window")
    points = 15 if rate >= 0.3 else 8 if rate >= 0.15 else 0
    return Factor(
        "change_failure_rate", points, f"{rate:.0%} of the last {completed} change(s) failed"
    )


def _missing(evidence: dict[str, Any]) -> Factor:
    missing = [
        label
        for key, label in (("tests", "test report"), ("diff", "diff"))
        if not evidence[key]["present"]
    ]
    if not missing:
        return Factor("missing_evidence", 0, "test report and diff attached")
    return Factor("missing_evidence", 5 * len(missing), f"no {' or '.join(missing)} attached")


def _timing(at: datetime, hours_to_freeze: float | None, config: RiskConfig) -> Factor:
    hours = config.business_hours
    local = at.astimezone(ZoneInfo(hours["timezone"]))
    notes, points = [], 0
    in_day = DAYS[local.weekday()] in hours["days"]
    if not in_day or not hours["start"] <= local.hour < hours["end"]:
        points += 10
        notes.append(f"out of hours ({local:%a %H:%M} {hours['timezone']})")
    if hours_to_freeze is not None and hours_to_freeze <= config.freeze_warning_hours:
        points += 10
        notes.append(f"a freeze starts in {hours_to_freeze:.0f}h")
    return Factor("timing", points, "; ".join(notes) or "within business hours")


def _emergency(change_type: str) -> Factor:
    if change_type == "emergency":
        return Factor("emergency", 20, "emergency change: less time to review")
    return Factor("emergency", 0, f"{change_type} change")


MAX_OVERDUE_COUNTED = 3


def _overdue_actions(items: list[dict[str, Any]], config: RiskConfig) -> Factor:
    if not items or not config.overdue_action_points:
        return Factor("overdue_actions", 0, "no overdue action item on the service")
    points = config.overdue_action_points * min(len(items), MAX_OVERDUE_COUNTED)
    names = ", ".join(f"{i['id']} ({i['priority']})" for i in items[:5])
    more = f" and {len(items) - 5} more" if len(items) > 5 else ""
    return Factor("overdue_actions", points, f"{len(items)} overdue action item(s): {names}{more}")
