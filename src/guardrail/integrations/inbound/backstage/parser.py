"""Backstage entities into items, relations and catalogue services."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from guardrail.cmdb.snapshot import ItemFact, Origin, RelationFact, ServiceFact
from guardrail.integrations.inbound.backstage import source as bs
from guardrail.integrations.inbound.documents import ParseContext

_NAME = re.compile(r"^[a-zA-Z0-9]+([-_.][a-zA-Z0-9]+)*$")
_SKIPPED_ANNOTATIONS = ("kubectl.kubernetes.io/last-applied-configuration",)


def accepts(data: Any) -> bool:
    """Whether a document is a Backstage entity."""
    return isinstance(data, dict) and str(data.get("apiVersion", "")).startswith("backstage.io/")


def entity_key(kind: str, namespace: str, name: str) -> str:
    """The CMDB key of an entity: its full ref, lower case (Backstage refs ignore case)."""
    return f"{kind}:{namespace}/{name}".lower()


def parse_ref(ref: str, default_kind: str | None, default_namespace: str) -> tuple[str, str, str]:
    """``[kind:][namespace/]name`` with Backstage's defaults; ValueError when no kind is known."""
    kind, _, rest = ref.partition(":") if ":" in ref else ("", "", ref)
    namespace, _, name = rest.rpartition("/")
    kind = kind or (default_kind or "")
    if not kind:
        raise ValueError(f"{ref!r} needs a kind here: write e.g. resource:{ref} or component:{ref}")
    if not name or not _NAME.match(name):
        raise ValueError(f"{ref!r} is not an entity ref [kind:][namespace/]name")
    return kind.lower(), (namespace or default_namespace).lower(), name.lower()


def service_name(namespace: str, name: str) -> str:
    """The catalogue service name for a component: a lower-case slug, namespaced if not default."""
    slug = re.sub(r"[^a-z0-9-]+", "-", name.lower())
    if namespace != "default":
        slug = f"{namespace.lower()}-{slug}"
    return slug[:63].strip("-")


def parse(data: dict[str, Any], ctx: ParseContext) -> None:
    """Add one entity document to the snapshot (or record why it cannot be read)."""
    entity = _validated(data, ctx)
    if entity is None:
        return
    kind, namespace, name = entity
    if kind == "location":
        _follow_location(data, ctx)
        return
    key = entity_key(kind, namespace, name)
    spec = _dict(data.get("spec"))
    ctx.snapshot.add_item(_item(key, kind, namespace, data, spec, ctx))
    _relations(key, namespace, spec, ctx)
    if kind == "component":
        _service(namespace, name, data, spec, ctx)


def _validated(data: dict[str, Any], ctx: ParseContext) -> tuple[str, str, str] | None:
    if data.get("apiVersion") not in bs.API_VERSIONS:
        ctx.snapshot.error(
            ctx.at(data, "apiVersion"),
            f"unknown apiVersion {data.get('apiVersion')!r}; "
            f"Backstage entities use {' or '.join(bs.API_VERSIONS)}",
        )
        return None
    kind = str(data.get("kind", ""))
    if kind.lower() not in bs.KINDS:
        known = ", ".join(k.capitalize() for k in bs.KINDS)
        ctx.snapshot.error(ctx.at(data, "kind"), f"unknown Backstage kind {kind!r}; known: {known}")
        return None
    meta = data.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    if not isinstance(name, str) or not _NAME.match(name) or len(name) > 63:
        ctx.snapshot.error(
            ctx.at(meta if isinstance(meta, dict) else data, "name"),
            f"metadata.name {name!r} must be 1-63 letters or digits separated by - _ or .",
        )
        return None
    namespace = str(meta.get("namespace") or "default")  # type: ignore[union-attr]
    return kind.lower(), namespace.lower(), name.lower()


def _item(
    key: str,
    kind: str,
    namespace: str,
    data: dict[str, Any],
    spec: dict[str, Any],
    ctx: ParseContext,
) -> ItemFact:
    meta: dict[str, Any] = data["metadata"]
    annotations = _dict(meta.get("annotations"))
    profile = _dict(spec.get("profile"))
    item_kind = bs.KINDS[kind]
    if kind == "resource":
        item_kind = bs.RESOURCE_KINDS.get(str(spec.get("type", "")).lower(), "resource")
    owner = _owner_key(spec.get("owner"), namespace)
    attributes = {
        "namespace": namespace,
        "type": spec.get("type"),
        "tags": meta.get("tags"),
        "labels": _dict(meta.get("labels")) or None,
        "annotations": {k: v for k, v in annotations.items() if k not in _SKIPPED_ANNOTATIONS}
        or None,
        "links": [
            {"url": link.get("url"), "title": link.get("title")}
            for link in meta.get("links") or []
            if isinstance(link, dict)
        ]
        or None,
        "email": profile.get("email"),
    }
    return ItemFact(
        key=key,
        kind=item_kind,
        name=str(meta["name"]),
        origin=ctx.at(data),
        title=str(meta.get("title") or profile.get("displayName") or "").strip()[:255],
        description=str(meta.get("description") or "")[:2000],
        owner=owner,
        lifecycle=str(spec["lifecycle"]) if spec.get("lifecycle") else None,
        service_ref=_service_ref(kind, namespace, meta, spec, annotations),
        attributes={k: v for k, v in attributes.items() if v not in (None, "", [], {})},
    )


