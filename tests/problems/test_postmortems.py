"""Postmortems: drafted before resolution but not published; edits guarded by version; required
by policy (severity, SLO budget consumed) with a due date; the web editor; Markdown export."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from guardrail.kit.context import Actor
from guardrail.kit.time import utcnow
from guardrail.problems import postmortems
from guardrail.slo import service as slo_service
from guardrail.slo.schemas import ApplyIn, EventIn, EventsIn, SpecFile
from guardrail.store.session import Database

ACTOR = Actor.system("tests")
EVENTS_SLO = """\
apiVersion: openslo/v1
kind: SLO
metadata:
  name: checkout-requests
spec:
  service: checkout
  indicator:
    metadata:
      name: checkout-requests-events
    spec:
      ratioMetric:
        good:
          metricSource: {type: guardrail}
        total:
          metricSource: {type: guardrail}
  timeWindow:
    - duration: 1d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - target: 0.999
"""


def test_publish_is_refused_until_the_incident_resolves(api: Any, cli: Any, cli_env: Any):
    incident = api.incident("search is slow", severity="SEV3")
    draft = api.call("POST", f"/postmortems/incidents/{incident}")
    assert draft["status"] == "draft" and "is not resolved yet" in draft["body"]
    refused = api.client.post(f"/api/v1/postmortems/{draft['id']}/publish", headers=api.headers)
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    problem = refused.json()
    assert (
        "can be drafted now but published only once the incident is resolved" in (problem["detail"])
    )
    result = cli("postmortem", "publish", draft["id"], env=cli_env)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and f"guardrail incident resolve {incident}" in (
        result.stderr
    )
    api.call("POST", f"/incidents/{incident}/resolve")
    published = cli("postmortem", "publish", incident, env=cli_env)  # by the incident's id
    assert published.exit_code == 0 and " published " in published.stdout


def test_edits_keep_versions_and_export(api: Any, cli: Any, cli_env: Any, tmp_path: Path):
    incident = api.incident("queue backlog", severity="SEV3")
    draft = cli("postmortem", "draft", incident, env=cli_env)
    assert draft.exit_code == 0 and " draft  v1 " in draft.stdout
    pm = api.call("GET", f"/postmortems/{incident}")
    body = pm["body"].replace(
        "## What went well\n\n_To fill in together: facts and systems, not people._",
        "## What went well\n\nThe queue alert fired within a minute.",
    )
    saved = api.call("PUT", f"/postmortems/{pm['id']}", json={"body": body, "version": 1})
    assert saved["version"] == 2
    stale = api.client.put(
        f"/api/v1/postmortems/{pm['id']}", json={"body": "x", "version": 1}, headers=api.headers
    )
    assert stale.status_code == 409 and "reload it" in stale.json()["detail"]
    # A second draft call returns the edited one; --regenerate rewrites it from the incident.
    assert api.call("POST", f"/postmortems/incidents/{incident}")["version"] == 2
    out = tmp_path / "pm.md"
    exported = cli("postmortem", "export", pm["id"], "--output", str(out), env=cli_env)
    assert exported.exit_code == 0 and "within a minute" in out.read_text()
    redone = api.call("POST", f"/postmortems/incidents/{incident}", json={"regenerate": True})
    assert redone["version"] == 3 and "within a minute" not in redone["body"]
    missing = cli("postmortem", "draft", "inc_nope", env=cli_env)
    assert missing.exit_code == 2 and "no incident 'inc_nope'" in missing.stderr


def _push(db: Database, slo_id: str, rows: list[tuple[Any, int, int]]) -> None:
    events = EventsIn(
        events=[EventIn(start=s, interval_seconds=60, good=g, total=t) for s, g, t in rows]
    )
    with db.unit_of_work() as session:
        slo_service.push_events(session, ACTOR, slo_id, events)


def test_budget_consumed_makes_a_postmortem_required(api: Any, db: Database):
    with db.unit_of_work() as session:
        files = [SpecFile(name="slo.yaml", content=EVENTS_SLO)]
        (slo,) = slo_service.apply_specs(session, ACTOR, ApplyIn(files=files))
    now = utcnow().replace(second=0, microsecond=0)
    minutes = [now - timedelta(minutes=m) for m in range(1, 600)]
    # Ten quiet hours, then 30 minutes at 2% errors: 600 bad of ~600,000 (budget 600): ~100%.
    _push(
        db,
        slo.id,
        [(at, 1000 if at < now - timedelta(minutes=30) else 980, 1000) for at in minutes],
    )
    body = {"title": "checkout errors", "severity": "SEV3", "service": "checkout"}
    body["started_at"] = (now - timedelta(minutes=31)).isoformat()
    incident = api.call("POST", "/incidents", 201, json=body)["id"]
    calm = api.incident("checkout hiccup", severity="SEV4")
    api.call("POST", f"/incidents/{incident}/resolve")
    with db.unit_of_work() as session:
        required = postmortems.apply_policy(session, ACTOR, incident)
        assert postmortems.apply_policy(session, ACTOR, calm) is None  # not resolved
    assert required is not None and required.required
    assert "of SLO checkout-requests's error budget (more than 20% requires" in (
        required.required_reason
    )
    assert required.due_at is not None and required.due_at > utcnow() + timedelta(days=4)
    timeline = api.call("GET", f"/incidents/{incident}")["timeline"]
    assert any(e["kind"] == "postmortem" and "required" in e["text"] for e in timeline)
    api.call("POST", f"/incidents/{calm}/resolve")
    with db.unit_of_work() as session:
        assert postmortems.apply_policy(session, ACTOR, calm) is None  # SEV4, no budget spent
        again = postmortems.apply_policy(session, ACTOR, incident)
        assert again is not None and again.id == required.id  # idempotent


def test_the_web_editor(api: Any, client: Any, admin_token: str):
    incident = api.incident("cart empties itself", severity="SEV2")
    client.cookies.set("guardrail_token", admin_token)
    page = client.get(f"/incidents/{incident}")
    assert "Draft the postmortem from this timeline" in page.text
    drafted = client.post(f"/incidents/{incident}/postmortem", follow_redirects=False)
    assert drafted.status_code == 303
    editor_url = drafted.headers["location"]
    editor = client.get(editor_url)
    assert editor.status_code == 200 and "<textarea" in editor.text
    assert "# Postmortem: cart empties itself" in editor.text and "disabled" in editor.text
    pm_id = editor_url.rsplit("/", 1)[-1]
    form = {"body": "# Postmortem\n\nRewritten in the page.\n", "version": "1"}
    saved = client.post(editor_url, data=form, follow_redirects=False)
    assert saved.status_code == 303
    assert api.call("GET", f"/postmortems/{pm_id}")["body"] == form["body"]
    stale = client.post(editor_url, data=form)
    assert stale.status_code == 409 and "reload it" in stale.text
    foreign = client.post(editor_url, data=form, headers={"Origin": "http://evil.example"})
    assert foreign.status_code == 403
    refused = client.post(f"{editor_url}/publish")
    assert refused.status_code == 409 and "published only once the incident is resolved" in (
        refused.text
    )
    markdown = client.get(f"{editor_url}/postmortem.md")
    assert markdown.status_code == 200 and "Rewritten in the page." in markdown.text
    assert "<!-- action-items" in markdown.text  # the table is added back on export
