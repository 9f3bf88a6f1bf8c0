"""Kubernetes objects into items and relations.

Objects are read one by one (:func:`parse`); label selectors and owner references are resolved
once every file of the import has been read (:func:`finish`), because a Service and the workloads
it selects often live in different files.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from guardrail.cmdb.snapshot import ItemFact, Origin, RelationFact
from guardrail.integrations.inbound.documents import ParseContext
from guardrail.integrations.inbound.kubernetes import source as k8s

_STATE = "kubernetes"


def accepts(data: Any) -> bool:
    """Whether a document is a Kubernetes object or list (and not a Backstage entity)."""
    return (
        isinstance(data, dict)
        and isinstance(data.get("apiVersion"), str)
        and "kind" in data
        and not data["apiVersion"].startswith("backstage.io/")
    )


def key(scope: str, kind: str, namespace: str | None, name: str) -> str:
    """The CMDB key of an object."""
    where = f"{namespace}/{name}" if namespace else name
    return f"k8s:{scope}:{kind.lower()}:{where}"


def parse(data: dict[str, Any], ctx: ParseContext, path: str | None = None) -> None:
    """Add one object, or every object of a List, to the snapshot."""
    kind = str(data.get("kind", ""))
    if kind.endswith(k8s.LIST_KIND_SUFFIX) and isinstance(data.get("items"), list):
        for i, item in enumerate(data["items"]):
            item_path = f"{path}.items[{i}]" if path else None
            if isinstance(item, dict):
                parse(item, ctx, item_path)
            else:
                ctx.snapshot.error(ctx.at(item, None, item_path), "a List item must be an object")
        return
    _object(data, ctx, path)


def _object(obj: dict[str, Any], ctx: ParseContext, path: str | None) -> None:
    kind, meta = str(obj.get("kind") or ""), obj.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    if not obj.get("apiVersion") or not kind or not isinstance(name, str) or not name:
        ctx.snapshot.error(
            ctx.at(obj, None, path), "a Kubernetes object needs apiVersion, kind and metadata.name"
        )
        return
    if kind not in k8s.KINDS:
        message = f"unknown Kubernetes kind {kind!r} ({name})"
        if ctx.options.skip_unknown:
            ctx.snapshot.warn(ctx.at(obj, "kind", path), f"{message}; skipped")
        else:
            ctx.snapshot.error(
                ctx.at(obj, "kind", path),
                f"{message}; guardrail reads "
                f"{', '.join(sorted(k8s.KINDS))}; pass --skip-unknown to skip others",
            )
        return
    assert isinstance(meta, dict)
    namespace = (
        None
        if kind in k8s.CLUSTER_SCOPED
        else str(meta.get("namespace") or ctx.options.default_namespace)
    )
    item_key = key(ctx.options.scope, kind, namespace, name)
    origin = ctx.at(obj, None, path)
    ctx.snapshot.add_item(_item(item_key, kind, namespace, obj, origin, ctx))
    state = _state(ctx)
    if namespace:
        state["namespaces"].setdefault(namespace, origin)
        ctx.snapshot.relate(
            RelationFact(
                item_key, "part_of", key(ctx.options.scope, "Namespace", None, namespace), origin
            )
        )
    if kind in k8s.WORKLOAD_KINDS:
        _workload(item_key, namespace or "", obj, origin, ctx)
    elif kind == "Service":
        _service(item_key, namespace or "", obj, origin, ctx)
    elif kind == "Ingress":
        _ingress(item_key, namespace or "", obj, ctx, path)
    for ref in meta.get("ownerReferences") or []:
        if isinstance(ref, dict) and ref.get("kind") and ref.get("name"):
            owner = key(ctx.options.scope, str(ref["kind"]), namespace, str(ref["name"]))
            state["owners"].append((item_key, owner, origin))


def _state(ctx: ParseContext) -> dict[str, Any]:
    state: dict[str, Any] = ctx.pending.setdefault(_STATE, {})
    state.setdefault("namespaces", {})
    state.setdefault("labels", defaultdict(set))
    state.setdefault("selectors", [])
    state.setdefault("owners", [])
    return state


def _item(
    item_key: str,
    kind: str,
    namespace: str | None,
    obj: dict[str, Any],
    origin: Origin,
    ctx: ParseContext,
) -> ItemFact:
    meta: dict[str, Any] = obj["metadata"]
    labels = _dict(meta.get("labels"))
    annotations = {
        k: v for k, v in _dict(meta.get("annotations")).items() if k not in k8s.DROPPED_ANNOTATIONS
    }
    attributes: dict[str, Any] = {"k8s_kind": kind, "api_version": obj.get("apiVersion")}
    if namespace:
        attributes["namespace"] = namespace
    if labels:
        attributes["labels"] = labels
    if kind in k8s.NAME_ONLY:
        if kind == "Secret" and obj.get("type"):
            attributes["type"] = obj["type"]
    else:
        if annotations:
            attributes["annotations"] = annotations
        attributes.update(_details(kind, obj))
    pod_labels = _pod_labels(kind, obj)
    return ItemFact(
        key=item_key,
        kind=k8s.KINDS[kind],
        name=str(meta["name"]),
        origin=origin,
        title=f"{kind} {namespace + '/' if namespace else ''}{meta['name']}"[:255],
        service_ref=_service_ref({**pod_labels, **labels, **annotations}, ctx),
        attributes=attributes,
    )


def _details(kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    spec = _dict(obj.get("spec"))
    details: dict[str, Any] = {}
    if kind in k8s.WORKLOAD_KINDS:
        if "replicas" in spec:
            details["replicas"] = spec["replicas"]
        images = sorted({str(c.get("image")) for c in _containers(kind, obj) if c.get("image")})
        if images:
            details["images"] = images
    elif kind == "Service":
        details["type"] = spec.get("type", "ClusterIP")
        details["ports"] = [
            {
                k: p.get(k)
                for k in ("name", "port", "targetPort", "protocol")
                if p.get(k) is not None
            }
            for p in spec.get("ports") or []
            if isinstance(p, dict)
        ]
        if spec.get("selector"):
            details["selector"] = spec["selector"]
    elif kind == "Ingress" and spec.get("ingressClassName"):
        details["ingress_class"] = spec["ingressClassName"]
    return details


def _pod_spec(kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    spec = _dict(obj.get("spec"))
    if kind == "Pod":
        return spec
    if kind == "CronJob":
        spec = _dict(_dict(spec.get("jobTemplate")).get("spec"))
    return _dict(_dict(spec.get("template")).get("spec"))


def _pod_labels(kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    if kind not in k8s.WORKLOAD_KINDS:
        return {}
    if kind == "Pod":
        return _dict(_dict(obj.get("metadata")).get("labels"))
    spec = _dict(obj.get("spec"))
    if kind == "CronJob":
        spec = _dict(_dict(spec.get("jobTemplate")).get("spec"))
    return _dict(_dict(_dict(spec.get("template")).get("metadata")).get("labels"))


def _containers(kind: str, obj: dict[str, Any]) -> list[dict[str, Any]]:
    pod = _pod_spec(kind, obj)
    found = [*(pod.get("initContainers") or []), *(pod.get("containers") or [])]
    return [c for c in found if isinstance(c, dict)]


def _service_ref(values: dict[str, Any], ctx: ParseContext) -> str | None:
    for name in ctx.options.service_keys:
        if values.get(name):
            return str(values[name])
    return None


def _workload(
    item_key: str, namespace: str, obj: dict[str, Any], origin: Origin, ctx: ParseContext
) -> None:
    state = _state(ctx)
    for label, value in _pod_labels(str(obj["kind"]), obj).items():
        state["labels"][(namespace, label, str(value))].add(item_key)
    for ref_kind, name in sorted(set(_config_refs(str(obj["kind"]), obj))):
        target = key(ctx.options.scope, ref_kind, namespace, name)
        ctx.snapshot.relate(
            RelationFact(item_key, "uses", target, origin, placeholder_kind=k8s.KINDS[ref_kind])
        )


def _config_refs(kind: str, obj: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """ConfigMaps and Secrets a pod spec names (volumes, env, envFrom, pull secrets)."""
    pod = _pod_spec(kind, obj)
    for volume in pod.get("volumes") or []:
        yield from _volume_refs(_dict(volume))
    for secret in pod.get("imagePullSecrets") or []:
        if _dict(secret).get("name"):
            yield "Secret", str(secret["name"])
    for container in _containers(kind, obj):
        for source in container.get("envFrom") or []:
            yield from _named(_dict(source), "configMapRef", "secretRef")
        for env in container.get("env") or []:
            yield from _named(_dict(_dict(env).get("valueFrom")), "configMapKeyRef", "secretKeyRef")


def _volume_refs(volume: dict[str, Any]) -> Iterator[tuple[str, str]]:
    if _dict(volume.get("configMap")).get("name"):
        yield "ConfigMap", str(volume["configMap"]["name"])
    if _dict(volume.get("secret")).get("secretName"):
        yield "Secret", str(volume["secret"]["secretName"])
    for source in _dict(volume.get("projected")).get("sources") or []:
        yield from _named(_dict(source), "configMap", "secret")


def _named(
    holder: dict[str, Any], config_field: str, secret_field: str
) -> Iterator[tuple[str, str]]:
    if _dict(holder.get(config_field)).get("name"):
        yield "ConfigMap", str(holder[config_field]["name"])
    if _dict(holder.get(secret_field)).get("name"):
        yield "Secret", str(holder[secret_field]["name"])


def _service(
    item_key: str, namespace: str, obj: dict[str, Any], origin: Origin, ctx: ParseContext
) -> None:
    selector = _dict(_dict(obj.get("spec")).get("selector"))
    if selector:
        _state(ctx)["selectors"].append((item_key, namespace, selector, origin))


def _ingress(
    item_key: str, namespace: str, obj: dict[str, Any], ctx: ParseContext, path: str | None
) -> None:
    routes: dict[str, list[dict[str, Any]]] = defaultdict(list)
    origins: dict[str, Origin] = {}
    spec = _dict(obj.get("spec"))
    default = _dict(spec.get("defaultBackend") or spec.get("backend"))
    if default:
        _route(default, {"default": True}, spec, routes, origins, ctx, path)
    for rule in spec.get("rules") or []:
        http = _dict(_dict(rule).get("http"))
        for entry in http.get("paths") or []:
            entry = _dict(entry)
            where = {"host": rule.get("host"), "path": entry.get("path")}
            _route(_dict(entry.get("backend")), where, entry, routes, origins, ctx, path)
    for service_name, found in routes.items():
        target = key(ctx.options.scope, "Service", namespace, service_name)
        ctx.snapshot.relate(
            RelationFact(
                item_key,
                "routes_to",
                target,
                origins[service_name],
                attributes={"routes": found},
                placeholder_kind="k8s_service",
            )
        )


def _route(
    backend: dict[str, Any],
    where: dict[str, Any],
    node: Any,
    routes: dict[str, list[dict[str, Any]]],
    origins: dict[str, Origin],
    ctx: ParseContext,
    path: str | None,
) -> None:
    service = _dict(backend.get("service"))
    name = service.get("name") or backend.get("serviceName")  # v1, then v1beta1
    if not name:
        return
    port = (
        _dict(service.get("port")).get("number")
        or _dict(service.get("port")).get("name")
        or (backend.get("servicePort"))
    )
    routes[str(name)].append({k: v for k, v in {**where, "port": port}.items() if v is not None})
    origins.setdefault(str(name), ctx.at(node, "backend", path))


def finish(ctx: ParseContext) -> None:
    """Resolve selectors and owner references across every file; add implicit namespaces."""
    state = ctx.pending.get(_STATE)
    if not state:
        return
    labels: dict[tuple[str, str, str], set[str]] = state["labels"]
    for service_key, namespace, selector, origin in state["selectors"]:
        sets = [labels.get((namespace, k, str(v)), set()) for k, v in selector.items()]
        for workload in sorted(set.intersection(*sets)) if sets else []:
            ctx.snapshot.relate(
                RelationFact(
                    service_key, "selects", workload, origin, attributes={"selector": selector}
                )
            )
    for child, owner, origin in state["owners"]:
        if owner in ctx.snapshot.items:
            ctx.snapshot.relate(
                RelationFact(child, "part_of", owner, origin, attributes={"via": "ownerReferences"})
            )
    for namespace, origin in state["namespaces"].items():
        ns_key = key(ctx.options.scope, "Namespace", None, namespace)
        if ns_key not in ctx.snapshot.items:
            ctx.snapshot.add_item(
                ItemFact(
                    key=ns_key,
                    kind="namespace",
                    name=namespace,
                    origin=origin,
                    title=f"Namespace {namespace}",
                    attributes={"k8s_kind": "Namespace", "implicit": True},
                )
            )


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
