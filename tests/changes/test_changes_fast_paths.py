"""The gate's fast paths decide exactly as the slow ones did: cached guardrails versions, compiled
Rego with a trimmed input, one audit append per gate call, the view of a new change."""

from __future__ import annotations

import pytest
from changes_fixtures import JUNIT_PASS, SMALL_DIFF, files, gate_body

from guardrail.audit import service as audit
from guardrail.changes import policies
from guardrail.changes.policy import rego
from guardrail.changes.schemas import PolicyApply
from guardrail.kit.context import Actor

ACTOR = Actor.system("tests")
SCHEMA_RULE = """package deploy
import rego.v1

deny contains msg if {
    some path in input.evidence.diff.paths
    startswith(path, "db/migrations/")
    not input.change.links.ticket
    msg := sprintf("%s changes the schema; link a ticket", [path])
}
"""


def _gate(client, org, **body):
    return client.post("/api/v1/changes", json=gate_body(**body), headers=org.headers("ci"))


def test_a_new_version_decides_from_the_next_call_on(client, org, db):
    """Versions are cached by id, but which one is in force is asked every time."""
    lenient = "default: auto_approve\nsteps:\n  - step: tests_passed\n"
    strict = "steps:\n  - step: check\n    expr: \"change.environment != 'production'\"\n"
    with db.unit_of_work() as session:
        policies.apply(session, ACTOR, PolicyApply(service="catalog", source=lenient))
    first = _gate(client, org, commit="c1", evidence=files(("j.xml", JUNIT_PASS))).json()
    assert first["state"] == "approved" and first["policy"]["version"] == 1
    # Applied through another connection, as another replica would: the next decision uses it.
    with db.unit_of_work() as session:
        policies.apply(session, ACTOR, PolicyApply(service="catalog", source=strict))
    second = _gate(client, org, commit="c2", evidence=files(("j.xml", JUNIT_PASS))).json()
    assert second["state"] == "blocked" and second["policy"]["version"] == 2
    # The organisation default does not outrank a service's own file, whatever its version.
    with db.unit_of_work() as session:
        for _ in range(3):
            policies.apply(session, ACTOR, PolicyApply(default=True, source=lenient + "\n#"))
    third = _gate(client, org, commit="c3", evidence=files(("j.xml", JUNIT_PASS))).json()
    assert third["policy"]["scope"] != "default" and third["state"] == "blocked"


def test_gate_answer_and_audit_hold_everything(client, org, auth):
    body = dict(evidence=files(("j.xml", JUNIT_PASS), ("d.txt", SMALL_DIFF)), facts={"cov": 91})
    change = _gate(client, org, **body).json()
    assert change["service"] == "catalog" and change["approvals"] == []
    assert sorted(e["kind"] for e in change["evidence"]) == ["diff", "fact", "junit"]
    again = client.get(f"/api/v1/changes/{change['id']}", headers=auth).json()
    assert again["evidence"] == change["evidence"] and again["state"] == change["state"]
    events = client.get(
        "/api/v1/audit/events", params={"object_id": change["id"]}, headers=auth
    ).json()["items"]
    request, decided = sorted(events, key=lambda e: e["seq"])
    assert request["action"] == "change.request" and decided["seq"] == request["seq"] + 1
    assert request["after"]["policy"]["digest"] == change["policy"]["digest"]
    assert len(request["after"]["evidence"]) == 3
    assert decided["action"] == f"change.{change['state']}"
    assert decided["before"] == {"state": "requested"}
    assert decided["after"] == {"state": change["state"], "reasons": change["reasons"]}


def test_audit_chain_stays_whole_across_gates(client, org, db):
    for n in range(3):
        _gate(client, org, commit=f"c{n}", evidence=files(("j.xml", JUNIT_PASS)))
    with db.reader() as session:
        result = audit.verify(session)
    assert result.ok, [str(f) for f in result.findings]


def test_compiled_rego_gives_the_plain_answer():
    data = {
        "change": {"links": {}, "environment": "production"},
        "evidence": {"diff": {"paths": ["db/migrations/0042.sql", "src/a.py"], "lines": 3}},
        "risk": {"score": 10},
    }
    compiled = rego.deny_messages("t:fast", "deploy.rego", SCHEMA_RULE, "data.deploy.deny", data)
    assert compiled == ["db/migrations/0042.sql changes the schema; link a ticket"]
    assert rego._local.prepared["t:fast"].bundle is not None
    data["change"]["links"] = {"ticket": "OPS-1"}
    assert rego.deny_messages("t:fast", "deploy.rego", SCHEMA_RULE, "data.deploy.deny", data) == []


def test_a_module_that_would_abort_the_build_runs_uncompiled():
    # Building this module aborts rego-cpp; the probe runs in a child process, so this one lives.
    source = (
        "package p\nimport rego.v1\n\ndeny contains msg if {\n    input.risk.score > 80\n"
        '    msg := "x"\n}\n\ntest_x if {\n'
        '    count(deny) > 0 with input as {"risk": {"score": 99}}\n}\n'
    )
    with pytest.raises(rego.RegoProblem):
        rego.deny_messages("t:abort", "p.rego", source, "data.p.deny", {"risk": {"score": 99}})
    assert rego._local.prepared["t:abort"].bundle is None


def test_an_error_without_text_is_a_rego_problem():
    # Two values for one complete rule: rego-cpp fails without an error text. Fail closed.
    source = (
        'package p\nimport rego.v1\n\nx := input.a\nx := input.b\ndeny contains "m" if x == 1\n'
    )
    with pytest.raises(rego.RegoProblem, match="no detail"):
        rego.deny_messages("t:conflict", "p.rego", source, "data.p.deny", {"a": 1, "b": 2})


def test_only_the_paths_a_module_reads_are_converted():
    assert rego.input_paths(SCHEMA_RULE) == (
        ("change", "links", "ticket"),
        ("evidence", "diff", "paths"),
    )
    assert rego.input_paths("package p\nx := input\n") is None
    assert rego.input_paths('package p\nx := input["change"]\n') is None
    data = {"change": {"links": {"pr": "u"}, "type": "normal"}, "evidence": {"diff": {}}}
    assert rego.pruned(data, (("change", "links", "ticket"), ("evidence", "diff", "paths"))) == {
        "change": {"links": {}},
        "evidence": {"diff": {}},
    }
    assert rego.pruned(data, (("change",), ("change", "links", "pr"))) == {"change": data["change"]}
