"""The normalised form of an SLO and a budget policy, whatever document format they came from.

OpenSLO and Sloth documents are parsed into these models; they are stored as JSON with every
version, and the evaluator, the rule exporter and the gate read only these.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field

from guardrail.slo.enums import (
    BudgetingMethod,
    NoDataRule,
    PolicyAction,
    Severity,
    SliKind,
    SliSource,
    SpecFormat,
)

WINDOW_PLACEHOLDER = re.compile(r"\{\{\s*\.window\s*\}\}")
_DURATION = re.compile(r"^(\d+)(s|m|h|d|w|M|Q|Y)$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
CALENDAR_UNITS = {"M", "Q", "Y"}


def parse_duration(text: str, *, calendar_units: bool = False) -> tuple[int, str]:
    """``30d`` → (30, "d"). Months, quarters and years only where ``calendar_units``."""
    match = _DURATION.match(str(text).strip())
    if not match or int(match.group(1)) <= 0:
        raise ValueError(f"{text!r} is not a duration; write a number and a unit, e.g. 5m or 28d")
    count, unit = int(match.group(1)), match.group(2)
    if unit in CALENDAR_UNITS and not calendar_units:
        raise ValueError(f"{text!r}: months, quarters and years need a calendar-aligned window")
    return count, unit


def duration_seconds(text: str) -> int:
    """Seconds in a duration with a fixed length (s, m, h, d, w)."""
    count, unit = parse_duration(text)
    return count * _SECONDS[unit]


def format_seconds(seconds: int) -> str:
    """The Prometheus duration for ``seconds`` in days, hours, minutes or seconds (``30d``)."""
    # Sloth and people write 28d and 7d rather than 4w and 1w, so weeks are never produced.
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TimeWindow(_Model):
    """A rolling window (``30d``) or a calendar-aligned one (``1M`` from a start, in a zone)."""

    duration: str
    rolling: bool = True
    count: int
    unit: str
    calendar_start: str | None = None  # ISO date-time the calendar periods are aligned to
    time_zone: str = "UTC"

    @property
    def nominal_seconds(self) -> int:
        """The window's length; a calendar month counts as 30 days here (periods vary)."""
        nominal = {"M": 30 * 86400, "Q": 91 * 86400, "Y": 365 * 86400, **_SECONDS}
        return self.count * nominal[self.unit]


class ThresholdSpec(_Model):
    op: str  # lt, lte, gt, gte: a good value satisfies ``value <op> threshold``
    value: float


class SliSpec(_Model):
    """Where the indicator comes from and how to turn it into an error ratio."""

    source: SliSource
    kind: SliKind = SliKind.ratio
    error_query: str | None = None  # bad events (rate) over {{.window}}
    good_query: str | None = None  # good events (rate) over {{.window}}
    total_query: str | None = None
    raw_query: str | None = None  # error ratio (raw_is_error) or success ratio
    raw_is_error: bool = True
    threshold_query: str | None = None
    threshold: ThresholdSpec | None = None
    datasource: str | None = None  # name of an OpenSLO DataSource
    datasource_url: str | None = None


class AlertWindow(_Model):
    """One long/short window pair of a multiwindow, multi-burn-rate alert."""

    severity: Severity
    long_seconds: int
    short_seconds: int
    factor: float  # burn rate threshold
    budget_percent: float | None = None  # the budget this pair catches, when known


class AlertSpec(_Model):
    disable: bool = False
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)


class AlertingSpec(_Model):
    name: str
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    page: AlertSpec = AlertSpec()
    ticket: AlertSpec = AlertSpec()


class SloSpec(_Model):
    """One SLO, normalised."""

    name: str
    service: str
    display_name: str = ""
    description: str = ""
    format: SpecFormat
    objective: float  # a fraction in (0, 1]
    budgeting: BudgetingMethod = BudgetingMethod.occurrences
    timeslice_target: float | None = None
    timeslice_window_seconds: int | None = None
    window: TimeWindow
    sli: SliSpec
    alerting: AlertingSpec
    windows: list[AlertWindow]
    labels: dict[str, str] = Field(default_factory=dict)
    origin: str = ""  # file:line of the document

    @property
    def budget(self) -> float:
        """The error budget as a fraction of events (or slices): 1 - objective."""
        return 1.0 - self.objective


class PolicyRule(_Model):
    """One rule of an error-budget policy."""

    name: str
    action: PolicyAction
    budget_remaining_below: float | None = None  # for block_changes
    window_seconds: int | None = None  # trailing window; None: the SLO's own window
    exempt_change_types: list[str] = Field(default_factory=list)
    on_no_data: NoDataRule = NoDataRule.fail_open
    incident_budget_consumed_above: float | None = None  # for require_postmortem


class PolicySpec(_Model):
    """A service's error-budget policy (guardrail/v1 ErrorBudgetPolicy)."""

    name: str
    service: str
    slos: list[str] = Field(default_factory=list)  # empty: every SLO of the service
    environments: list[str] = Field(default_factory=list)  # empty: every environment
    rules: list[PolicyRule]
    origin: str = ""
