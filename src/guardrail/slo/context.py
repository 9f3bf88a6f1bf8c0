"""What every parser of a document set shares: named objects, alert windows, defaults."""

from __future__ import annotations

from dataclasses import dataclass, field

from guardrail.slo.budget import default_windows
from guardrail.slo.spec import AlertWindow, TimeWindow, parse_duration
from guardrail.slo.yamldoc import Path, Reader

DEFAULT_PERIOD = "30d"


@dataclass
class ParseContext:
    """Objects by kind and name across all documents applied together."""

    default_period: str = DEFAULT_PERIOD
    prometheus_url: str | None = None
    named: dict[str, dict[str, Reader]] = field(default_factory=dict)
    window_catalog: dict[int, list[AlertWindow]] = field(default_factory=dict)

    def register(self, kind: str, name: str, reader: Reader) -> None:
        self.named.setdefault(kind, {})[name] = reader

    def lookup(self, kind: str, name: str) -> Reader | None:
        return self.named.get(kind, {}).get(name)

    def default_datasource_url(self) -> str | None:
        """An explicit URL, or the one Prometheus DataSource among the documents."""
        if self.prometheus_url:
            return self.prometheus_url
        urls = {
            reader.text(("spec", "connectionDetails", "url"))
            for reader in self.named.get("DataSource", {}).values()
            if reader.text(("spec", "type")).lower() == "prometheus"
        }
        urls.discard("")
        return urls.pop() if len(urls) == 1 else None

    def windows_for(self, period_seconds: int) -> list[AlertWindow]:
        """The catalog's windows for this period, else the Workbook's scaled to it."""
        return self.window_catalog.get(period_seconds) or default_windows(period_seconds)


def rolling_window(duration: str) -> TimeWindow:
    count, unit = parse_duration(duration)
    return TimeWindow(duration=duration, rolling=True, count=count, unit=unit)


def percent_or_fraction(reader: Reader, path: Path) -> float | None:
    """``0.2`` or ``"20%"`` → 0.2."""
    value = reader.get(path)
    if value is None:
        return None
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            return float(value.strip()[:-1]) / 100.0
        except ValueError:
            pass
    elif isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    reader.error(path, f"must be a fraction (0.2) or a percentage ('20%'), not {value!r}")
    return None
