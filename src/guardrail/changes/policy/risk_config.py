"""Risk scoring settings: level thresholds, sensitive paths, business hours (all overridable)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _default_paths() -> dict[str, list[str]]:
    return {
        "migrations": ["*migrations/*", "*.sql", "*alembic/*", "*db/migrate/*"],
        "auth": ["*auth*", "*login*", "*permission*", "*rbac*", "*secret*", "*crypto*"],
        "infrastructure": [
            "*.tf",
            "*terraform/*",
            "*helm/*",
            "*k8s/*",
            "*kubernetes/*",
            "Dockerfile",
            "*/Dockerfile",
            ".github/workflows/*",
            ".gitlab-ci.yml",
        ],
    }


@dataclass
class RiskConfig:
    """How risk points are turned into a level, and what counts as sensitive or out of hours."""

    thresholds: dict[str, int] = field(
        default_factory=lambda: {"medium": 25, "high": 50, "critical": 75}
    )
    sensitive_paths: dict[str, list[str]] = field(default_factory=_default_paths)
    sensitive_points: int = 15
    business_hours: dict[str, Any] = field(
        default_factory=lambda: {
            "start": 8,
            "end": 18,
            "days": list(DAYS[:5]),
            "timezone": "UTC",
        }
    )
    failure_window_days: int = 30
    freeze_warning_hours: int = 24
    # Points per overdue open action item on the service (problem management), at most 3 counted;
    # 0 turns the factor off and spares the gate its query.
    overdue_action_points: int = 10

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any] | None) -> RiskConfig:
        """Settings from a (validated) mapping; unset keys keep their defaults."""
        config = cls()
        for key, value in (raw or {}).items():
            current = getattr(config, key)
            if isinstance(current, dict) and key != "sensitive_paths":
                current.update(value)
            else:
                setattr(config, key, value)
        return config


def risk_config_problems(raw: Any) -> list[str]:
    """What is wrong with a ``risk:`` mapping (empty when it is fine)."""
    if not isinstance(raw, dict):
        return ["must be a mapping"]
    problems = []
    known = set(RiskConfig().as_dict())
    problems += [f"unknown setting {key!r}" for key in raw if key not in known]
    problems += _threshold_problems(raw.get("thresholds"))
    paths = raw.get("sensitive_paths")
    if paths is not None and not (
        isinstance(paths, dict)
        and all(isinstance(v, list) and all(isinstance(g, str) for g in v) for v in paths.values())
    ):
        problems.append("sensitive_paths must map a category to a list of globs")
    problems += _hours_problems(raw.get("business_hours"))
    for key in (
        "sensitive_points",
        "failure_window_days",
        "freeze_warning_hours",
        "overdue_action_points",
    ):
        value = raw.get(key)
        if value is not None and (not isinstance(value, int) or value < 0):
            problems.append(f"{key} must be a whole number ≥ 0")
    return problems


def _threshold_problems(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, dict) or set(value) - {"medium", "high", "critical"}:
        return ["thresholds takes medium, high and critical (points at which each level starts)"]
    merged = {**RiskConfig().thresholds, **value}
    if not all(isinstance(v, int) for v in merged.values()):
        return ["thresholds must be whole numbers"]
    if not merged["medium"] < merged["high"] < merged["critical"]:
        return ["thresholds must rise: medium < high < critical"]
    return []


def _hours_problems(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, dict):
        return ["business_hours must be a mapping (start, end, days, timezone)"]
    merged = {**RiskConfig().business_hours, **value}
    problems = []
    if not (isinstance(merged["start"], int) and isinstance(merged["end"], int)) or not (
        0 <= merged["start"] < merged["end"] <= 24
    ):
        problems.append("business_hours start and end are hours with 0 ≤ start < end ≤ 24")
    if not isinstance(merged["days"], list) or any(d not in DAYS for d in merged["days"]):
        problems.append(f"business_hours days are among {', '.join(DAYS)}")
    try:
        ZoneInfo(str(merged["timezone"]))
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"business_hours timezone {merged['timezone']!r} is not a known zone")
    return problems
