"""`guardrail policy test DIR`: scenarios and Rego test_ rules, run locally."""

from __future__ import annotations

from changes_fixtures import JUNIT_PASS, SARIF_ERROR

from guardrail.changes.policy.builtin import BUILTIN_GUARDRAILS

REGO = """package deploy
import rego.v1

deny contains msg if {
    input.risk.score > 80
    msg := "too risky"
}

test_high_risk_denied if {
    count(deny) == 1 with input.risk as {"score": 90}
}

test_low_risk_allowed if {
    count(deny) == 0 with input.risk as {"score": 10}
}
"""

SCENARIOS = """\
scenarios:
  - name: an error-level finding blocks
    evidence: [scan.sarif, junit.xml]
    expect: {decision: blocked, reasons: [eval-detected]}
  - name: low risk with passing tests is auto-approved
    evidence: [junit.xml]
    expect: {decision: approved, risk: low}
  - name: high risk waits, then one approval lets it through
    service: {tier: 1}
    risk: {level: high}
    context: {approvals: {manual_security_review: 1}}
    expect: {decision: approved}
  - name: emergency inside a freeze proceeds with a review
    change: {type: emergency}
    evidence: [junit.xml]
    context: {freezes: [{name: Black Friday}]}
    expect: {decision: approved, needs_review: true}
  - name: a wrong expectation fails
    evidence: [junit.xml]
    expect: {decision: blocked}
"""


def test_policy_test_runs_scenarios_and_rego_tests(cli, tmp_path):
    (tmp_path / "guardrails.yaml").write_text(BUILTIN_GUARDRAILS)
    (tmp_path / "scan.sarif").write_text(SARIF_ERROR)
    (tmp_path / "junit.xml").write_text(JUNIT_PASS)
    (tmp_path / "scenarios.yaml").write_text(SCENARIOS)
    (tmp_path / "deploy.rego").write_text(REGO)
    result = cli("policy", "test", str(tmp_path))
    assert result.exit_code == 1
    assert "FAIL: " in result.output and "a wrong expectation fails" in result.output
    assert "decision: expected blocked, got approved" in result.output
    assert result.output.strip().endswith("6 passed, 1 failed")
    (tmp_path / "scenarios.yaml").write_text(SCENARIOS.rsplit("  - name: a wrong", 1)[0])
    verbose = cli("policy", "test", str(tmp_path), "-v")
    assert verbose.exit_code == 0, verbose.output
    assert "PASS: " in verbose.output and "test_high_risk_denied" in verbose.output


def test_rego_whole_input_replacement_is_explained(cli, tmp_path):
    (tmp_path / "p.rego").write_text(
        "package p\nimport rego.v1\n\ndeny contains msg if {\n    input.risk.score > 80\n"
        '    msg := "too risky"\n}\n\ntest_x if {\n'
        '    count(deny) > 0 with input as {"risk": {"score": 99}}\n}\n'
    )
    result = cli("policy", "test", str(tmp_path))
    assert result.exit_code == 1
    assert "with input.change as" in result.output