def _service_ref(
    kind: str,
    namespace: str,
    meta: dict[str, Any],
    spec: dict[str, Any],
    annotations: dict[str, Any],
) -> str | None:
    if annotations.get(bs.ANNOTATION_SERVICE):
        return str(annotations[bs.ANNOTATION_SERVICE])
    if kind == "component" and _is_service(spec, annotations):
        return service_name(namespace, str(meta["name"]))
    return None


def _owner_key(owner: Any, namespace: str) -> str | None:
    if not isinstance(owner, str) or not owner:
        return None
    try:
        return entity_key(*parse_ref(owner, "group", namespace))
    except ValueError:
        return None  # reported by _relations with the line


def _relations(key: str, namespace: str, spec: dict[str, Any], ctx: ParseContext) -> None:
    for field in bs.RELATION_FIELDS:
        value = spec.get(field.field)
        refs = value if isinstance(value, list) else [value] if value else []
        for ref in refs:
            origin = ctx.at(spec, field.field)
            if not isinstance(ref, str):
                ctx.snapshot.error(origin, f"spec.{field.field} must hold entity refs, not {ref!r}")
                continue
            try:
                kind, ns, name = parse_ref(ref, field.default_kind, namespace)
            except ValueError as exc:
                ctx.snapshot.error(origin, f"spec.{field.field}: {exc}")
                continue
            target = entity_key(kind, ns, name)
            pair = (target, key) if field.reverse else (key, target)
            ctx.snapshot.relate(
                RelationFact(
                    pair[0],
                    field.relation,
                    pair[1],
                    origin,
                    attributes={"field": field.field},
                    placeholder_kind=bs.KINDS.get(kind, kind),
                )
            )


def _is_service(spec: dict[str, Any], annotations: dict[str, Any]) -> bool:
    return str(spec.get("type", "")).lower() in bs.SERVICE_COMPONENT_TYPES or (
        bs.ANNOTATION_TIER in annotations
    )


def _service(
    namespace: str, name: str, data: dict[str, Any], spec: dict[str, Any], ctx: ParseContext
) -> None:
    meta: dict[str, Any] = data["metadata"]
    annotations = _dict(meta.get("annotations"))
    if not _is_service(spec, annotations):
        return
    where = ctx.at(annotations or meta, None)
    values: dict[str, Any] = {"description": str(meta.get("description") or "")[:2000]}
    if meta.get("title"):
        values["display_name"] = str(meta["title"])[:200]
    if str(spec.get("lifecycle", "")) in {"experimental", "production", "deprecated"}:
        values["lifecycle"] = str(spec["lifecycle"])
    tier = annotations.get(bs.ANNOTATION_TIER)
    if tier is not None:
        if str(tier).strip() not in {"1", "2", "3", "4"}:
            ctx.snapshot.error(
                ctx.at(annotations, bs.ANNOTATION_TIER),
                f"{bs.ANNOTATION_TIER} must be 1, 2, 3 or 4, not {tier!r}",
            )
            return
        values["tier"] = int(str(tier).strip())
    for annotation, field in (
        (bs.ANNOTATION_RUNBOOK, "runbook_url"),
        (bs.ANNOTATION_SOURCE_LOCATION, "repository_url"),
    ):
        url = _url(annotations.get(annotation))
        if annotations.get(annotation) and url is None and field == "runbook_url":
            ctx.snapshot.error(
                ctx.at(annotations, annotation), f"{annotation} must be an http(s) URL"
            )
            return
        if url:
            values[field] = url
    owner = spec.get("owner")
    team = None
    if isinstance(owner, str):
        try:
            kind, _, team_name = parse_ref(owner, "group", namespace)
            team = team_name if kind == "group" else None
        except ValueError:
            team = None
    ctx.snapshot.services.append(
        ServiceFact(service_name(namespace, name), where, values=values, owner_team=team)
    )


def _url(value: Any) -> str | None:
    text = str(value or "").strip()
    if text.startswith("url:"):
        text = text[4:]
    return text if text.startswith(("http://", "https://")) else None


def _follow_location(data: dict[str, Any], ctx: ParseContext) -> None:
    spec = _dict(data.get("spec"))
    targets = list(spec.get("targets") or []) + ([spec["target"]] if spec.get("target") else [])
    for target in targets:
        origin = ctx.at(spec, "targets" if "targets" in spec else "target")
        _queue_target(str(target), origin, spec, ctx)


def _queue_target(target: str, origin: Origin, spec: dict[str, Any], ctx: ParseContext) -> None:
    remote = target.startswith(("http://", "https://")) or spec.get("type") not in (None, "file")
    if remote or not ctx.options.follow_locations or ctx.base_dir is None:
        ctx.snapshot.warn(
            origin,
            f"Location target {target!r} not followed: guardrail reads local "
            "files only; import that file directly",
        )
        return
    base = ctx.base_dir
    matches = sorted(base.glob(target)) if any(c in target for c in "*?[") else [base / target]
    queue: list[tuple[Path, Origin]] = ctx.pending.setdefault("locations", [])
    for path in matches:
        queue.append((path, origin))
    if not matches:
        ctx.snapshot.warn(origin, f"Location target {target!r} matches no file")


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
