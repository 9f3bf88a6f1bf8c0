"""The canary judge: each metric's canary samples against its baseline's, classified High, Low,
Pass or NaN with a Mann-Whitney U test, and the run scored as Kayenta's judge scores it.

Per metric: NaN samples are removed or replaced (by ``nan_value``, 0 by default); with no data
left the metric is NaN. Identical samples pass. Otherwise the Hodges-Lehmann estimate of the shift
(canary - baseline) and its confidence interval at ``confidence`` are computed; with a margin of
``tolerance`` * |estimate|, the metric is High when the interval's lower end is above the margin
(and the mean ratio canary/baseline reaches ``effect_size`` high), Low when its upper end is below
-margin (and the ratio is at most ``effect_size`` low), Pass otherwise. ``direction`` limits which
of High and Low counts as a deviation (an error rate only fails when it goes up).

The score is the weighted share of Pass among metrics that were classified (NaN metrics count for
nothing), in percent; a critical metric that is not Pass fails the run with score 0. Score at or
above ``pass`` → pass; at or above ``marginal`` → marginal; below → fail.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator
from scipy import stats  # type: ignore[import-untyped]

Direction = Literal["increase", "decrease", "either"]
Classification = Literal["High", "Low", "Pass", "NaN"]


class MetricSpec(BaseModel):
    """One metric: its samples (or queries) and its options."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    baseline: list[float | None] | None = None
    canary: list[float | None] | None = None
    baseline_query: str | None = None
    canary_query: str | None = None
    direction: Direction = "either"
    tolerance: float = Field(default=0.25, ge=0)
    confidence: float = Field(default=0.95, gt=0.5, lt=1)
    effect_size: tuple[float, float] = (1.0, 1.0)
    critical: bool = False
    weight: float = Field(default=1.0, gt=0)
    nan_strategy: Literal["remove", "replace"] = "remove"
    nan_value: float = 0.0

    @model_validator(mode="after")
    def _has_data(self) -> MetricSpec:
        if (self.baseline is None) != (self.canary is None):
            raise ValueError("give both baseline and canary samples, or neither")
        if self.baseline is None and not (self.baseline_query and self.canary_query):
            raise ValueError("give baseline and canary samples, or baseline_query and canary_query")
        return self


