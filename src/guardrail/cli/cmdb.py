"""`guardrail cmdb`: import Backstage, Terraform and Kubernetes files; search, show, impact.

These commands work on the store directly (GUARDRAIL_DATABASE_URL), like the admin commands.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn

from guardrail.cli.common import fail, open_db, print_json, print_table
from guardrail.cmdb import service as cmdb
from guardrail.cmdb.enums import ImpactDirection
from guardrail.cmdb.schemas import ImpactOut, ImportSummary, ItemDetail
from guardrail.cmdb.snapshot import Snapshot
from guardrail.errors import GuardrailError
from guardrail.integrations.inbound import cmdb_files
from guardrail.integrations.inbound.documents import DEFAULT_SERVICE_KEYS, ImportOptions
from guardrail.kit.context import Actor

app = typer.Typer(
    help="The CMDB: import, search, show, impact (works on the store).", no_args_is_help=True
)

PROGRESS_BYTES = 1_000_000  # show a progress bar from this much input on


def register(root: typer.Typer) -> None:
    """Add `guardrail cmdb` to the root command."""
    root.add_typer(app, name="cmdb")


def _actor() -> Actor:
    try:
        user = getpass.getuser()
    except Exception:  # no user name in some containers
        user = "unknown"
    return Actor.system(f"cli:{user}")


@app.command("import")
def import_(
    paths: list[Path] = typer.Argument(..., help="Files or folders (read recursively)."),
    source: str | None = typer.Option(
        None, "--source", "-s", help="Source name; defaults to the name of the one path given."
    ),
    scope: str | None = typer.Option(
        None,
        help="Qualifies Kubernetes and Terraform keys (default: the source name); give two "
        "sources of one cluster or state the same scope to merge their items.",
    ),
    namespace: str = typer.Option("default", help="Namespace of manifests that name none."),
    service_key: list[str] = typer.Option(
        [],
        "--service-key",
        help="Label, annotation or tag naming an item's service (repeatable; "
        f"default: {', '.join(DEFAULT_SERVICE_KEYS)}).",
    ),
    priority: int | None = typer.Option(None, help="Merge priority of this source (higher wins)."),
    strict: bool = typer.Option(False, help="Refuse the import on dangling references."),
    skip_unknown: bool = typer.Option(False, help="Skip Kubernetes kinds guardrail does not read."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Import files as the newest snapshot of a source: created / updated / retired / unchanged."""
    name = source or _default_source(paths)
    options = ImportOptions(
        scope=scope or name,
        default_namespace=namespace,
        strict=strict,
        skip_unknown=skip_unknown,
        service_keys=tuple(service_key) or DEFAULT_SERVICE_KEYS,
    )
    snapshot = _read(paths, options)
    try:
        with (
            _spinner(snapshot, f"applying {len(snapshot.items)} items to {name}"),
            open_db().unit_of_work() as session,
        ):
            summary = cmdb.import_snapshot(
                session, _actor(), name, snapshot, strict=strict, priority=priority
            )
    except GuardrailError as exc:
        fail(exc.detail)
    if as_json:
        print_json(summary.model_dump())
        return
    _print_summary(summary)


def _default_source(paths: list[Path]) -> str:
    if len(paths) != 1:
        fail("several paths need a source name: pass --source NAME")
    path = paths[0].resolve()
    return path.name if path.is_dir() else path.stem


