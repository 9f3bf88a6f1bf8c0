def test_healthz(client):
    assert client.get("/healthz").json()["status"] == "ok"


def test_services_roundtrip(client, auth):
    r = client.post("/api/v1/services", json={"name": "checkout-api", "tier": 1}, headers=auth)
    assert r.status_code == 201, r.text
    assert client.get("/api/v1/services", headers=auth).json()["total"] == 1
