"""`guardrail audit`: verify and export the hash-chained trail."""

from __future__ import annotations

from pathlib import Path

import typer

from guardrail.audit import service as audit
from guardrail.cli.common import open_db, print_json

app = typer.Typer(help="The audit trail: verify its hash chain, export it.", no_args_is_help=True)


@app.command("verify")
def verify(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Walk the chain; name every edited, deleted or reordered row (exit 1 if any)."""
    with open_db().reader() as session:
        result = audit.verify(session)
    if as_json:
        print_json(
            {
                "ok": result.ok,
                "checked": result.checked,
                "findings": [str(f) for f in result.findings],
            }
        )
    elif result.ok:
        typer.echo(f"ok: {result.checked} audit events, chain intact")
    else:
        typer.echo(
            f"BROKEN: {len(result.findings)} problem(s) in {result.checked} events", err=True
        )
        for finding in result.findings:
            typer.echo(f"  {finding}", err=True)
    if not result.ok:
        raise typer.Exit(1)


@app.command("export")
def export(
    output: Path | None = typer.Option(
        None, "--output", "-o", help="File to write (default stdout)."
    ),
) -> None:
    """Write every event as JSON lines, in chain order."""
    with open_db().reader() as session:
        if output is None:
            for line in audit.export_lines(session):
                typer.echo(line)
            return
        with output.open("w", encoding="utf-8") as handle:
            count = 0
            for line in audit.export_lines(session):
                handle.write(line + "\n")
                count += 1
    typer.echo(f"wrote {count} events to {output}", err=True)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="audit")
