"""The DORA bands and the statistics, on hand-made values."""

from __future__ import annotations

import pytest

from guardrail.metrics import bands, display
from guardrail.metrics.stats import median_of, p90, ratio


@pytest.mark.parametrize(
    ("per_week", "level"), [(14, "elite"), (7, "elite"), (3, "high"), (0.5, "medium"), (0.1, "low")]
)
def test_deployment_frequency_bands(per_week: float, level: str) -> None:
    assert bands.deployment_frequency(per_week) == level


@pytest.mark.parametrize(
    ("hours", "level"), [(2, "elite"), (30, "high"), (24 * 10, "medium"), (24 * 60, "low")]
)
def test_lead_time_bands(hours: float, level: str) -> None:
    assert bands.lead_time(hours * 3600) == level


@pytest.mark.parametrize(
    ("rate", "level"), [(0.04, "elite"), (0.12, "medium"), (0.2, "high"), (0.45, "low")]
)
def test_change_failure_rate_takes_the_nearest_cluster(rate: float, level: str) -> None:
    assert bands.change_failure_rate(rate) == level


def test_recovery_and_rework_and_no_data() -> None:
    assert bands.recovery_time(30 * 60) == "elite"
    assert bands.recovery_time(5 * 3600) == "high"
    assert bands.recovery_time(3 * 86400) == "medium"
    assert bands.recovery_time(10 * 86400) == "low"
    assert bands.rework_rate(0.5) is None  # the 2024 report gives it no band
    assert all(band(None) is None for band in bands.BANDS.values())


def test_statistics() -> None:
    assert median_of([]) is None
    assert median_of([3.0, 1.0, 2.0, 10.0]) == 2.5
    assert p90(list(map(float, range(1, 11)))) == 9.0  # nearest rank: ceil(0.9*10) = 9th
    assert p90([5.0]) == 5.0
    assert ratio(1, 0) is None
    assert display.figure(0.125, "ratio") == "12.5 %"
    assert display.figure(5400, "seconds") == "1.5 h"
    assert display.figure(None, "seconds") == "—"