def _read(paths: list[Path], options: ImportOptions) -> Snapshot:
    files = cmdb_files.expand(paths, Snapshot())
    total = cmdb_files.total_size(files)
    if total < PROGRESS_BYTES:
        return cmdb_files.parse_paths(paths, options)
    columns = (TextColumn("reading"), BarColumn(), DownloadColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("read", total=total)
        return cmdb_files.parse_paths(
            paths, options, progress=lambda size: progress.advance(task, size)
        )


@contextmanager
def _spinner(snapshot: Snapshot, text: str) -> Iterator[None]:
    if len(snapshot.items) < 5000:
        yield
        return
    with Console(stderr=True).status(text):
        yield


def _print_summary(summary: ImportSummary) -> None:
    for warning in summary.warnings:
        where = warning["file"] + (
            f":{warning['line']}"
            if warning.get("line")
            else f" at {warning['path']}"
            if warning.get("path")
            else ""
        )
        typer.echo(f"warning: {where}: {warning['message']}", err=True)
    typer.echo(
        f"source {summary.source} ({len(summary.files)} files): {summary.created} created, "
        f"{summary.updated} updated, {summary.retired} retired, {summary.restored} restored, "
        f"{summary.unchanged} unchanged"
    )
    typer.echo(
        f"relations: {summary.relations_created} created, {summary.relations_updated} updated, "
        f"{summary.relations_retired} retired, {summary.relations_unchanged} unchanged"
    )
    if summary.services_created or summary.services_updated:
        typer.echo(
            f"services: {summary.services_created} created, {summary.services_updated} updated"
        )
    if not summary.changed:
        typer.echo("no changes")


@app.command("search")
def search(
    text: str = typer.Argument("", help="Substring of the name, key or title."),
    kind: str | None = typer.Option(None, help="Only items of this kind."),
    status: str | None = typer.Option(None, help="active or retired."),
    service: str | None = typer.Option(None, help="Only items of this service."),
    limit: int = typer.Option(50, min=1, max=500),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Find configuration items."""
    try:
        with open_db().reader() as session:
            items, total = cmdb.search_items(
                session, q=text or None, kind=kind, status=status, service=service, limit=limit
            )
            rows = [
                {"id": i.id, "kind": i.kind, "name": i.name, "status": i.status, "key": i.key}
                for i in items
            ]
    except GuardrailError as exc:
        fail(exc.detail)
    if as_json:
        print_json({"items": rows, "total": total})
        return
    print_table(rows, ["id", "kind", "name", "status", "key"])
    if total > len(rows):
        typer.echo(f"({len(rows)} of {total}; narrow the search or raise --limit)")


@app.command("show")
def show(
    item: str = typer.Argument(..., help="Item id, key or unique name."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """One item: merged fields, each source's claim and where it came from, relations."""
    try:
        with open_db().reader() as session:
            detail = cmdb.item_detail(session, cmdb.get_item(session, item))
    except GuardrailError as exc:
        fail(exc.detail)
    if as_json:
        print_json(detail.model_dump(mode="json"))
        return
    _print_detail(detail)


def _print_detail(d: ItemDetail) -> None:
    typer.echo(f"{d.name}  ({d.kind}, {d.status})  {d.id}")
    for label, value in (
        ("key", d.key),
        ("title", d.title),
        ("owner", d.owner),
        ("lifecycle", d.lifecycle),
        ("service", d.service_ref),
        ("first seen", d.first_seen_at),
        ("last seen", d.last_seen_at),
    ):
        if value:
            typer.echo(f"  {label:<10} {value}")
    typer.echo("  sources:")
    for claim in d.claims:
        typer.echo(f"    {claim.source} [{claim.status}] {claim.origin}")
    for conflict in d.conflicts:
        others = ", ".join(f"{o['source']}={o['value']!r}" for o in conflict["others"])
        chosen = conflict["chosen"]
        typer.echo(
            f"  conflict: {conflict['field']}: {chosen['value']!r} from {chosen['source']} "
            f"(also {others})"
        )
    if d.attributes:
        typer.echo("  attributes:")
        for key, value in d.attributes.items():
            typer.echo(f"    {key}: {value}")
    typer.echo("  relations:")
    for rel in d.relations:
        arrow = f"--{rel.type}-->" if rel.direction == "outgoing" else f"<--{rel.type}--"
        typer.echo(f"    {arrow} {rel.item.name} ({rel.item.kind}) [{rel.source} {rel.origin}]")


@app.command("impact")
def impact(
    item: str = typer.Argument(..., help="Item id, key or unique name."),
    depth: int = typer.Option(5, min=1, max=20, help="How many hops to follow."),
    direction: ImpactDirection = typer.Option(ImpactDirection.both, help="Which way to walk."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Every item and service a change to ITEM reaches, with the path; and what ITEM needs."""
    try:
        with open_db().reader() as session:
            result = cmdb.impact(session, item, depth=depth, direction=direction)
    except GuardrailError as exc:
        fail(exc.detail)
    if as_json:
        print_json(result.model_dump(mode="json"))
        return
    _print_impact(result)


def _print_impact(result: ImpactOut) -> None:
    typer.echo(
        f"impact of {result.item.name} ({result.item.kind}, {result.item.key}), "
        f"depth {result.depth}"
    )
    sections: list[tuple[str, list[Any]]] = []
    if result.direction != ImpactDirection.dependencies:
        sections.append(("services affected", result.services))
        sections.append(("affected (depend on it)", result.dependents))
    if result.direction != ImpactDirection.dependents:
        sections.append(("it depends on", result.dependencies))
    for title, entries in sections:
        typer.echo(f"{title}: {len(entries)}")
        for entry in entries:
            label = (
                entry.name
                if hasattr(entry, "name") and not hasattr(entry, "item")
                else (f"{entry.item.name} ({entry.item.kind})")
            )
            typer.echo(f"  [{entry.depth}] {label}: {entry.explanation}")
    if result.truncated:
        typer.echo("(stopped at the node limit; lower --depth)")


@app.command("sources")
def sources(as_json: bool = typer.Option(False, "--json")) -> None:
    """Every source, its type, merge priority and last import."""
    with open_db().reader() as session:
        rows = [
            {
                "name": s.name,
                "type": s.type,
                "priority": s.priority,
                "last_imported_at": s.last_imported_at,
            }
            for s in cmdb.list_sources(session)
        ]
    if as_json:
        print_json(rows)
        return
    print_table(rows, ["name", "type", "priority", "last_imported_at"])
