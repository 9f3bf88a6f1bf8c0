"""`guardrail cmdb`: import, show, search, impact."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from cmdb_fixtures import CATALOG
from typer.testing import CliRunner

from guardrail.cli.cmdb import register


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """Test root."""

    register(app)
    return app


def _run(*args: str):
    return CliRunner().invoke(_app(), ["cmdb", *args])


def test_import_show_search_impact(settings, tmp_path: Path):
    catalog = tmp_path / "catalog-info.yaml"
    catalog.write_text(CATALOG)
    first = _run("import", str(catalog))
    assert first.exit_code == 0, first.output
    assert "source catalog-info (1 files): 8 created" in first.output
    again = _run("import", str(catalog), "--json")
    summary = json.loads(again.stdout)
    assert summary["unchanged"] == 8 and summary["created"] == 0
    catalog.write_text(CATALOG.replace("  name: storefront\n", "  name: shopfront\n"))
    changed = _run("import", str(catalog), "--source", "catalog-info")
    assert "1 created, 0 updated, 1 retired" in changed.output
    shown = _run("show", "storefront")
    assert shown.exit_code == 0 and "(component, retired)" in shown.output
    found = _run("search", "orders")
    assert "resource:default/orders-db" in found.output
    impact = _run("impact", "orders-db", "--depth", "1")
    assert "services affected: 2" in impact.output
    assert "checkout depends_on orders-db [catalog-info]" in impact.output
    as_json = json.loads(_run("impact", "orders-db", "--json").stdout)
    assert as_json["item"]["name"] == "orders-db"


def test_errors_are_one_line_and_exit_2(settings, tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: backstage.io/v1alpha1\nkind: Gadget\nmetadata: {name: x}\n")
    result = _run("import", str(bad))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "bad.yaml:2" in result.stderr and "unknown Backstage kind" in result.stderr
    missing = _run("show", "nothing-here")
    assert missing.exit_code == 2 and "no configuration item" in missing.stderr
    two = _run("import", str(bad), str(bad))
    assert two.exit_code == 2 and "--source" in two.stderr
