"""Read CMDB input files of any supported kind into one snapshot.

Each document is routed to the importer that recognises it (Backstage entity, Terraform state or
``show -json`` output, Kubernetes object or List), so one import may mix formats. Nothing here
touches the database: the CLI and the API hand the snapshot to ``cmdb.service.import_snapshot``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from guardrail.cmdb.snapshot import Origin, Snapshot
from guardrail.integrations.inbound.backstage import parser as backstage
from guardrail.integrations.inbound.documents import (
    Document,
    ImportOptions,
    ParseContext,
    read_documents,
)
from guardrail.integrations.inbound.kubernetes import parser as kubernetes
from guardrail.integrations.inbound.terraform import parser as terraform

SUFFIXES = (".yaml", ".yml", ".json", ".tfstate")
Progress = Callable[[int], None]


def parse_content(text: str, filename: str, options: ImportOptions) -> Snapshot:
    """One file's content (from the API): Location targets are not followed."""
    ctx = ParseContext(Snapshot(), options)
    _parse_text(text, filename, ctx)
    kubernetes.finish(ctx)
    return ctx.snapshot


def parse_paths(
    paths: Iterable[Path], options: ImportOptions, progress: Progress | None = None
) -> Snapshot:
    """Every supported file under ``paths`` (files, or folders read recursively)."""
    ctx = ParseContext(Snapshot(), options)
    seen: set[Path] = set()
    for path in expand(paths, ctx.snapshot):
        _parse_file(path, ctx, seen, progress)
    kubernetes.finish(ctx)
    return ctx.snapshot


def expand(paths: Iterable[Path], snapshot: Snapshot) -> list[Path]:
    """Files to read: the files given, and supported files inside the folders given."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(
                    p
                    for p in path.rglob("*")
                    if p.is_file() and p.suffix in SUFFIXES and not p.name.startswith(".")
                )
            )
        elif path.is_file():
            found.append(path)
        else:
            snapshot.error(Origin(str(path)), "no such file or folder")
    return found


def total_size(paths: Iterable[Path]) -> int:
    """Bytes to read, for a progress bar."""
    return sum(p.stat().st_size for p in paths if p.is_file())


def _parse_file(path: Path, ctx: ParseContext, seen: set[Path], progress: Progress | None) -> None:
    resolved = path.resolve()
    if resolved in seen:
        return
    seen.add(resolved)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        ctx.snapshot.error(Origin(str(path)), f"cannot read: {exc}")
        return
    ctx.base_dir = path.parent
    _parse_text(text, str(path), ctx)
    if progress is not None:
        progress(len(text.encode("utf-8", "ignore")))
    for target, origin in ctx.pending.pop("locations", []):
        if not Path(target).is_file():
            ctx.snapshot.warn(origin, f"Location target {target} does not exist")
            continue
        _parse_file(Path(target), ctx, seen, None)


def _parse_text(text: str, filename: str, ctx: ParseContext) -> None:
    ctx.file = filename
    ctx.snapshot.files.append(filename)
    for doc in read_documents(text, filename, ctx.snapshot):
        _route(doc, ctx)


def _route(doc: Document, ctx: ParseContext) -> None:
    data: Any = doc.data
    if backstage.accepts(data):
        ctx.snapshot.types.add("backstage")
        backstage.parse(data, ctx)
    elif terraform.accepts(data):
        ctx.snapshot.types.add("terraform")
        terraform.parse(data, ctx)
    elif kubernetes.accepts(data):
        ctx.snapshot.types.add("kubernetes")
        kubernetes.parse(data, ctx, doc.path)
    else:
        where = Origin(doc.file, line=doc.line, path=None if doc.line else doc.path)
        ctx.snapshot.error(
            where,
            "not a Backstage entity, a Kubernetes object or List, nor a "
            "Terraform state: guardrail cannot tell what this document is",
        )
