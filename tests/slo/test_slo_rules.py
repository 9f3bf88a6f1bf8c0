"""Exported Prometheus rules: Sloth's shape, and accepted by promtool."""

from __future__ import annotations

import subprocess

import yaml
from prom_fixtures import require_binary
from slo_fixtures import OPENSLO, SLOTH

from guardrail.slo.documents import parse_files
from guardrail.slo.rules import render


def _rules(*files: tuple[str, str], **options: str) -> dict:  # type: ignore[type-arg]
    return yaml.safe_load(render(parse_files(list(files), **options).slos))  # type: ignore[arg-type]


def test_sloth_shape_for_a_sloth_spec():
    groups = _rules(("s.yaml", SLOTH))["groups"]
    names = [g["name"] for g in groups]
    assert names == [
        "sloth-slo-sli-recordings-checkout-api-requests-availability",
        "sloth-slo-meta-recordings-checkout-api-requests-availability",
        "sloth-slo-alerts-checkout-api-requests-availability",
    ]
    records = [r["record"] for r in groups[0]["rules"]]
    windows = ["5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d"]
    assert records == [f"slo:sli_error:ratio_rate{w}" for w in windows]
    first = groups[0]["rules"][0]
    assert first["expr"] == (
        '(sum(rate(http_requests_total{job="checkout",code=~"(5..|429)"}[5m])))\n/\n'
        '(sum(rate(http_requests_total{job="checkout"}[5m])))\n'
    )
    assert first["labels"] == {
        "owner": "payments",
        "sloth_id": "checkout-api-requests-availability",
        "sloth_service": "checkout-api",
        "sloth_slo": "requests-availability",
        "sloth_window": "5m",
    }
    period = groups[0]["rules"][-1]
    assert period["expr"].startswith("sum_over_time(slo:sli_error:ratio_rate5m{sloth_id=")
    assert "/ ignoring (sloth_window)\ncount_over_time(" in period["expr"]
    page, ticket = groups[2]["rules"]
    assert page["alert"] == ticket["alert"] == "CheckoutHighErrorRate"
    assert page["labels"] == {
        "category": "availability",
        "severity": "critical",
        "sloth_severity": "page",
    }
    assert (
        "ratio_rate5m" in page["expr"]
        and "> (14.4 * " in page["expr"]
        and "> (6 * " in page["expr"]
    )
    assert "> (3 * " in ticket["expr"] and "> (1 * " in ticket["expr"]
    assert (
        "and ignoring (sloth_window)" in page["expr"]
        and "or ignoring (sloth_window)" in page["expr"]
    )


def test_28d_openslo_factors_in_the_alerts():
    groups = _rules(("o.yaml", OPENSLO.format(url="http://p")))["groups"]
    page, ticket = groups[2]["rules"]
    assert "> (13.44 * " in page["expr"] and "> (5.6 * " in page["expr"]
    assert "> (2.8 * " in ticket["expr"] and "> (0.9333333333 * " in ticket["expr"]
    assert groups[0]["rules"][-1]["record"] == "slo:sli_error:ratio_rate28d"


def test_promtool_accepts_the_rules(tmp_path, cli):
    promtool = require_binary("promtool")
    (tmp_path / "sloth.yaml").write_text(SLOTH)
    (tmp_path / "openslo.yaml").write_text(OPENSLO.format(url="http://p"))
    out = tmp_path / "rules.yaml"
    result = cli(
        "slo", "rules", str(tmp_path / "sloth.yaml"), str(tmp_path / "openslo.yaml"), "-o", str(out)
    )
    assert result.exit_code == 0, result.output
    checked = subprocess.run([promtool, "check", "rules", str(out)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 34 rules found" in checked.stdout


def test_rules_command_reports_bad_input(tmp_path, cli):
    bad = tmp_path / "bad.yaml"
    bad.write_text(SLOTH.replace("objective: 99.9", "objective: 0"))
    result = cli("slo", "rules", str(bad))
    assert result.exit_code == 2
    assert "bad.yaml:7: slos[0].objective: 0 is outside (0, 100]" in result.output
