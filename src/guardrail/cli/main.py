"""The `guardrail` command: admin commands on the store, client commands over HTTP."""

from __future__ import annotations

import importlib

import typer

from guardrail import __version__

# Each module exposes register(app). A new practice adds its CLI module here.
COMMAND_MODULES = (
    "guardrail.cli.serve",
    "guardrail.cli.db",
    "guardrail.cli.tokens",
    "guardrail.cli.services",
    "guardrail.cli.audit",
    "guardrail.cli.jobs",
    "guardrail.cli.cmdb",
    "guardrail.cli.changes",
    "guardrail.cli.integrations",
    "guardrail.cli.releases",
    "guardrail.cli.oncall",
    "guardrail.cli.slo",
    "guardrail.cli.incidents",
    "guardrail.cli.metrics",
    "guardrail.cli.problems",
    "guardrail.cli.improvements",
)

app = typer.Typer(
    name="guardrail",
    help="Service management as code: change gates, incidents, SLOs and DORA metrics.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"guardrail {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """guardrail: service management as code for teams that ship continuously."""


for _module in COMMAND_MODULES:
    importlib.import_module(_module).register(app)


def main() -> None:
    """Console-script entry point."""
    app()
