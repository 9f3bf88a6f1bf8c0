"""Client commands talk to GUARDRAIL_URL with GUARDRAIL_TOKEN."""

from __future__ import annotations

import json


def _env(url, token):
    return {"GUARDRAIL_URL": url, "GUARDRAIL_TOKEN": token}


def test_service_create_list_show_update(cli, live_server, admin_token):
    env = _env(live_server, admin_token)
    created = cli(
        "service",
        "create",
        "checkout-api",
        "--tier",
        "1",
        "--env",
        "production",
        "--env",
        "staging",
        env=env,
    )
    assert created.exit_code == 0, created.output
    listed = json.loads(cli("service", "list", "--json", env=env).output)
    assert listed["total"] == 1 and listed["items"][0]["environments"] == ["production", "staging"]
    assert cli("service", "update", "checkout-api", "--tier", "2", env=env).exit_code == 0
    shown = json.loads(cli("service", "show", "checkout-api", "--json", env=env).output)
    assert shown["tier"] == 2
    table = cli("service", "list", env=env).output
    assert "NAME" in table and "checkout-api" in table


def test_server_errors_become_one_line_exit_2(cli, live_server, admin_token):
    env = _env(live_server, admin_token)
    result = cli("service", "show", "nope", env=env)
    assert result.exit_code == 2
    assert result.output.strip() == (
        "error: no service 'nope'; list services with `guardrail service list` (HTTP 404)"
    )


def test_unreachable_server_exits_4(cli, admin_token):
    result = cli("service", "list", env=_env("http://127.0.0.1:9", admin_token))
    assert result.exit_code == 4 and "cannot reach guardrail" in result.output


def test_missing_token_exits_2(cli, live_server):
    result = cli("service", "list", env={"GUARDRAIL_URL": live_server})
    assert result.exit_code == 2 and "GUARDRAIL_TOKEN" in result.output


def test_revoked_token_is_refused(cli, live_server, admin_token):
    created = json.loads(cli("token", "create", "--name", "t", "--role", "viewer", "--json").output)
    env = _env(live_server, created["token"])
    assert cli("service", "list", env=env).exit_code == 0
    cli("token", "revoke", created["id"])
    result = cli("service", "list", env=env)
    assert result.exit_code == 2 and "revoked" in result.output


def test_the_command_does_not_load_the_server_or_the_judge():
    """A pipeline step (`guardrail gate`, `deploy record`) starts without the web app, the ASGI
    server, the demo seeder or scipy: those load only in the commands that use them."""
    import subprocess
    import sys

    probe = (
        "import sys, guardrail.cli.main; "
        "print(sorted(m for m in ('scipy', 'fastapi', 'uvicorn', 'guardrail.api.app', "
        "'guardrail.demo.seed', 'guardrail.releases.canary') if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == "[]"
