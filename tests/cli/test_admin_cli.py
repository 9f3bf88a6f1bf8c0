"""Admin commands work on the store directly: db, token, audit."""

from __future__ import annotations

import json

from sqlalchemy import text


def test_db_check_passes_on_migrated_database(cli):
    result = cli("db", "check")
    assert result.exit_code == 0, result.output
    assert "models match the migrations" in result.output


def test_db_check_fails_when_behind(cli, db):
    with db.unit_of_work() as session:
        session.execute(text("UPDATE alembic_version SET version_num = '0000'"))
    result = cli("db", "check")
    assert result.exit_code == 1 and "guardrail db upgrade" in result.output


def test_token_create_list_revoke(cli):
    created = cli("token", "create", "--name", "deploy bot", "--role", "pipeline", "--json")
    assert created.exit_code == 0, created.output
    token = json.loads(created.output)
    assert token["token"].startswith("grd_") and token["role"] == "pipeline"
    listed = json.loads(cli("token", "list", "--json").output)
    assert [t["id"] for t in listed] == [token["id"]]
    assert token["token"] not in cli("token", "list").output
    revoked = cli("token", "revoke", token["id"])
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    assert cli("token", "list", "--json").output.strip() == "[]"
    assert len(json.loads(cli("token", "list", "--all", "--json").output)) == 1


def test_token_errors_are_one_line_exit_2(cli):
    result = cli("token", "revoke", "tok_nope")
    assert result.exit_code == 2
    assert result.output.strip().startswith("error: no token 'tok_nope'")
    bad_role = cli("token", "create", "--name", "x", "--role", "god")
    assert bad_role.exit_code == 2


def test_audit_verify_names_an_edited_row(cli, db, is_postgres):
    cli("token", "create", "--name", "a", "--role", "viewer")
    cli("token", "create", "--name", "b", "--role", "viewer")
    assert cli("audit", "verify").exit_code == 0
    with db.engine.begin() as conn:
        if is_postgres:
            conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
        else:
            conn.execute(text("DROP TRIGGER audit_events_no_update"))
        conn.execute(text("UPDATE audit_events SET actor = 'someone else' WHERE seq = 1"))
        event_id = conn.execute(text("SELECT id FROM audit_events WHERE seq = 1")).scalar_one()
    result = cli("audit", "verify")
    assert result.exit_code == 1
    assert f"audit event {event_id} (seq 1)" in result.output and "edited" in result.output


def test_audit_export_json_lines(cli, tmp_path):
    cli("token", "create", "--name", "a", "--role", "viewer")
    out = tmp_path / "audit.jsonl"
    assert cli("audit", "export", "-o", str(out)).exit_code == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows[0]["action"] == "token.create" and rows[0]["seq"] == 1


def test_bad_database_url_is_one_line(cli):
    result = cli("db", "check", env={"GUARDRAIL_DATABASE_URL": "mysql://nope"})
    assert result.exit_code == 2 and "unsupported database" in result.output


def test_admin_commands_on_an_unmigrated_database_say_what_to_run(cli, tmp_path):
    result = cli(
        "token", "list", env={"GUARDRAIL_DATABASE_URL": f"sqlite:///{tmp_path / 'new.db'}"}
    )
    assert result.exit_code == 2
    assert "has no guardrail tables" in result.output and "guardrail db upgrade" in result.output
