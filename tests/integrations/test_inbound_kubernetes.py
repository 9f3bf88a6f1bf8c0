"""The Kubernetes importer: manifests, kubectl Lists, selectors, ingress, config refs, secrets."""

from __future__ import annotations

import json

from guardrail.integrations.inbound.cmdb_files import parse_content
from guardrail.integrations.inbound.documents import ImportOptions

OPTIONS = ImportOptions(scope="eu")

MANIFESTS = """\
apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"secret": "leak"}'
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata:
      labels: {app: api, tier: backend, app.kubernetes.io/part-of: checkout}
    spec:
      imagePullSecrets: [{name: registry}]
      volumes:
        - name: cfg
          configMap: {name: api-config}
      containers:
        - name: api
          image: shop/api:1.0
          envFrom: [{secretRef: {name: api-secrets}}]
          env:
            - name: FLAG
              valueFrom: {configMapKeyRef: {name: flags, key: flag}}
---
apiVersion: v1
kind: Service
metadata:
  name: api
  namespace: shop
spec:
  selector: {app: api}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: public
  namespace: shop
spec:
  rules:
    - host: shop.example.com
      http:
        paths:
          - path: /api
            pathType: Prefix
            backend: {service: {name: api, port: {number: 80}}}
          - path: /v2
            pathType: Prefix
            backend: {service: {name: api, port: {number: 80}}}
---
apiVersion: v1
kind: Secret
metadata:
  name: api-secrets
  namespace: shop
type: Opaque
data:
  password: aHVudGVyMg==
stringData:
  token: plain-secret
"""


def _relations(snapshot):
    return {(r.source, r.type, r.target) for r in snapshot.relations}


def test_manifests_become_items_with_relations():
    snapshot = parse_content(MANIFESTS, "shop.yaml", OPTIONS)
    assert snapshot.errors == []
    deployment = snapshot.items["k8s:eu:deployment:shop/api"]
    assert deployment.kind == "workload" and deployment.attributes["replicas"] == 2
    assert deployment.attributes["images"] == ["shop/api:1.0"]
    assert deployment.service_ref == "checkout"
    assert deployment.origin.line == 6
    relations = _relations(snapshot)
    assert ("k8s:eu:service:shop/api", "selects", "k8s:eu:deployment:shop/api") in relations
    assert ("k8s:eu:ingress:shop/public", "routes_to", "k8s:eu:service:shop/api") in relations
    for ref in (
        "configmap:shop/api-config",
        "secret:shop/api-secrets",
        "configmap:shop/flags",
        "secret:shop/registry",
    ):
        assert ("k8s:eu:deployment:shop/api", "uses", f"k8s:eu:{ref}") in relations
    assert ("k8s:eu:deployment:shop/api", "part_of", "k8s:eu:namespace:shop") in relations
    assert snapshot.items["k8s:eu:namespace:shop"].attributes.get("implicit") is None


def test_ingress_routes_to_one_service_are_kept_together():
    snapshot = parse_content(MANIFESTS, "shop.yaml", OPTIONS)
    routes = [r for r in snapshot.relations if r.type == "routes_to"]
    assert sum(len(r.attributes["routes"]) for r in routes) == 2
    assert routes[0].attributes["routes"][0] == {
        "host": "shop.example.com",
        "path": "/api",
        "port": 80,
    }


def test_secret_and_configuration_data_are_never_kept():
    snapshot = parse_content(MANIFESTS, "shop.yaml", OPTIONS)
    stored = json.dumps([i.data() for i in snapshot.items.values()])
    for secret in ("aHVudGVyMg", "plain-secret", "leak", "last-applied"):
        assert secret not in stored
    assert snapshot.items["k8s:eu:secret:shop/api-secrets"].attributes == {
        "k8s_kind": "Secret",
        "api_version": "v1",
        "namespace": "shop",
        "type": "Opaque",
    }


def test_kubectl_list_items_and_json_paths():
    body = {
        "apiVersion": "v1",
        "kind": "List",
        "metadata": {"resourceVersion": ""},
        "items": [
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "name": "p1",
                    "namespace": "default",
                    "labels": {"run": "p1"},
                    "uid": "u",
                    "ownerReferences": [{"kind": "ReplicaSet", "name": "rs"}],
                },
                "spec": {"containers": [{"name": "c", "image": "img"}]},
                "status": {"phase": "Running"},
            },
            {"apiVersion": "v1", "kind": "Pod", "metadata": {}},
        ],
    }
    snapshot = parse_content(json.dumps(body), "pods.json", OPTIONS)
    [error] = snapshot.errors
    assert error.origin.path == "$.items[1]"
    pod = snapshot.items["k8s:eu:pod:default/p1"]
    assert pod.origin.path == "$.items[0]" and "uid" not in json.dumps(pod.data())
    assert snapshot.items["k8s:eu:namespace:default"].attributes["implicit"] is True


def test_unknown_kind_is_an_error_unless_skipped():
    text = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n"
    [error] = parse_content(text, "w.yaml", OPTIONS).errors
    assert error.origin.line == 2 and "--skip-unknown" in error.message
    skipped = parse_content(text, "w.yaml", ImportOptions(scope="eu", skip_unknown=True))
    assert skipped.errors == [] and skipped.items == {}
    assert "skipped" in skipped.warnings[0].message


def test_service_label_is_configurable():
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels: {team/service: x}\n"
    options = ImportOptions(scope="eu", service_keys=("team/service",))
    assert (
        parse_content(text, "c.yaml", options).items["k8s:eu:configmap:default/c"].service_ref
        == "x"
    )
