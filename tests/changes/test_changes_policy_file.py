"""The guardrails file: the DESIGN.md shape, validation with line and column, versions."""

from __future__ import annotations

import pytest

from guardrail.changes.policy import document
from guardrail.changes.policy.builtin import BUILTIN_GUARDRAILS

DESIGN_EXAMPLE = BUILTIN_GUARDRAILS


def _problems(text: str, modules: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(document.PolicyInvalid) as info:
        document.parse(text, modules)
    return [str(p) for p in info.value.problems]


def test_the_design_example_is_accepted_as_written():
    parsed = document.parse(DESIGN_EXAMPLE)
    steps = [
        (s["step"], s["if"], s["on_fail"], s["on_pass"], s["on_approve"]) for s in parsed["steps"]
    ]
    assert steps == [
        ("static_security_scan", None, "block_deploy", "continue", "continue"),
        ("compliance_check", "change.risk == 'low'", "block_deploy", "auto_approve", "continue"),
        (
            "manual_security_review",
            "change.risk in ['high','critical']",
            "require_approval",
            "continue",
            "continue",
        ),
    ]
    assert [s["line"] for s in parsed["steps"]] == [2, 4, 7]


def test_unknown_step_outcome_and_cel_errors_carry_line_and_column():
    text = (
        "- step: static_security_scan\n"
        "  on_fail: explode\n"
        "- step: nope\n"
        "- step: compliance_check\n"
        "  if: change.risk ==\n"
        "- step: check\n"
        "  expr: chnage.risk == 'low'\n"
    )
    problems = _problems(text)
    assert problems[0].startswith("line 2, column 12: unknown outcome 'explode'")
    assert problems[1].startswith("line 3, column 9: unknown step 'nope'")
    assert problems[2].startswith("line 5, column 22: CEL syntax error")
    assert problems[3].startswith("line 7, column 9:") and "chnage" in problems[3]


def test_bad_yaml_and_wrong_shapes():
    assert _problems("- step: [unclosed\n")[0].startswith("line 2")
    assert "list of steps" in _problems("steps: 3\n")[0]
    assert "no setting 'level2'" in _problems("- step: sarif_check\n  level2: error\n")[0]
    assert (
        "expected one of error, warning, note"
        in _problems("- step: sarif_check\n  level: fatal\n")[0]
    )
    assert "needs `min:`" in _problems("- step: coverage_threshold\n")[0]


def test_mapping_form_with_settings():
    text = (
        "default: auto_approve\n"
        "standard_changes: [dependency-bump]\n"
        "risk:\n  thresholds: {medium: 10, high: 20, critical: 30}\n"
        "steps:\n  - step: tests_passed\n"
    )
    parsed = document.parse(text)
    assert parsed["default"] == "auto_approve"
    assert parsed["risk"]["thresholds"] == {"medium": 10, "high": 20, "critical": 30}
    assert (
        "thresholds must rise"
        in _problems(
            "risk:\n  thresholds: {medium: 50, high: 20}\nsteps:\n  - step: tests_passed\n"
        )[0]
    )


def test_rego_steps_are_checked_at_upload():
    good = (
        "package deploy\nimport rego.v1\ndeny contains msg if {\n  input.risk.score > 90\n"
        '  msg := "too risky"\n}\n'
    )
    parsed = document.parse("- step: rego\n  file: deploy.rego\n", {"deploy.rego": good})
    assert parsed["steps"][0]["params"]["query"] == "data.deploy.deny"
    bad = "package deploy\n\ndeny contains msg if {\n  input.x ==\n}\n"
    problem = _problems("- step: rego\n  file: deploy.rego\n", {"deploy.rego": bad})[0]
    assert problem.startswith("line 2, column 9: deploy.rego line 4")
    missing = _problems("- step: rego\n  file: other.rego\n")[0]
    assert "was not sent" in missing


def test_apply_versions_and_invalid_upload_keeps_the_version_in_force(client, org):
    headers = org.headers("dave")
    first = client.post(
        "/api/v1/guardrails", json={"service": "catalog", "source": DESIGN_EXAMPLE}, headers=headers
    )
    assert first.status_code == 201 and first.json()["version"] == 1
    bad = client.post(
        "/api/v1/guardrails",
        json={"service": "catalog", "source": "- step: nope\n"},
        headers=headers,
    )
    assert bad.status_code == 422
    assert bad.json()["problems"] == [
        {"line": 1, "column": 9, "message": bad.json()["problems"][0]["message"]}
    ]
    assert "the version in force is unchanged" in bad.json()["detail"]
    current = client.get(
        "/api/v1/guardrails/current", params={"service": "catalog"}, headers=headers
    ).json()
    assert current["id"] == first.json()["id"]
    second = client.post(
        "/api/v1/guardrails",
        json={"service": "catalog", "source": "- step: tests_passed\n  on_pass: auto_approve\n"},
        headers=headers,
    ).json()
    assert second["version"] == 2
    change = client.post(
        "/api/v1/changes",
        json={"service": "catalog", "environment": "prod", "commit": "a1"},
        headers=org.headers("ci"),
    )
    assert change.json()["policy"] == {
        "id": second["id"],
        "scope": second["scope"],
        "version": 2,
        "digest": second["digest"],
    }


def test_default_guardrails_need_admin(client, org):
    body = {"default": True, "source": DESIGN_EXAMPLE}
    assert (
        client.post("/api/v1/guardrails", json=body, headers=org.headers("dave")).status_code == 403
    )
    assert (
        client.post("/api/v1/guardrails", json=body, headers=org.headers("admin")).status_code
        == 201
    )
