"""The change pages: list, detail, the approver's inbox with its buttons, the calendar."""

from __future__ import annotations

from changes_fixtures import BIG_DIFF, JUNIT_PASS, files


def _sign_in(client, token):
    response = client.post(
        "/signin", data={"token": token, "next": "/changes"}, follow_redirects=False
    )
    assert response.status_code == 303


def test_inbox_approve_from_the_page(client, org):
    change = client.post(
        "/api/v1/changes",
        json={
            "service": "checkout-api",
            "environment": "production",
            "commit": "w1",
            "evidence": files(("d.txt", BIG_DIFF), ("j.xml", JUNIT_PASS)),
        },
        headers=org.headers("ci"),
    ).json()
    _sign_in(client, org.tokens["bob"])
    listing = client.get("/changes")
    assert listing.status_code == 200 and change["id"] in listing.text
    assert "1 waiting for you" in listing.text
    inbox = client.get("/changes/inbox")
    assert change["title"] in inbox.text and "tests: 3/3 passed" in inbox.text
    assert f'action="/changes/{change["id"]}/approve"' in inbox.text
    detail = client.get(f"/changes/{change['id']}")
    assert "sensitive paths" in detail.text and "manual_security_review" in detail.text
    done = client.post(
        f"/changes/{change['id']}/approve", data={"comment": "ok"}, follow_redirects=False
    )
    assert done.status_code == 303
    after = client.get(f"/api/v1/changes/{change['id']}", headers=org.headers("ci")).json()
    assert after["state"] == "approved" and after["approvals"][0]["via"] == "web"
    assert client.get("/changes/calendar").status_code == 200


def test_requester_gets_a_page_saying_why_not(client, org):
    change = client.post(
        "/api/v1/changes",
        json={
            "service": "checkout-api",
            "environment": "production",
            "commit": "w2",
            "evidence": files(("d.txt", BIG_DIFF)),
        },
        headers=org.headers("alice"),
    ).json()
    _sign_in(client, org.tokens["alice"])
    refused = client.post(f"/changes/{change['id']}/approve", data={})
    assert refused.status_code == 403 and "alice requested this change" in refused.text
