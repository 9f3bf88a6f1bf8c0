"""Evidence from pipelines: JUnit XML, SARIF 2.1.0, `git diff --numstat`, key=value facts.

Files are recognised by content, parsed whole, and summarised; a malformed file is refused with
what is wrong and where, never half-read.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException  # type: ignore[import-untyped]
from defusedxml.ElementTree import ParseError, fromstring  # type: ignore[import-untyped]

from guardrail.changes.enums import EvidenceKind
from guardrail.errors import InvalidInput

MAX_FINDINGS = 50
MAX_FAILED_CASES = 50
MAX_PATHS = 500
_NUMSTAT = re.compile(r"^(\d+|-)\t(\d+|-)\t(.+)$")
_FACT_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")
_SARIF_LEVELS = ("error", "warning", "note", "none")


@dataclass(frozen=True)
class Parsed:
    """One piece of evidence: its kind, its name and its summary."""

    kind: EvidenceKind
    name: str
    summary: dict[str, Any]


def recognise(name: str, content: str) -> Parsed:
    """Parse a file by what it contains; InvalidInput when it is none of the formats or broken."""
    text = content.lstrip("\ufeff").strip()
    if not text:
        raise InvalidInput(f"evidence {name!r} is empty")
    if text.startswith("<"):
        return Parsed(EvidenceKind.junit, name, parse_junit(name, text))
    if text.startswith("{"):
        return Parsed(EvidenceKind.sarif, name, parse_sarif(name, text))
    if _NUMSTAT.match(text.splitlines()[0]):
        return Parsed(EvidenceKind.diff, name, parse_numstat(name, text))
    raise InvalidInput(
        f"evidence {name!r} is not JUnit XML, SARIF 2.1.0 JSON or `git diff --numstat` output; "
        "attach one of those, or a fact as KEY=VALUE"
    )


# -- JUnit ------------------------------------------------------------------------------------


def parse_junit(name: str, text: str) -> dict[str, Any]:
    """Totals and failing test names from a JUnit XML report (<testsuites> or <testsuite>)."""
    try:
        root = fromstring(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise InvalidInput(f"{name}: XML with a DTD or entities is refused ({exc})") from exc
    except ParseError as exc:
        line, column = exc.position
        raise InvalidInput(
            f"{name}: not well-formed XML at line {line}, column {column + 1}"
        ) from exc
    if root.tag not in ("testsuites", "testsuite"):
        raise InvalidInput(f"{name}: the XML root is <{root.tag}>, not <testsuites> or <testsuite>")
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    cases = [case for suite in suites for case in suite.iter("testcase")]
    summary: dict[str, Any] = {
        "total": 0,
        "failures": 0,
        "errors": 0,
        "skipped": 0,
        "failed_cases": [],
    }
    for case in cases:
        _count_case(name, case, summary)
    if not cases:
        _count_suites(name, suites, summary)
    summary["failed"] = summary["failures"] + summary["errors"]
    summary["passed"] = summary["total"] - summary["failed"] - summary["skipped"]
    summary["suites"] = len(suites)
    return summary


def _count_case(name: str, case: Element, summary: dict[str, Any]) -> None:
    summary["total"] += 1
    label = ".".join(p for p in (case.get("classname"), case.get("name")) if p) or "unnamed"
    if case.find("failure") is not None:
        summary["failures"] += 1
    elif case.find("error") is not None:
        summary["errors"] += 1
    elif case.find("skipped") is not None:
        summary["skipped"] += 1
        return
    else:
        return
    if len(summary["failed_cases"]) < MAX_FAILED_CASES:
        summary["failed_cases"].append(label)


def _count_suites(name: str, suites: list[Element], summary: dict[str, Any]) -> None:
    # A report without <testcase> elements still states its totals on the suites.
    for suite in suites:
        for key, attr in (
            ("total", "tests"),
            ("failures", "failures"),
            ("errors", "errors"),
            ("skipped", "skipped"),
        ):
            raw = suite.get(attr, "0")
            if not raw.isdigit():
                raise InvalidInput(f"{name}: <testsuite {attr}={raw!r}> is not a whole number")
            summary[key] += int(raw)


# -- SARIF ------------------------------------------------------------------------------------


def parse_sarif(name: str, text: str) -> dict[str, Any]:
    """Findings by level, with tool, rule, message and location, from a SARIF 2.1.0 log."""
    try:
        log = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"{name}: not valid JSON at line {exc.lineno}, column {exc.colno}"
        ) from exc
    if not isinstance(log, dict) or log.get("version") != "2.1.0":
        found = log.get("version") if isinstance(log, dict) else None
        raise InvalidInput(f"{name}: not a SARIF 2.1.0 log (version is {found!r})")
    runs = _array(name, log, "runs", "runs")
    counts = {level: 0 for level in _SARIF_LEVELS}
    findings: list[dict[str, Any]] = []
    tools = []
    for r, run in enumerate(runs):
        where = f"runs[{r}]"
        tool, rules = _tool(name, run, where)
        tools.append(tool)
        for i, result in enumerate(_array(name, run, "results", where, optional=True)):
            finding = _result(name, result, f"{where}.results[{i}]", tool, rules)
            counts[finding["level"]] += 1
            findings.append(finding)
    order = {level: i for i, level in enumerate(_SARIF_LEVELS)}
    findings.sort(key=lambda f: order[f["level"]])
    return {"tools": tools, **counts, "total": len(findings), "findings": findings[:MAX_FINDINGS]}


def _array(name: str, obj: Any, key: str, where: str, optional: bool = False) -> list[Any]:
    if not isinstance(obj, dict):
        raise InvalidInput(f"{name}: {where} must be an object")
    value = obj.get(key)
    if value is None and optional:
        return []
    if not isinstance(value, list):
        raise InvalidInput(
            f"{name}: {where}.{key} must be an array"
            if where != key
            else f"{name}: `runs` must be an array"
        )
    return value


def _tool(name: str, run: Any, where: str) -> tuple[str, dict[str, str]]:
    driver = run.get("tool", {}).get("driver") if isinstance(run, dict) else None
    if not isinstance(driver, dict) or not isinstance(driver.get("name"), str):
        raise InvalidInput(f"{name}: {where}.tool.driver.name is missing")
    rules: dict[str, str] = {}
    for rule in driver.get("rules") or []:
        if isinstance(rule, dict) and isinstance(rule.get("id"), str):
            level = (rule.get("defaultConfiguration") or {}).get("level")
            if level in _SARIF_LEVELS:
                rules[rule["id"]] = level
    return driver["name"], rules


def _result(name: str, result: Any, where: str, tool: str, rules: dict[str, str]) -> dict[str, Any]:
    if not isinstance(result, dict):
        raise InvalidInput(f"{name}: {where} must be an object")
    rule = result.get("ruleId") or (result.get("rule") or {}).get("id") or "unnamed-rule"
    # SARIF §3.27.10: without a level, the rule's default configuration, else "warning".
    level = result.get("level", rules.get(rule, "warning"))
    if level not in _SARIF_LEVELS:
        raise InvalidInput(
            f"{name}: {where}.level {level!r} is not one of {', '.join(_SARIF_LEVELS)}"
        )
    message = result.get("message")
    if not isinstance(message, dict) or not isinstance(message.get("text", message.get("id")), str):
        raise InvalidInput(f"{name}: {where}.message.text is missing")
    return {
        "tool": tool,
        "rule": str(rule),
        "level": level,
        "message": str(message.get("text") or message.get("id"))[:300],
        "location": _location(result),
    }


def _location(result: dict[str, Any]) -> str | None:
    try:
        physical = result["locations"][0]["physicalLocation"]
        uri = physical["artifactLocation"]["uri"]
    except (KeyError, IndexError, TypeError):
        return None
    line = (physical.get("region") or {}).get("startLine")
    return f"{uri}:{line}" if line else str(uri)


# -- git diff --numstat ---------------------------------------------------------------------


def parse_numstat(name: str, text: str) -> dict[str, Any]:
    """Files, lines added and deleted, and the paths touched."""
    added = deleted = binary = 0
    paths: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _NUMSTAT.match(line)
        if match is None:
            raise InvalidInput(
                f"{name}: line {number} is not `added<TAB>deleted<TAB>path` as "
                "`git diff --numstat` prints"
            )
        if match.group(1) == "-":
            binary += 1
        else:
            added += int(match.group(1))
            deleted += int(match.group(2))
        paths.append(_renamed(match.group(3)))
    return {
        "files": len(paths),
        "added": added,
        "deleted": deleted,
        "lines": added + deleted,
        "binary_files": binary,
        "paths": paths[:MAX_PATHS],
    }


def _renamed(path: str) -> str:
    """``src/{old => new}/x.py`` and ``old => new`` name the new path."""
    if " => " not in path:
        return path
    if "{" in path and "}" in path:
        head, rest = path.split("{", 1)
        inner, tail = rest.split("}", 1)
        return (head + inner.split(" => ")[1] + tail).replace("//", "/")
    return path.split(" => ")[1]


# -- facts -----------------------------------------------------------------------------------


def parse_fact(text: str) -> tuple[str, Any]:
    """``KEY=VALUE`` with numbers and booleans recognised."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not _FACT_KEY.match(key):
        raise InvalidInput(
            f"fact {text!r} must be KEY=VALUE with a key of letters, digits, . _ or -"
        )
    return key, _value(raw.strip())


