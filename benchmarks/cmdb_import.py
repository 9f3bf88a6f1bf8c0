"""CMDB import time, peak memory and impact-query latency on a generated estate.

Run on demand (not a test; it prints figures and asserts nothing about them):

    .venv/bin/python benchmarks/cmdb_import.py [--items 20000] [--relations 60000]
        [--databases sqlite,postgresql] [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test]
        [--queries 200]

The estate is written as real files: one Backstage catalog (multi-document YAML: groups, systems,
components, APIs, resources), one ``kubectl get -o json`` List (namespaces, Deployments, Services,
Ingresses, ConfigMaps, Secrets) and one Terraform format-4 state whose resources depend on each
other, sized so that the three sources hold exactly ``--items`` items and ``--relations``
relations. Each database gets a fresh migrated schema; the three sources are imported (parse and
apply timed separately), then imported again unchanged, then ``--queries`` impact queries
(depth 5, both directions) run on random items.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from guardrail.cmdb import service as cmdb
from guardrail.integrations.inbound.cmdb_files import parse_paths
from guardrail.integrations.inbound.documents import ImportOptions
from guardrail.kit.context import Actor
from guardrail.store import migrate
from guardrail.store.engine import make_engine
from guardrail.store.session import Database

GROUPS, SYSTEMS, COMPONENTS, APIS, RESOURCES = 20, 20, 1000, 500, 480
NAMESPACES, DEPLOYMENTS, INGRESSES = 10, 1000, 500


def backstage(folder: Path) -> tuple[int, int]:
    """The catalog file; returns (items, relations) it holds."""
    docs: list[str] = []
    rel = 0

    def doc(kind: str, name: str, spec: dict[str, Any]) -> None:
        docs.append(
            json.dumps(
                {
                    "apiVersion": "backstage.io/v1alpha1",
                    "kind": kind,
                    "metadata": {"name": name},
                    "spec": spec,
                }
            )
        )

    for g in range(GROUPS):
        doc("Group", f"team-{g}", {"type": "team", "children": []})
    for s in range(SYSTEMS):
        doc("System", f"system-{s}", {"owner": f"team-{s % GROUPS}"})
        rel += 1
    for a in range(APIS):
        doc(
            "API",
            f"api-{a}",
            {
                "type": "openapi",
                "lifecycle": "production",
                "owner": f"team-{a % GROUPS}",
                "system": f"system-{a % SYSTEMS}",
                "definition": "openapi: 3.0.0",
            },
        )
        rel += 2
    for r in range(RESOURCES):
        doc(
            "Resource",
            f"db-{r}",
            {"type": "database", "owner": f"team-{r % GROUPS}", "system": f"system-{r % SYSTEMS}"},
        )
        rel += 2
    for c in range(COMPONENTS):
        spec: dict[str, Any] = {
            "type": "service",
            "lifecycle": "production",
            "owner": f"team-{c % GROUPS}",
            "system": f"system-{c % SYSTEMS}",
            "consumesApis": [f"api-{(c * 7 + 1) % APIS}", f"api-{(c * 13 + 2) % APIS}"],
            "dependsOn": [f"resource:db-{c % RESOURCES}", f"resource:db-{(c * 3 + 1) % RESOURCES}"],
        }
        if c < APIS:
            spec["providesApis"] = [f"api-{c}"]
        doc("Component", f"svc-{c}", spec)
        rel += 6 + (1 if c < APIS else 0)
    # JSON documents are YAML too; "---" separates them.
    (folder / "catalog-info.yaml").write_text("\n---\n".join(docs))
    return GROUPS + SYSTEMS + APIS + RESOURCES + COMPONENTS, rel


def kubernetes(folder: Path) -> tuple[int, int]:
    """The kubectl List; returns (items, relations)."""
    items: list[dict[str, Any]] = []
    for n in range(NAMESPACES):
        items.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": f"ns-{n}"}})
    for d in range(DEPLOYMENTS):
        ns, labels = (
            f"ns-{d % NAMESPACES}",
            {"app": f"app-{d}", "app.kubernetes.io/part-of": f"svc-{d % COMPONENTS}"},
        )
        meta = {"namespace": ns, "uid": str(uuid.uuid4()), "resourceVersion": "1"}
        items.append(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": f"app-{d}", **meta, "labels": labels},
                "spec": {
                    "replicas": 2,
                    "selector": {"matchLabels": {"app": f"app-{d}"}},
                    "template": {
                        "metadata": {"labels": labels},
                        "spec": {
                            "containers": [
                                {
                                    "name": "app",
                                    "image": f"reg/app-{d}:1",
                                    "envFrom": [{"secretRef": {"name": f"sec-{d}"}}],
                                }
                            ],
                            "volumes": [{"name": "c", "configMap": {"name": f"cfg-{d}"}}],
                        },
                    },
                },
            }
        )
        items.append(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": f"app-{d}", **meta},
                "spec": {"selector": {"app": f"app-{d}"}, "ports": [{"port": 80}]},
            }
        )
        items.append(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": f"cfg-{d}", **meta},
                "data": {"k": "v"},
            }
        )
        items.append(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": f"sec-{d}", **meta},
                "type": "Opaque",
                "data": {"password": "aHVudGVyMg=="},
            }
        )
    for i in range(INGRESSES):
        a, b = (2 * i) % DEPLOYMENTS, (2 * i + 10) % DEPLOYMENTS
        ns = f"ns-{a % NAMESPACES}"
        paths = [
            {
                "path": f"/{s}",
                "pathType": "Prefix",
                "backend": {"service": {"name": f"app-{s}", "port": {"number": 80}}},
            }
            for s in (a, b)
        ]
        items.append(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "Ingress",
                "metadata": {"name": f"ing-{i}", "namespace": ns},
                "spec": {"rules": [{"host": f"h{i}.example.com", "http": {"paths": paths}}]},
            }
        )
    (folder / "cluster.json").write_text(
        json.dumps({"apiVersion": "v1", "kind": "List", "items": items})
    )
    objects = NAMESPACES + 4 * DEPLOYMENTS + INGRESSES
    relations = (objects - NAMESPACES) + 2 * DEPLOYMENTS + DEPLOYMENTS + 2 * INGRESSES
    return objects, relations


def terraform(folder: Path, count: int, relations: int, rng: random.Random) -> None:
    """A format-4 state with ``count`` resources and ``relations`` dependencies among them."""
    deps = [min(i, relations // max(count, 1)) for i in range(count)]
    spare = relations - sum(deps)
    i = count - 1
    while spare > 0 and i > 0:
        if deps[i] < min(i, 40):
            deps[i] += 1
            spare -= 1
        i = i - 1 if i > 1 else count - 1
    types = [
        "aws_instance",
        "aws_db_instance",
        "aws_sqs_queue",
        "aws_s3_bucket",
        "aws_security_group",
        "aws_lambda_function",
    ]
    resources = []
    for n in range(count):
        kind = types[n % len(types)]
        window = range(max(0, n - 40), n)
        chosen = rng.sample(list(window), deps[n]) if deps[n] else []
        resources.append(
            {
                "mode": "managed",
                "type": kind,
                "name": f"r{n}",
                "provider": 'provider["terraform.example/hashicorp/aws"]',
                "instances": [
                    {
                        "schema_version": 1,
                        "attributes": {
                            "id": f"id-{n}",
                            "arn": f"arn:aws:x:{n}",
                            "password": "not-stored",
                            "tags": {"Name": f"r{n}", "service": f"svc-{n % COMPONENTS}"},
                        },
                        "sensitive_attributes": [],
                        "private": "c2VjcmV0",
                        "dependencies": [f"{types[c % len(types)]}.r{c}" for c in chosen],
                    }
                ],
            }
        )
    body = {
        "version": 4,
        "terraform_version": "1.6.0",
        "serial": 1,
        "lineage": "bench",
        "outputs": {},
        "resources": resources,
    }
    (folder / "prod.tfstate").write_text(json.dumps(body))


def generate(folder: Path, items: int, relations: int) -> dict[str, Path]:
    rng = random.Random(7)
    paths = {name: folder / name for name in ("backstage", "kubernetes", "terraform")}
    for path in paths.values():
        path.mkdir(parents=True, exist_ok=True)
    b_items, b_rel = backstage(paths["backstage"])
    k_items, k_rel = kubernetes(paths["kubernetes"])
    terraform(paths["terraform"], items - b_items - k_items, relations - b_rel - k_rel, rng)
    return paths


def fresh_database(kind: str, pg_url: str) -> tuple[str, Any]:
    if kind == "sqlite":
        path = Path(tempfile.mkdtemp()) / "bench.db"
        return f"sqlite:///{path}", lambda: None
    name = f"guardrail_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(pg_url).set(database=name).render_as_string(hide_password=False), drop


def run(kind: str, paths: dict[str, Path], pg_url: str, queries: int, trace: bool) -> None:
    url, drop = fresh_database(kind, pg_url)
    engine = make_engine(url)
    migrate.upgrade(engine)
    db, actor = Database(engine), Actor.system("benchmark")
    print(f"\n== {kind}")
    try:
        for label in ("first import", "unchanged re-import"):
            _import_all(db, actor, paths, label, trace)
        _impact(db, queries)
    finally:
        db.dispose()
        drop()


def _import_all(
    db: Database, actor: Actor, paths: dict[str, Path], label: str, trace: bool
) -> None:
    total_parse = total_apply = 0.0
    items = relations = peak = 0
    for name, path in paths.items():
        if trace:
            tracemalloc.start()
        t0 = time.perf_counter()
        snapshot = parse_paths([path], ImportOptions(scope=name))
        t1 = time.perf_counter()
        with db.unit_of_work() as session:
            summary = cmdb.import_snapshot(session, actor, name, snapshot)
        t2 = time.perf_counter()
        if trace:
            peak = max(peak, tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()
        total_parse, total_apply = total_parse + t1 - t0, total_apply + t2 - t1
        items += summary.created + summary.unchanged + summary.updated
        relations += summary.relations_created + summary.relations_unchanged
        print(
            f"  {label:<20} {name:<11} {len(snapshot.items):>6} items "
            f"parse {t1 - t0:6.2f}s apply {t2 - t1:6.2f}s  (created {summary.created}, "
            f"unchanged {summary.unchanged})"
        )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    traced = f", traced peak {peak / 2**20:.0f} MiB" if trace else ""
    print(
        f"  {label}: {items} items, {relations} relations in {total_parse + total_apply:.2f}s "
        f"(parse {total_parse:.2f}s, apply {total_apply:.2f}s); process peak RSS {rss:.0f} MiB"
        f"{traced}"
    )


def _impact(db: Database, queries: int) -> None:
    with db.reader() as session:
        ids = [row[0] for row in session.execute(text("SELECT id FROM cmdb_items"))]
    rng = random.Random(11)
    sample = rng.sample(ids, min(queries, len(ids)))
    times, reached = [], []
    for item_id in sample:
        t0 = time.perf_counter()
        with db.reader() as session:
            result = cmdb.impact(session, item_id, depth=5)
        times.append((time.perf_counter() - t0) * 1000)
        reached.append(len(result.dependents) + len(result.dependencies))
    times.sort()
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    print(
        f"  impact (depth 5, both directions) over {len(times)} random items: "
        f"p50 {statistics.median(times):.1f} ms, p99 {p99:.1f} ms, max {times[-1]:.1f} ms; "
        f"items reached: median {statistics.median(reached):.0f}, max {max(reached)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--relations", type=int, default=60_000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="also trace Python allocations (slower; gives the traced peak)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        paths = generate(Path(folder), args.items, args.relations)
        size = sum(p.stat().st_size for d in paths.values() for p in d.iterdir())
        print(
            f"estate: {args.items} items, {args.relations} relations, {size / 2**20:.1f} MiB of "
            f"files; python {sys.version.split()[0]}"
        )
        for kind in args.databases.split(","):
            run(kind.strip(), paths, args.pg_url, args.queries, args.tracemalloc)


if __name__ == "__main__":
    main()
