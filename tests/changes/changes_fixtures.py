"""Evidence in the real formats and request helpers for the change tests."""

from __future__ import annotations

from typing import Any

SARIF_ERROR = """{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "semgrep"}},
 "results": [{"ruleId": "python.lang.security.audit.eval-detected", "level": "error",
   "message": {"text": "Detected eval() on user input"},
   "locations": [{"physicalLocation": {"artifactLocation": {"uri": "app/views.py"},
                                       "region": {"startLine": 42}}}]},
  {"ruleId": "style.unused", "level": "note", "message": {"text": "unused import"}}]}]}"""
SARIF_CLEAN = """{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "semgrep"}},
 "results": [{"ruleId": "style.unused", "level": "note", "message": {"text": "unused"}}]}]}"""
JUNIT_PASS = """<?xml version="1.0"?>
<testsuites><testsuite name="unit" tests="3">
<testcase classname="t" name="a"/><testcase classname="t" name="b"/>
<testcase classname="t" name="c"><skipped/></testcase></testsuite></testsuites>"""
JUNIT_FAIL = """<testsuite name="unit" tests="2">
<testcase classname="t.api" name="test_ok"/>
<testcase classname="t.api" name="test_refund"><failure message="boom"/></testcase></testsuite>"""
SMALL_DIFF = "3\t1\tsrc/search.py\n10\t2\ttests/test_search.py\n"
BIG_DIFF = (
    "800\t20\tsrc/payments.py\n250\t0\tdb/migrations/0042_ledger.sql\n40\t1\tsrc/auth/session.py\n"
)


def gate_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"service": "catalog", "environment": "production", "commit": "abc123"}
    body.update(overrides)
    return body


def files(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"name": name, "content": content} for name, content in pairs]