class Thresholds(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pass_: float = Field(default=95.0, alias="pass", ge=0, le=100)
    marginal: float = Field(default=75.0, ge=0, le=100)


class PrometheusSource(BaseModel):
    """Where queries run: a Prometheus server and a time range per side."""

    model_config = ConfigDict(extra="forbid")

    url: str
    start: str
    end: str
    step: str = "60s"
    baseline_start: str | None = None
    baseline_end: str | None = None
    timeout: float = Field(default=30, gt=0)


class CanarySpec(BaseModel):
    """A canary run to judge (the FILE of ``guardrail canary judge``)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    metrics: list[MetricSpec] = Field(min_length=1)
    thresholds: Thresholds = Thresholds()
    prometheus: PrometheusSource | None = None


class MetricResult(BaseModel):
    name: str
    classification: Classification
    reason: str
    critical: bool
    direction: Direction
    weight: float
    baseline_count: int
    canary_count: int
    baseline_mean: float | None
    canary_mean: float | None
    ratio: float | None
    p_value: float | None
    estimate: float | None
    interval: tuple[float, float] | None


class CanaryResult(BaseModel):
    score: float
    result: Literal["pass", "marginal", "fail"]
    reason: str
    thresholds: Thresholds
    metrics: list[MetricResult]


def clean(values: list[float | None], strategy: str, replacement: float) -> np.ndarray:
    """Samples with NaNs (and missing values) removed or replaced."""
    array = np.array([math.nan if v is None else float(v) for v in values], dtype=float)
    bad = ~np.isfinite(array)
    if strategy == "replace":
        array[bad] = replacement
        return array
    return array[~bad]


def hodges_lehmann(
    canary: np.ndarray, baseline: np.ndarray, confidence: float
) -> tuple[float, float, float]:
    """The shift estimate (median of pairwise differences) and its distribution-free confidence
    interval, from the normal approximation to U's distribution (Bauer 1972)."""
    diffs = np.sort(np.subtract.outer(canary, baseline).ravel())
    n, m = len(canary), len(baseline)
    z = stats.norm.ppf(1 - (1 - confidence) / 2)
    k = math.floor(n * m / 2 - z * math.sqrt(n * m * (n + m + 1) / 12))
    k = min(max(k, 0), len(diffs) - 1)
    return float(np.median(diffs)), float(diffs[k]), float(diffs[len(diffs) - 1 - k])


def classify(
    spec: MetricSpec, baseline_raw: list[float | None], canary_raw: list[float | None]
) -> MetricResult:
    """Classify one metric."""
    baseline = clean(baseline_raw, spec.nan_strategy, spec.nan_value)
    canary = clean(canary_raw, spec.nan_strategy, spec.nan_value)
    base = dict(
        name=spec.name,
        critical=spec.critical,
        direction=spec.direction,
        weight=spec.weight,
        baseline_count=len(baseline),
        canary_count=len(canary),
    )
    if len(baseline) == 0 or len(canary) == 0:
        side = "baseline" if len(baseline) == 0 else "canary"
        return MetricResult(
            **base,
            classification="NaN",
            reason=f"no {side} data",
            baseline_mean=None,
            canary_mean=None,
            ratio=None,
            p_value=None,
            estimate=None,
            interval=None,
        )
    b_mean, c_mean = float(baseline.mean()), float(canary.mean())
    ratio = c_mean / b_mean if b_mean != 0 else (1.0 if c_mean == 0 else math.inf)
    means = dict(baseline_mean=b_mean, canary_mean=c_mean, ratio=_finite(ratio))
    if (
        np.array_equal(np.sort(baseline), np.sort(canary))
        or len(np.unique(np.concatenate([baseline, canary]))) == 1
    ):
        return MetricResult(
            **base,
            **means,
            classification="Pass",
            reason="the canary and baseline data are identical",
            p_value=1.0,
            estimate=0.0,
            interval=(0.0, 0.0),
        )
    p_value = float(stats.mannwhitneyu(canary, baseline, alternative="two-sided").pvalue)
    estimate, low, high = hodges_lehmann(canary, baseline, spec.confidence)
    margin = spec.tolerance * abs(estimate)
    label, reason = _label(spec, low, high, margin, ratio)
    return MetricResult(
        **base,
        **means,
        classification=label,
        reason=reason,
        p_value=p_value,
        estimate=estimate,
        interval=(low, high),
    )


def _label(
    spec: MetricSpec, low: float, high: float, margin: float, ratio: float
) -> tuple[Classification, str]:
    interval = f"the shift's {spec.confidence:.0%} interval [{low:.6g}, {high:.6g}]"
    if spec.direction in ("increase", "either") and low > margin and ratio >= spec.effect_size[1]:
        return (
            "High",
            f"{interval} lies above +{margin:.6g}; canary/baseline mean ratio {ratio:.4g}",
        )
    if spec.direction in ("decrease", "either") and high < -margin and ratio <= spec.effect_size[0]:
        return "Low", f"{interval} lies below -{margin:.6g}; canary/baseline mean ratio {ratio:.4g}"
    return "Pass", f"no deviation the metric's direction ({spec.direction}) counts: {interval}"


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def is_deviation(result: MetricResult) -> bool:
    return result.classification in ("High", "Low")


def score(results: list[MetricResult], thresholds: Thresholds) -> CanaryResult:
    """Score the run: weighted share of Pass; a critical metric not Pass fails it."""
    counted = [r for r in results if r.classification != "NaN"]
    total = sum(r.weight for r in counted)
    value = (
        100.0 * sum(r.weight for r in counted if r.classification == "Pass") / total
        if total
        else 0.0
    )
    critical = [r.name for r in results if r.critical and r.classification != "Pass"]
    if critical:
        return CanaryResult(
            score=0.0,
            result="fail",
            thresholds=thresholds,
            metrics=results,
            reason=f"critical metric not Pass: {', '.join(critical)}",
        )
    if not counted:
        return CanaryResult(
            score=0.0,
            result="fail",
            thresholds=thresholds,
            metrics=results,
            reason="no metric had data on both sides",
        )
    outcome = (
        "pass"
        if value >= thresholds.pass_
        else "marginal"
        if value >= thresholds.marginal
        else "fail"
    )
    deviating = [f"{r.name} {r.classification}" for r in results if is_deviation(r)]
    reason = f"score {value:.1f} (pass ≥ {thresholds.pass_:g}, marginal ≥ {thresholds.marginal:g})"
    return CanaryResult(
        score=round(value, 2),
        result=outcome,
        thresholds=thresholds,
        metrics=results,
        reason=reason + (f"; deviating: {', '.join(deviating)}" if deviating else ""),
    )


def judge(
    spec: CanarySpec,
    samples: dict[str, tuple[list[float | None], list[float | None]]] | None = None,
) -> CanaryResult:
    """Judge a run; ``samples`` supplies (baseline, canary) for metrics given as queries."""
    results = []
    for metric in spec.metrics:
        if metric.baseline is not None and metric.canary is not None:
            baseline, canary = metric.baseline, metric.canary
        else:
            baseline, canary = (samples or {}).get(metric.name, ([], []))
        results.append(classify(metric, baseline, canary))
    return score(results, spec.thresholds)
