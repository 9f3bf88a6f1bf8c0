"""Evidence parsers: recognised by content, summarised, malformed files refused whole."""

from __future__ import annotations

import pytest
from changes_fixtures import BIG_DIFF, JUNIT_FAIL, JUNIT_PASS, SARIF_ERROR

from guardrail.changes import evidence
from guardrail.errors import InvalidInput


def test_junit_totals_and_failed_cases():
    passing = evidence.recognise("a.xml", JUNIT_PASS)
    assert passing.kind == "junit"
    assert {k: passing.summary[k] for k in ("total", "failed", "skipped", "passed")} == {
        "total": 3,
        "failed": 0,
        "skipped": 1,
        "passed": 2,
    }
    failing = evidence.recognise("b.xml", JUNIT_FAIL).summary
    assert failing["failed"] == 1 and failing["failed_cases"] == ["t.api.test_refund"]


def test_junit_with_entities_or_broken_xml_is_refused():
    bomb = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><testsuite>&a;</testsuite>'
    with pytest.raises(InvalidInput, match="DTD or entities"):
        evidence.recognise("bomb.xml", bomb)
    with pytest.raises(InvalidInput, match="line 1, column"):
        evidence.recognise("cut.xml", "<testsuite><testcase name='a'>")
    with pytest.raises(InvalidInput, match="not <testsuites>"):
        evidence.recognise("other.xml", "<html></html>")


def test_sarif_findings_by_level_with_tool_rule_and_location():
    summary = evidence.recognise("scan.sarif", SARIF_ERROR).summary
    assert (summary["error"], summary["note"], summary["total"]) == (1, 1, 2)
    assert summary["findings"][0] == {
        "tool": "semgrep",
        "rule": "python.lang.security.audit.eval-detected",
        "level": "error",
        "message": "Detected eval() on user input",
        "location": "app/views.py:42",
    }


def test_sarif_level_defaults_to_the_rules_then_warning():
    log = (
        '{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"t","rules":[{"id":"r1",'
        '"defaultConfiguration":{"level":"error"}}]}},"results":['
        '{"ruleId":"r1","message":{"text":"x"}},{"ruleId":"r2","message":{"text":"y"}}]}]}'
    )
    summary = evidence.parse_sarif("s.sarif", log)
    assert (summary["error"], summary["warning"]) == (1, 1)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"version": "2.0.0", "runs": []}', "not a SARIF 2.1.0 log"),
        ('{"version": "2.1.0"}', "`runs` must be an array"),
        ('{"version": "2.1.0", "runs": [{"tool": {}}]}', "tool.driver.name is missing"),
        (
            '{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "t"}}, "results": '
            '[{"level": "fatal", "message": {"text": "x"}}]}]}',
            "results[0].level 'fatal'",
        ),
        (
            '{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "t"}}, "results": '
            '[{"level": "error"}]}]}',
            "message.text is missing",
        ),
        ('{"version": "2.1.0", "runs": [', "not valid JSON at line 1"),
    ],
)
def test_malformed_sarif_is_reported(text, message):
    with pytest.raises(InvalidInput) as info:
        evidence.recognise("scan.sarif", text)
    assert message in info.value.detail and "scan.sarif" in info.value.detail


def test_numstat_sizes_paths_and_renames():
    summary = evidence.recognise(
        "d", BIG_DIFF + "-\t-\tlogo.png\n0\t0\tsrc/{a => b}/x.py\n"
    ).summary
    assert (summary["files"], summary["lines"], summary["binary_files"]) == (5, 1111, 1)
    assert "src/b/x.py" in summary["paths"]
    with pytest.raises(InvalidInput, match="line 2"):
        evidence.recognise("d", "1\t2\ta.py\nnot a numstat line\n")


def test_facts_and_unknown_content():
    assert evidence.parse_fact("coverage=83.5") == ("coverage", 83.5)
    assert evidence.parse_fact("ticket=OPS-12") == ("ticket", "OPS-12")
    assert evidence.parse_fact("smoke=true") == ("smoke", True)
    with pytest.raises(InvalidInput):
        evidence.parse_fact("no value")
    with pytest.raises(InvalidInput, match="not JUnit XML, SARIF"):
        evidence.recognise("notes.txt", "hello")
