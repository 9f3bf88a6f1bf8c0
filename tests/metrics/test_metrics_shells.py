"""The scoreboard through the API, the CLI and /metrics, on a short demo history; the demo is
idempotent; a deployment that fails in several ways counts once."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from guardrail.demo import seed
from guardrail.identity.enums import Role
from guardrail.kit.context import Actor
from guardrail.metrics import service as metrics
from guardrail.metrics.schemas import ScopeIn
from guardrail.releases import service as releases
from guardrail.releases.schemas import DeploymentRecord
from guardrail.store.session import Database


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    metrics.clear_cache()
    yield
    metrics.clear_cache()


@pytest.fixture
def seeded(db: Database) -> Database:
    with db.unit_of_work() as session:
        assert seed.seed(session, days=10) is True
    metrics.clear_cache()
    return db


def test_api_scoreboard_and_parts(seeded: Database, client: Any, auth: dict[str, str]) -> None:
    body = client.get("/api/v1/metrics?since=7d", headers=auth).json()
    keys = [m["key"] for m in body["dora"]]
    assert keys == [
        "deployment_frequency",
        "lead_time",
        "change_failure_rate",
        "recovery_time",
        "rework_rate",
    ]
    freq = body["dora"][0]
    assert freq["value"] > 0 and freq["level"] in ("elite", "high", "medium", "low")
    assert len(freq["series"]) == 7  # daily buckets for a week
    assert "2024" in body["bands"]
    itil = {m["key"]: m for m in body["itil"]}
    # The demo opens one problem (a known error) from the incidents its deployments caused.
    assert itil["open_problems"]["tracked"] is True and itil["open_problems"]["value"] == 1
    assert itil["incidents"]["value"] >= 1
    team = client.get("/api/v1/metrics/dora?team=payments&since=7d", headers=auth).json()
    assert team[0]["detail"]["deployments"] <= freq["detail"]["deployments"]
    rows = client.get("/api/v1/metrics/services?since=7d", headers=auth).json()
    assert {r["service"] for r in rows} >= {"checkout-api", "search"}
    assert client.get("/api/v1/metrics/itil?service=search", headers=auth).status_code == 200


def test_api_refuses_bad_input(seeded: Database, client: Any, auth: dict[str, str]) -> None:
    bad = client.get("/api/v1/metrics?since=soon", headers=auth)
    assert bad.status_code == 422 and "30d" in bad.json()["detail"]
    assert client.get("/api/v1/metrics?service=nope", headers=auth).status_code == 404
    assert client.get("/api/v1/metrics").status_code == 401


def test_prometheus_exposition(seeded: Database, client: Any) -> None:
    text = client.get("/metrics").text
    assert (
        'guardrail_dora_deployments_per_week{environment="production",name="",scope="organisation"}'
        in text
    )
    assert 'scope="service",name="checkout-api"' in text.replace(
        'environment="production",name="checkout-api",scope="service"',
        'scope="service",name="checkout-api"',
    )
    assert "guardrail_dora_level{" in text and "guardrail_itil_incidents{" in text


def test_cli_table_json_csv(seeded: Database, live_server: str, make_token: Any, cli: Any) -> None:
    env = {"GUARDRAIL_URL": live_server, "GUARDRAIL_TOKEN": make_token(Role.viewer)}
    table = cli("metrics", "--since", "7d", env=env)
    assert table.exit_code == 0, table.output
    assert "Deployment frequency" in table.output and "Open problems" in table.output
    as_json = cli("metrics", "--service", "checkout-api", "--since", "7d", "--json", env=env)
    board = json.loads(as_json.stdout)
    assert board["scope"]["service"] == "checkout-api"
    as_csv = cli("metrics", "--team", "storefront", "--since", "7d", "--csv", env=env)
    parsed = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert parsed[0]["key"] == "deployment_frequency" and len(parsed) == 5 + 13
    both = cli("metrics", "--json", "--csv", env=env)
    assert both.exit_code == 2


def test_demo_is_idempotent(seeded: Database) -> None:
    with seeded.reader() as session:
        before = metrics.scoreboard(session, ScopeIn(since="7d")).model_dump(
            exclude={"generated_at"}
        )
    with seeded.unit_of_work() as session:
        assert seed.seed(session, days=10) is False
    metrics.clear_cache()
    with seeded.reader() as session:
        after = metrics.scoreboard(session, ScopeIn(since="7d")).model_dump(
            exclude={"generated_at"}
        )
    before["scope"].pop("end"), after["scope"].pop("end")
    for part in ("dora", "itil"):
        assert [m["detail"] for m in before[part]] == [m["detail"] for m in after[part]]


def test_a_failure_counts_once_whatever_the_reasons(db: Database) -> None:
    """Failed status, rolled back and named as an incident's cause: one failed deployment."""
    actor = Actor.system("tests")
    now = datetime.now(UTC).replace(microsecond=0)
    with db.unit_of_work() as session:
        from guardrail.cmdb import service as cmdb
        from guardrail.cmdb.schemas import ServiceCreate

        cmdb.create_service(session, actor, ServiceCreate(name="shop"))

        def record(version: str, status: str, minutes: int, **extra: Any) -> str:
            at = now - timedelta(minutes=minutes)
            data = DeploymentRecord(
                service="shop",
                environment="production",
                version=version,
                status=status,  # type: ignore[arg-type]
                key=f"k{version}",
                started_at=at,
                finished_at=at,
                **extra,
            )
            return releases.record_deployment(session, actor, data).id

        record("1", "success", 50)
        bad = record("2", "failed", 40)
        releases.link_failure(session, actor, bad, "inc_x")
        record("3", "success", 30, rollback_of=bad)
        record("4", "success", 20)
    with db.reader() as session:
        board = metrics.scoreboard(session, ScopeIn(service="shop", since="1d"), now=now)
    cfr = board.metric("change_failure_rate")
    assert cfr.detail == {"failed": 1, "deployments": 4}
    assert cfr.value == pytest.approx(0.25)
    assert board.metric("deployment_frequency").detail["deployments"] == 3


def test_grafana_dashboard_reads_exported_names(seeded: Database, client: Any) -> None:
    """Every metric the dashboard in docs/ queries is one /metrics exports."""
    import re
    from pathlib import Path

    dashboard = Path(__file__).resolve().parents[2] / "docs" / "grafana-dashboard.json"
    exprs = [
        t["expr"] for p in json.loads(dashboard.read_text())["panels"] for t in p.get("targets", [])
    ]
    wanted = {name for e in exprs for name in re.findall(r"guardrail_[a-z0-9_]+", e)}
    exported = set(
        re.findall(r"^# TYPE (guardrail_[a-z0-9_]+) gauge", client.get("/metrics").text, re.M)
    )
    assert wanted and wanted <= exported, wanted - exported
