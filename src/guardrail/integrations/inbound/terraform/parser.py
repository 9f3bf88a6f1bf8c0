"""Terraform state (format 4) and ``terraform show -json`` output into items and relations."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from guardrail.cmdb.snapshot import ItemFact, Origin, RelationFact
from guardrail.integrations.inbound.backstage.parser import entity_key, parse_ref
from guardrail.integrations.inbound.documents import ParseContext
from guardrail.integrations.inbound.terraform import source as tf

_INDEX = re.compile(r"\[[^\]]*\]")
_UPGRADE = (
    "this is a Terraform state in format {version} (Terraform 0.11 or older), which guardrail "
    "does not read; upgrade it to format 4 by running `terraform init` and "
    "`terraform apply -refresh-only` (or `terraform refresh`) with Terraform 0.12 or newer, then "
    "import the new state"
)


def accepts(data: Any) -> bool:
    """Whether a document is a Terraform state or ``terraform show -json`` output."""
    if not isinstance(data, dict):
        return False
    if "format_version" in data:
        return any(k in data for k in ("values", "planned_values", "prior_state"))
    return "version" in data and any(
        k in data for k in ("terraform_version", "resources", "modules")
    )


@dataclass
class _Instance:
    """One resource instance, ready to become an item, with what it depends on."""

    address: str
    config_address: str
    mode: str
    type: str
    name: str
    provider: str
    module: str
    index: Any
    values: dict[str, Any]
    sensitive: set[str]
    depends_on: list[str]
    origin: Origin
    extra: dict[str, Any] = field(default_factory=dict)


def parse(data: dict[str, Any], ctx: ParseContext) -> None:
    """Add one state (or show output) to the snapshot."""
    instances = (
        _show_instances(data, ctx) if "format_version" in data else _state_instances(data, ctx)
    )
    keys = {inst.address: _key(inst, ctx) for inst in instances}
    by_config: dict[str, list[str]] = defaultdict(list)
    for inst in instances:
        by_config[inst.config_address].append(keys[inst.address])
        _add_item(inst, keys[inst.address], ctx)
    for inst in instances:
        _dependencies(inst, keys[inst.address], by_config, ctx)


# -- format 4 state ---------------------------------------------------------------------------


def _state_instances(data: dict[str, Any], ctx: ParseContext) -> list[_Instance]:
    version = data.get("version")
    if "modules" in data or (isinstance(version, int) and version < tf.STATE_FORMAT):
        ctx.snapshot.error(ctx.at(data, "version", "$"), _UPGRADE.format(version=version or 3))
        return []
    if version != tf.STATE_FORMAT:
        ctx.snapshot.error(
            ctx.at(data, "version", "$"),
            f"unknown Terraform state format {version!r}; guardrail reads format 4",
        )
        return []
    resources = data.get("resources") or []
    if not isinstance(resources, list):
        ctx.snapshot.error(ctx.at(data, "resources", "$"), "resources must be a list")
        return []
    found: list[_Instance] = []
    for i, resource in enumerate(resources):
        found.extend(_resource_instances(resource, f"$.resources[{i}]", ctx))
    return found


def _resource_instances(resource: Any, path: str, ctx: ParseContext) -> list[_Instance]:
    if not isinstance(resource, dict) or not resource.get("type") or not resource.get("name"):
        ctx.snapshot.error(ctx.at(resource, None, path), "a resource needs a type and a name")
        return []
    module = str(resource.get("module") or "")
    mode = str(resource.get("mode") or "managed")
    base = _join(
        module, ("data." if mode == "data" else "") + f"{resource['type']}.{resource['name']}"
    )
    found = []
    for j, inst in enumerate(resource.get("instances") or []):
        if not isinstance(inst, dict):
            ctx.snapshot.error(ctx.at(inst, None, f"{path}.instances[{j}]"), "not an instance")
            continue
        index = inst.get("index_key")
        found.append(
            _Instance(
                address=base + _index(index),
                config_address=_INDEX.sub("", base),
                mode=mode,
                type=str(resource["type"]),
                name=str(resource["name"]),
                provider=provider_name(str(resource.get("provider") or "")),
                module=module,
                index=index,
                values=inst.get("attributes") or {},
                sensitive=_sensitive_paths(inst),
                depends_on=list(inst.get("dependencies") or inst.get("depends_on") or []),
                origin=ctx.at(inst, None, f"{path}.instances[{j}]"),
            )
        )
    return found


def _sensitive_paths(inst: dict[str, Any]) -> set[str]:
    """Top-level attribute names the state marks sensitive (any path below them counts)."""
    names: set[str] = set()
    for entry in inst.get("sensitive_attributes") or []:
        steps = entry if isinstance(entry, list) else [entry]
        first = steps[0] if steps else None
        if isinstance(first, dict) and first.get("value") is not None:
            names.add(str(first["value"]))
        elif isinstance(first, str):
            names.add(first.split(".")[0])
    return names


# -- terraform show -json ----------------------------------------------------------------------


def _show_instances(data: dict[str, Any], ctx: ParseContext) -> list[_Instance]:
    version = str(data.get("format_version", ""))
    if version.split(".")[0] != tf.SHOW_FORMAT_MAJOR:
        ctx.snapshot.error(
            ctx.at(data, "format_version", "$"),
            f"unknown `terraform show -json` format_version {version!r}; guardrail reads 1.x",
        )
        return []
    values, path = data.get("values"), "$.values"
    if values is None:
        values, path = (data.get("prior_state") or {}).get("values"), "$.prior_state.values"
        if not values or not (values.get("root_module") or {}):
            ctx.snapshot.warn(
                Origin(ctx.file, path="$"),
                "a plan, not a state: it holds no resources that exist; skipped "
                "(run `terraform show -json` without a plan file)",
            )
            return []
        ctx.snapshot.warn(Origin(ctx.file, path="$"), "a plan: reading the state it was made from")
    root = (values or {}).get("root_module") or {}
    return list(_walk_module(root, f"{path}.root_module", ctx))


def _walk_module(module: dict[str, Any], path: str, ctx: ParseContext) -> list[_Instance]:
    found = []
    module_address = str(module.get("address") or "")
    for i, res in enumerate(module.get("resources") or []):
        where = f"{path}.resources[{i}]"
        if not isinstance(res, dict) or not res.get("address") or not res.get("type"):
            ctx.snapshot.error(ctx.at(res, None, where), "a resource needs an address and a type")
            continue
        found.append(
            _Instance(
                address=str(res["address"]),
                config_address=_INDEX.sub("", str(res["address"])),
                mode=str(res.get("mode") or "managed"),
                type=str(res["type"]),
                name=str(res.get("name") or ""),
                provider=provider_name(str(res.get("provider_name") or "")),
                module=module_address,
                index=res.get("index"),
                values=res.get("values") or {},
                sensitive=_sensitive_values(res.get("sensitive_values")),
                depends_on=list(res.get("depends_on") or []),
                origin=ctx.at(res, None, where),
            )
        )
    for j, child in enumerate(module.get("child_modules") or []):
        if isinstance(child, dict):
            found.extend(_walk_module(child, f"{path}.child_modules[{j}]", ctx))
    return found


def _sensitive_values(value: Any) -> set[str]:
    if not isinstance(value, dict):
        return set()
    return {
        k for k, v in value.items() if v is True or (isinstance(v, dict | list) and _any_true(v))
    }


def _any_true(value: Any) -> bool:
    if value is True:
        return True
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    return any(_any_true(v) for v in items)


# -- items and relations -----------------------------------------------------------------------


def provider_name(raw: str) -> str:
    """``provider["host/ns/type"].alias``, ``provider.type`` or ``host/ns/type`` -> ``ns/type``."""
    raw = re.sub(r"^(module\.[^.]+(\[[^\]]*\])?\.)*", "", raw)
    alias = ""
    quoted = re.match(r'^provider\["([^"]+)"\](?:\.(.+))?$', raw)
    if quoted:
        raw, alias = quoted.group(1), quoted.group(2) or ""
    elif raw.startswith("provider."):
        parts = raw.split(".")
        raw, alias = f"hashicorp/{parts[1]}", ".".join(parts[2:])
    parts = raw.split("/")
    name = "/".join(parts[-2:]) if len(parts) >= 2 else f"hashicorp/{raw}" if raw else ""
    return f"{name}.{alias}" if alias else name


def _key(inst: _Instance, ctx: ParseContext) -> str:
    tags = _tags(inst.values)
    entity = tags.get(tf.TAG_ENTITY)
    if isinstance(entity, str) and entity:
        try:
            return entity_key(*parse_ref(entity, "resource", "default"))
        except ValueError as exc:
            ctx.snapshot.error(inst.origin, f"tag {tf.TAG_ENTITY}: {exc}")
    return f"tf:{ctx.options.scope}:{inst.address}"


def _tags(values: dict[str, Any]) -> dict[str, Any]:
    tags = values.get("tags") or values.get("labels") or {}
    return tags if isinstance(tags, dict) else {}


def _add_item(inst: _Instance, key: str, ctx: ParseContext) -> None:
    kept = _kept(inst)
    tags = _tags(kept)
    name = kept.get("name") or kept.get("identifier") or tags.get("Name") or inst.address
    attributes = {
        "address": inst.address,
        "resource_type": inst.type,
        "mode": inst.mode,
        "provider": inst.provider,
        **({"module": inst.module} if inst.module else {}),
        **kept,
    }
    ctx.snapshot.add_item(
        ItemFact(
            key=key,
            kind=_kind(inst),
            name=str(name)[:255],
            origin=inst.origin,
            title=inst.address[:255],
            service_ref=_service_ref(tags, ctx),
            attributes=attributes,
        )
    )
    _module_items(inst, key, ctx)


def _kept(inst: _Instance) -> dict[str, Any]:
    """The attributes guardrail may store: allow-listed, not marked sensitive, not secret-named."""
    kept = {}
    for name, value in inst.values.items():
        if name not in tf.KEPT_ATTRIBUTES or name in inst.sensitive or value in (None, "", {}, []):
            continue
        if tf.SECRET_NAME.search(name):
            continue
        if isinstance(value, dict):
            value = {k: v for k, v in value.items() if not tf.SECRET_NAME.search(str(k))}
        if len(json.dumps(value, default=str)) <= 2000:  # keep rows small; ids and names are short
            kept[name] = value
    return kept


def _kind(inst: _Instance) -> str:
    if inst.mode == "data":
        return "data_source"
    for pattern, kind in tf.KIND_PATTERNS:
        if pattern.search(inst.type):
            return kind
    return "cloud_resource"


def _service_ref(tags: dict[str, Any], ctx: ParseContext) -> str | None:
    for key in (*ctx.options.service_keys, *tf.TAG_SERVICE_KEYS):
        if tags.get(key):
            return str(tags[key])
    return None


def _module_items(inst: _Instance, key: str, ctx: ParseContext) -> None:
    """Module instances as items; each resource and module is part_of its parent module."""
    child_key, parts = key, _module_parts(inst.module)
    for depth in range(len(parts), 0, -1):
        address = ".".join(parts[:depth])
        module_key = f"tf:{ctx.options.scope}:{address}"
        if module_key not in ctx.snapshot.items:
            ctx.snapshot.add_item(
                ItemFact(
                    key=module_key,
                    kind="terraform_module",
                    name=address,
                    origin=inst.origin,
                    title=address,
                    attributes={"address": address},
                )
            )
        ctx.snapshot.relate(RelationFact(child_key, "part_of", module_key, inst.origin))
        child_key = module_key


def _module_parts(module: str) -> list[str]:
    return [f"module.{m}" for m in re.findall(r"module\.([^.\[]+(?:\[[^\]]*\])?)", module)]


def _dependencies(
    inst: _Instance, key: str, by_config: dict[str, list[str]], ctx: ParseContext
) -> None:
    for dep in inst.depends_on:
        targets = by_config.get(_INDEX.sub("", str(dep)))
        if not targets:
            _warn_missing(inst, str(dep), ctx)
            continue
        for target in targets:
            if target != key:
                ctx.snapshot.relate(
                    RelationFact(
                        key, "depends_on", target, inst.origin, attributes={"via": "terraform"}
                    )
                )


def _warn_missing(inst: _Instance, dep: str, ctx: ParseContext) -> None:
    """One warning per missing dependency and file, at its first dependent."""
    seen: set[str] = ctx.pending.setdefault(f"tf-missing:{ctx.file}", set())
    if dep in seen:
        return
    seen.add(dep)
    ctx.snapshot.warn(
        inst.origin,
        f"dangling reference: {inst.address} depends on {dep}, which is "
        "not in this state (count or for_each may be 0); relation skipped",
    )


def _join(module: str, rest: str) -> str:
    return f"{module}.{rest}" if module else rest


def _index(index: Any) -> str:
    if index is None:
        return ""
    return f"[{index}]" if isinstance(index, int) else f'["{index}"]'
