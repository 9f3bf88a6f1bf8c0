"""The canary judge: Mann-Whitney classification, scoring, NaN handling, Prometheus input, CLI."""

from __future__ import annotations

import json
import random
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from guardrail.releases import canary, canary_sources
from guardrail.releases.canary import CanarySpec, MetricSpec


def samples(mean: float, spread: float, n: int = 60, seed: int = 7) -> list[float]:
    rng = random.Random(seed)
    return [max(0.0, rng.gauss(mean, spread)) for _ in range(n)]


def spec(**metrics: dict) -> CanarySpec:
    return CanarySpec.model_validate({"metrics": [{"name": k, **v} for k, v in metrics.items()]})


def test_clearly_higher_error_rate_fails_and_equal_passes():
    baseline = samples(0.010, 0.002, seed=1)
    worse = canary.judge(
        spec(
            error_rate={
                "baseline": baseline,
                "canary": samples(0.05, 0.005, seed=2),
                "direction": "increase",
                "critical": True,
            }
        )
    )
    assert worse.result == "fail" and worse.score == 0
    assert worse.metrics[0].classification == "High"
    assert worse.metrics[0].p_value < 1e-6 and worse.metrics[0].ratio > 4
    same = canary.judge(
        spec(
            error_rate={
                "baseline": baseline,
                "canary": list(baseline),
                "direction": "increase",
                "critical": True,
            }
        )
    )
    assert same.result == "pass" and same.score == 100 and same.metrics[0].classification == "Pass"
    noise = canary.judge(
        spec(
            error_rate={
                "baseline": baseline,
                "canary": samples(0.010, 0.002, seed=3),
                "direction": "increase",
            }
        )
    )
    assert noise.result == "pass" and noise.metrics[0].classification == "Pass"


def test_direction_limits_what_counts():
    lower = {"baseline": samples(100, 5, seed=1), "canary": samples(50, 5, seed=2)}
    assert (
        canary.judge(spec(m={**lower, "direction": "increase"})).metrics[0].classification == "Pass"
    )
    assert (
        canary.judge(spec(m={**lower, "direction": "decrease"})).metrics[0].classification == "Low"
    )
    assert canary.judge(spec(m={**lower, "direction": "either"})).metrics[0].classification == "Low"


def test_score_thresholds_marginal_and_weights():
    ok = {"baseline": samples(10, 1, seed=1), "canary": samples(10, 1, seed=5)}
    bad = {
        "baseline": samples(10, 1, seed=1),
        "canary": samples(20, 1, seed=2),
        "direction": "increase",
    }
    run = CanarySpec.model_validate(
        {
            "metrics": [{"name": f"ok{i}", **ok} for i in range(4)] + [{"name": "latency", **bad}],
            "thresholds": {"pass": 95, "marginal": 75},
        }
    )
    result = canary.judge(run)
    assert (result.score, result.result) == (80.0, "marginal")
    run.metrics[-1].weight = 0.1
    weighted = canary.judge(run)
    assert (weighted.score, weighted.result) == (97.56, "pass")


def test_nan_strategies_and_no_data():
    base = [1.0, 2.0, float("nan"), None, 3.0, 2.0, 1.0]
    removed = canary.classify(
        MetricSpec(name="m", baseline=base, canary=[1, 2, 3, 2, 1]), base, [1, 2, 3, 2, 1]
    )
    assert removed.baseline_count == 5 and removed.classification == "Pass"
    replaced = MetricSpec(name="m", baseline=base, canary=base, nan_strategy="replace")
    assert canary.classify(replaced, base, base).baseline_count == 7
    empty = canary.judge(
        spec(m={"baseline": [None, float("nan")], "canary": [1.0, 2.0], "critical": True})
    )
    assert empty.metrics[0].classification == "NaN" and empty.result == "fail"
    assert "critical metric not Pass: m" in empty.reason
    with pytest.raises(ValueError):
        MetricSpec(name="m", baseline=[1.0])


class _Prometheus(BaseHTTPRequestHandler):
    """Answers /api/v1/query_range in Prometheus' own response format."""

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        self.server.seen.append(query)  # type: ignore[attr-defined]
        if url.path != "/api/v1/query_range":
            self.send_response(404)
            self.end_headers()
            return
        level = 0.05 if "canary" in query["query"][0] else 0.01
        start = float(query["start"][0])
        values = [[start + 60 * i, str(level + 0.001 * (i % 3))] for i in range(30)]
        values[4][1] = "NaN"
        body = {
            "status": "success",
            "data": {
                "resultType": "matrix",
                "result": [
                    {"metric": {"job": "api", "instance": f"i{n}"}, "values": values}
                    for n in range(2)
                ],
            },
        }
        payload = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def prometheus():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Prometheus)
    server.seen = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _query_file(tmp_path, url: str) -> str:
    path = tmp_path / "canary.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "prometheus": {
                    "url": url,
                    "start": "1735725600",
                    "end": "1735727400",
                    "step": "1m",
                },
                "metrics": [
                    {
                        "name": "error_rate",
                        "direction": "increase",
                        "critical": True,
                        "baseline_query": 'sum(rate(http_errors{track="baseline"}[1m]))',
                        "canary_query": 'sum(rate(http_errors{track="canary"}[1m]))',
                    }
                ],
            }
        )
    )
    return str(path)


def test_prometheus_queries(prometheus, tmp_path):
    url = f"http://127.0.0.1:{prometheus.server_port}"
    with open(_query_file(tmp_path, url)) as handle:
        run = CanarySpec.model_validate(yaml.safe_load(handle))
    fetched = canary_sources.fetch(run)
    baseline, _ = fetched["error_rate"]
    assert len(baseline) == 60 and sum(1 for v in baseline if v != v) == 2  # two NaN strings
    assert prometheus.seen[0]["step"] == ["60"] and prometheus.seen[0]["start"] == ["1735725600"]
    result = canary.judge(run, fetched)
    assert result.result == "fail" and result.metrics[0].baseline_count == 58


def test_cli_judge(cli, tmp_path, prometheus):
    url = f"http://127.0.0.1:{prometheus.server_port}"
    failed = cli("canary", "judge", _query_file(tmp_path, url), "--json")
    assert failed.exit_code == 1
    assert json.loads(failed.stdout)["metrics"][0]["classification"] == "High"
    same = tmp_path / "same.json"
    values = samples(0.01, 0.002)
    same.write_text(
        json.dumps({"metrics": [{"name": "error_rate", "baseline": values, "canary": values}]})
    )
    passed = cli("canary", "judge", str(same))
    assert passed.exit_code == 0 and "PASS" in passed.stdout
    broken = tmp_path / "broken.yaml"
    broken.write_text("metrics: [{name: x, baseline: [1]}]")
    bad = cli("canary", "judge", str(broken))
    assert bad.exit_code == 2 and "baseline" in bad.stderr


def test_api_judge(client, auth):
    body = {
        "metrics": [
            {
                "name": "error_rate",
                "direction": "increase",
                "baseline": samples(0.01, 0.002, seed=1),
                "canary": samples(0.05, 0.004, seed=2),
            }
        ]
    }
    response = client.post("/api/v1/releases/canary/judge", json=body, headers=auth)
    assert response.status_code == 200, response.text
    assert response.json()["result"] == "fail"