def _value(raw: str) -> Any:
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    try:
        return int(raw)
    except ValueError:
        pass
    try:
        return float(raw)
    except ValueError:
        return raw[:1000]


def empty_evidence() -> dict[str, Any]:
    """The evidence variable before anything is attached (every section present, for CEL)."""
    return {
        "tests": {
            "present": False,
            "total": 0,
            "failed": 0,
            "passed": 0,
            "skipped": 0,
            "failures": 0,
            "errors": 0,
            "failed_cases": [],
        },
        "sarif": {
            "present": False,
            "error": 0,
            "warning": 0,
            "note": 0,
            "none": 0,
            "total": 0,
            "findings": [],
            "tools": [],
        },
        "diff": {
            "present": False,
            "files": 0,
            "added": 0,
            "deleted": 0,
            "lines": 0,
            "paths": [],
            "binary_files": 0,
        },
        "facts": {},
        "kinds": [],
    }


def combine(items: list[tuple[str, str, dict[str, Any]]]) -> dict[str, Any]:
    """The evidence variable from (kind, name, summary) items: reports and diffs add up."""
    evidence = empty_evidence()
    for kind, name, summary in items:
        if kind == EvidenceKind.fact:
            evidence["facts"][name] = summary.get("value")
        else:
            _merge(evidence[_SECTION[kind]], summary)
        if kind not in evidence["kinds"]:
            evidence["kinds"].append(kind)
    return evidence


_SECTION = {"junit": "tests", "sarif": "sarif", "diff": "diff"}


def _merge(section: dict[str, Any], summary: dict[str, Any]) -> None:
    section["present"] = True
    for key, value in summary.items():
        if key not in section:
            continue
        if isinstance(value, bool):
            continue
        if isinstance(value, int | float):
            section[key] += value
        elif isinstance(value, list):
            section[key] = (section[key] + value)[:MAX_PATHS]
