"""The register through the API (problem+json for bad input), the CLI (exit 2 with one line)
and the web pages (baseline -> now -> target with a progress bar; the seven questions)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from guardrail.identity.enums import Role
from guardrail.improvements import service
from guardrail.improvements.schemas import ImprovementCreate
from guardrail.kit.context import Actor
from guardrail.kit.time import isoformat
from guardrail.store.session import Database

Deploy = Callable[..., None]  # the conftest's deploy fixture
PROBLEM = "application/problem+json"


def body(**extra: Any) -> dict[str, Any]:
    data = {
        "title": "Fewer failed shop deployments",
        "metric": "change_failure_rate",
        "service": "shop",
        "window": "7d",
        "target": 0.2,
        "review_at": isoformat(datetime.now().astimezone() + timedelta(days=14)),
        "vision": "Deploying is boring",
        "current_state": "Four in ten deployments fail",
        "plan": "Canary every deployment",
        "momentum": "Look again each quarter",
    }
    return {**data, **extra}


def test_api_create_act_review_early(
    client: Any, auth: dict[str, str], deploy: Deploy, now: datetime
) -> None:
    deploy("shop", now - timedelta(days=5), ok=6, failed=4)
    created = client.post("/api/v1/improvements", json=body(), headers=auth)
    assert created.status_code == 201, created.text
    imp = created.json()
    assert imp["baseline"] == 0.4 and imp["baseline_display"] == "40.0 %"
    assert imp["current"]["value"] == 0.4 and imp["current"]["progress"] == 0
    imp_id = imp["id"]
    act = client.post(
        f"/api/v1/improvements/{imp_id}/actions",
        json={"text": "canary on every deploy", "refs": ["chg_1", "chg_1", "act_2"]},
        headers=auth,
    )
    assert act.status_code == 201 and act.json()["refs"] == ["chg_1", "act_2"]
    deploy("shop", now - timedelta(hours=30), ok=15)  # more good deployments: 4 of 25 failed
    early = client.post(f"/api/v1/improvements/{imp_id}/review", headers=auth)
    assert early.status_code == 409 and early.headers["content-type"] == PROBLEM
    assert "early" in early.json()["detail"]
    done = client.post(f"/api/v1/improvements/{imp_id}/review", json={"early": True}, headers=auth)
    result = done.json()
    assert result["recorded"] is True and result["review"]["outcome"] == "achieved"
    assert result["review"]["value"] == 0.16
    assert result["improvement"]["status"] == "achieved"
    again = client.post(f"/api/v1/improvements/{imp_id}/review", json={"early": True}, headers=auth)
    assert again.json()["recorded"] is False
    assert again.json()["review"]["id"] == result["review"]["id"]
    got = client.get(f"/api/v1/improvements/{imp_id}", headers=auth).json()
    assert [a["text"] for a in got["actions"]] == ["canary on every deploy"]
    assert len(got["reviews"]) == 1
    listed = client.get("/api/v1/improvements?status=achieved", headers=auth).json()
    assert [i["id"] for i in listed["items"]] == [imp_id]
    settled = client.patch(f"/api/v1/improvements/{imp_id}", json={"target": 0.1}, headers=auth)
    assert settled.status_code == 409 and "follow-up" in settled.json()["detail"]
    words = client.patch(
        f"/api/v1/improvements/{imp_id}", json={"momentum": "Keep canaries"}, headers=auth
    )
    assert words.status_code == 200 and words.json()["momentum"] == "Keep canaries"


def test_api_refuses_bad_input(
    client: Any, auth: dict[str, str], deploy: Deploy, now: datetime
) -> None:
    deploy("shop", now - timedelta(days=5), ok=6, failed=4)
    bad = {
        "unknown metric": (body(metric="vibes"), 422, "change_failure_rate"),
        "wrong direction": (body(target=0.6), 422, "better lower"),
        "past review": (body(review_at="2020-01-01T00:00:00Z"), 422, "not in the future"),
        "bad window": (body(window="soon"), 422, "window"),
        "unknown field": (body(colour="red"), 422, "colour"),
    }
    for name, (payload, code, words) in bad.items():
        r = client.post("/api/v1/improvements", json=payload, headers=auth)
        assert r.status_code == code, (name, r.text)
        assert r.headers["content-type"] == PROBLEM and words in r.text, name
    assert client.post("/api/v1/improvements", json=body(), headers=auth).status_code == 201
    dup = client.post("/api/v1/improvements", json=body(), headers=auth)
    assert dup.status_code == 409 and "already works on" in dup.json()["detail"]
    assert client.get("/api/v1/improvements/imp_nope", headers=auth).status_code == 404
    moved = client.get("/api/v1/improvements", headers=auth).json()["items"][0]["id"]
    wrong = client.patch(f"/api/v1/improvements/{moved}", json={"status": "achieved"}, headers=auth)
    assert wrong.status_code == 409 and "come from a review" in wrong.json()["detail"]
    started = client.patch(
        f"/api/v1/improvements/{moved}", json={"status": "in_progress"}, headers=auth
    )
    assert started.json()["status"] == "in_progress"


def test_api_roles(client: Any, make_token: Any, deploy: Deploy, now: datetime) -> None:
    deploy("shop", now - timedelta(days=5), ok=6, failed=4)
    viewer = {"Authorization": f"Bearer {make_token(Role.viewer)}"}
    assert client.post("/api/v1/improvements", json=body(), headers=viewer).status_code == 403
    assert client.get("/api/v1/improvements", headers=viewer).status_code == 200


def test_cli(live_server: str, make_token: Any, cli: Any, deploy: Deploy, now: datetime) -> None:
    deploy("shop", now - timedelta(days=5), ok=6, failed=4)
    env = {"GUARDRAIL_URL": live_server, "GUARDRAIL_TOKEN": make_token(Role.engineer)}
    args = ["improvement", "create", "Fewer failed deployments", "--service", "shop"]
    args += ["--window", "7d", "--review-in", "14d", "--vision", "Boring deploys"]
    bad = cli(*args, "--metric", "vibes", "--target", "20%", env=env)
    assert bad.exit_code == 2 and "change_failure_rate" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
    wrong = cli(*args, "--metric", "change_failure_rate", "--target", "60%", env=env)
    assert wrong.exit_code == 2 and "better lower" in wrong.stderr
    junk = cli(*args, "--metric", "change_failure_rate", "--target", "lots", env=env)
    assert junk.exit_code == 2 and "not a number" in junk.stderr
    made = cli(*args, "--metric", "change_failure_rate", "--target", "20%", "--json", env=env)
    assert made.exit_code == 0, made.output
    imp_id = json.loads(made.stdout)["id"]
    shown = cli("improvement", "show", imp_id, env=env)
    for question in ("What is the vision?", "Where are we now?", "Did we get there?"):
        assert question in shown.stdout
    assert "baseline 40.0 %" in shown.stdout and "Boring deploys" in shown.stdout
    assert cli("improvement", "act", imp_id, "canaries", "--ref", "chg_9", env=env).exit_code == 0
    listed = cli("improvement", "list", env=env)
    assert imp_id in listed.stdout and "in_progress" in listed.stdout
    early = cli("improvement", "review", imp_id, env=env)
    assert early.exit_code == 2 and "--now" in early.stderr
    deploy("shop", now - timedelta(hours=30), ok=15)
    done = cli("improvement", "review", imp_id, "--now", env=env)
    assert done.exit_code == 0 and "achieved: change failure rate was 16.0 %" in done.stdout
    again = cli("improvement", "review", imp_id, "--now", env=env)
    assert "reviewed already" in again.stdout


def _achieved(db: Database, deploy: Deploy, now: datetime) -> str:
    t0 = now - timedelta(days=20)
    deploy("shop", t0 - timedelta(days=5), ok=6, failed=4)
    data = ImprovementCreate.model_validate(body(review_at=t0 + timedelta(days=10)))
    actor = Actor.system("tests")
    with db.unit_of_work() as session:
        imp_id = service.create_improvement(session, actor, data, now=t0).id
    deploy("shop", t0 + timedelta(days=4), ok=9, failed=1)
    with db.unit_of_work() as session:
        service.review(session, actor, imp_id, now=now)
    return imp_id


def test_web_pages(
    db: Database, client: Any, admin_token: str, deploy: Deploy, now: datetime
) -> None:
    imp_id = _achieved(db, deploy, now)
    signin = {"token": admin_token, "next": "/"}
    assert client.post("/signin", data=signin, follow_redirects=False).status_code == 303
    page = client.get("/improvements")
    assert page.status_code == 200
    html = page.text
    assert f'href="/improvements/{imp_id}"' in html and "status-achieved" in html
    assert "40.0 %" in html and "10.0 %" in html and "20.0 %" in html
    assert '<progress class="improvement-progress" max="100" value="100"' in html
    nav_entry = html.split('<a href="/improvements"')[1].split("</a>")[0]
    assert "not built yet" not in nav_entry and 'aria-current="page"' in nav_entry
    detail = client.get(f"/improvements/{imp_id}").text
    for question in (
        "What is the vision?",
        "Where are we now?",
        "Where do we want to be?",
        "How do we get there?",
        "Take action",
        "Did we get there?",
        "How do we keep the momentum?",
    ):
        assert question in detail
    assert "<strong>achieved</strong>: change failure rate was 10.0 %" in detail
    logged = client.post(
        f"/improvements/{imp_id}/actions",
        data={"text": "kept canaries", "refs": "chg_1, chg_2"},
        headers={"Origin": str(client.base_url)},
        follow_redirects=False,
    )
    assert logged.status_code == 303
    assert "kept canaries" in client.get(f"/improvements/{imp_id}").text
    loaded = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert "/static/improvements.css?v=" in " ".join(loaded)
    assert not [url for url in loaded if "://" in url or url.startswith("//")]
