"""The example workflows in docs/pipelines run: every `guardrail …` command they contain is run
against a live server, with the files the earlier steps would have written."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml
from changes_fixtures import JUNIT_PASS, SARIF_CLEAN, SMALL_DIFF

from guardrail.cmdb import service as cmdb
from guardrail.cmdb.schemas import ServiceCreate
from guardrail.kit.context import Actor

DOCS = Path(__file__).resolve().parents[2] / "docs" / "pipelines"
BLOCK = re.compile(r"```yaml\n(.*?)```", re.DOTALL)


def _scripts(doc: Path) -> list[str]:
    """Shell lines from the workflow: GitHub `run:` steps and GitLab `script:` lists."""
    lines: list[str] = []
    for block in BLOCK.findall(doc.read_text()):
        data = yaml.safe_load(block)
        for job in (data.get("jobs") or {}).values():
            for step in job.get("steps", []):
                lines += str(step.get("run", "")).replace("\\\n", " ").splitlines()
        for job in data.values():
            if isinstance(job, dict) and "script" in job:
                lines += [str(line) for line in job["script"]]
    return [line.strip() for line in lines if line.strip().startswith("guardrail ")]


def _substitute(command: str, values: dict[str, str]) -> list[str]:
    command = re.sub(
        r"\$\{\{\s*github\.event\.head_commit\.author\.email\s*\}\}", "dev@example.com", command
    )
    command = re.sub(r"\$\{\{\s*steps\.gate\.outputs\.change\s*\}\}", values["change"], command)
    command = re.sub(r"\$\{\{\s*job\.status[^}]*\}\}", "success", command)
    for name, value in values.items():
        command = command.replace(f"${name}", value).replace(f"${{{name}}}", value)
    command = command.split(" > ")[0]  # the docs keep the JSON in a file; the test reads stdout
    return shlex.split(command)[1:]


@pytest.mark.parametrize("doc", ["github-actions.md", "gitlab-ci.md"])
def test_documented_commands_run(doc, cli, live_server, org, db, tmp_path, monkeypatch):
    with db.unit_of_work() as session:
        cmdb.create_service(session, Actor.system("tests"), ServiceCreate(name="shop-web", tier=3))
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "junit.xml").write_text(JUNIT_PASS)
    (reports / "semgrep.sarif").write_text(SARIF_CLEAN)
    (reports / "diff.numstat").write_text(SMALL_DIFF)
    monkeypatch.chdir(tmp_path)
    env = {"GUARDRAIL_URL": live_server, "GUARDRAIL_TOKEN": org.tokens["ci"]}
    values = {
        "GITHUB_SHA": "4f2a9c1",
        "CI_COMMIT_SHA": "4f2a9c1",
        "GITLAB_USER_EMAIL": "dev@example.com",
        "change": "",
        "CHANGE_ID": "",
    }
    commands = _scripts(DOCS / doc)
    assert [c.split()[1] for c in commands] == ["gate", "change"]
    for command in commands:
        result = cli(*_substitute(command, values), env=env)
        assert result.exit_code == 0, f"{command}\n{result.output}"
        if command.startswith("guardrail gate"):
            decision = yaml.safe_load(result.output)
            assert decision["state"] == "approved"
            values["change"] = values["CHANGE_ID"] = decision["id"]
    final = cli("change", "show", values["change"], "--json", env=env)
    assert yaml.safe_load(final.output)["state"] == "completed"
