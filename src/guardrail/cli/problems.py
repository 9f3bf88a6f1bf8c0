"""`guardrail problem …`, `guardrail postmortem …` and `guardrail action-item …` (the server)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import typer

from guardrail.cli.common import ApiClient, fail, print_json, print_table
from guardrail.kit.time import as_utc, isoformat, parse_duration, utcnow

problem_app = typer.Typer(
    help="Problems and known errors (talks to the server).", no_args_is_help=True
)
postmortem_app = typer.Typer(
    help="Blameless postmortems (talks to the server).", no_args_is_help=True
)
action_app = typer.Typer(
    help="Postmortem action items (talks to the server).", no_args_is_help=True
)

_PROBLEM_COLUMNS = ["id", "status", "title", "updated_at"]
_ITEM_COLUMNS = ["id", "priority", "status", "due_at", "overdue", "owner", "service", "title"]


def _raw(client: ApiClient, path: str, params: dict[str, Any] | None = None) -> str:
    """A text body (Markdown, CSV) from the server; errors as one line like every command."""
    try:
        response = client.http.get(path, params=params)
    except Exception as exc:  # httpx errors: the same message ApiClient gives
        fail(f"cannot reach guardrail at {client.base}: {exc}", 4)
    if response.status_code >= 400:
        client._problem(response)
    return response.text


def _write(text: str, output: Path | None) -> None:
    if output is None:
        typer.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {output}")


# --- problems ------------------------------------------------------------------------------------


def _show_problem(detail: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(detail)
        return
    typer.echo(f"{detail['id']}  {detail['status']}  {detail['title']}")
    for label, key in (("root cause", "root_cause"), ("workaround", "workaround")):
        typer.echo(f"{label}: {detail[key] or '-'}")
    for link in detail.get("links", []):
        typer.echo(f"  {link['kind']:<9} {link['ref_id']}  {link['label']}")
    for item in detail.get("action_items", []):
        typer.echo(
            f"  action    {item['id']}  {item['priority']}  {item['status']}  {item['title']}"
        )


@problem_app.command("list")
def problem_list(
    status: list[str] | None = typer.Option(None, "--status", help="Repeat for several."),
    service: str | None = typer.Option(None, "--service", "-s"),
    limit: int = typer.Option(50, "--limit"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """List problems, most recently updated first."""
    params: dict[str, Any] = {"limit": limit, "status": status or []}
    if service:
        params["service"] = service
    page = ApiClient().get("/api/v1/problems", params=params)
    print_json(page["items"]) if as_json else print_table(page["items"], _PROBLEM_COLUMNS)


@problem_app.command("search")
def problem_search(
    query: str = typer.Argument(..., help="Words to look for (all must match)."),
    any_word: bool = typer.Option(False, "--any", help="Match any word instead."),
    status: list[str] | None = typer.Option(None, "--status"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Search the known-error database by text, best match first."""
    params: dict[str, Any] = {"q": query, "any": any_word, "status": status or []}
    hits = ApiClient().get("/api/v1/problems/search", params=params)
    print_json(hits) if as_json else print_table(
        hits, ["id", "status", "rank", "title", "workaround"]
    )


@problem_app.command("create")
def problem_create(
    title: str = typer.Argument(...),
    incident: list[str] | None = typer.Option(None, "--incident", "-i", help="inc_… (repeat)"),
    service: list[str] | None = typer.Option(None, "--service", "-s", help="Repeat for several."),
    description: str = typer.Option("", "--description"),
    root_cause: str = typer.Option("", "--root-cause"),
    workaround: str = typer.Option("", "--workaround"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Open a problem from incidents, or proactively."""
    body = {
        "title": title,
        "incidents": incident or [],
        "services": service or [],
        "description": description,
        "root_cause": root_cause,
        "workaround": workaround,
    }
    _show_problem(ApiClient().post("/api/v1/problems", json=body), as_json)


@problem_app.command("show")
def problem_show(problem_id: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """A problem with its links and action items."""
    _show_problem(ApiClient().get(f"/api/v1/problems/{problem_id}"), as_json)


@problem_app.command("update")
def problem_update(
    problem_id: str,
    title: str | None = typer.Option(None, "--title"),
    description: str | None = typer.Option(None, "--description"),
    root_cause: str | None = typer.Option(None, "--root-cause"),
    workaround: str | None = typer.Option(None, "--workaround"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Edit what is known about a problem."""
    body = {
        k: v
        for k, v in {
            "title": title,
            "description": description,
            "root_cause": root_cause,
            "workaround": workaround,
        }.items()
        if v is not None
    }
    if not body:
        fail("nothing to change; give --title, --description, --root-cause or --workaround")
    _show_problem(ApiClient().patch(f"/api/v1/problems/{problem_id}", json=body), as_json)


def _transition(problem_id: str, status: str, note: str, as_json: bool) -> None:
    detail = ApiClient().post(
        f"/api/v1/problems/{problem_id}/transition", json={"status": status, "note": note}
    )
    print_json(detail) if as_json else typer.echo(f"{detail['id']} is {detail['status']}")


@problem_app.command("known-error")
def problem_known_error(
    problem_id: str,
    note: str = typer.Option("", "--note"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Record the problem as a known error (its root cause or workaround is written down)."""
    _transition(problem_id, "known_error", note, as_json)


@problem_app.command("resolve")
def problem_resolve(
    problem_id: str,
    note: str = typer.Option("", "--note"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """The cause is removed (link the fixing change with `guardrail problem link`)."""
    _transition(problem_id, "resolved", note, as_json)


@problem_app.command("reopen")
def problem_reopen(
    problem_id: str,
    note: str = typer.Option("", "--note"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Back to open: the cause was wrong, or the problem recurred."""
    _transition(problem_id, "open", note, as_json)


@problem_app.command("link")
def problem_link(
    problem_id: str, ref: str = typer.Argument(..., help="inc_…, chg_… or a service")
) -> None:
    """Link an incident, a service, or a change that fixes the problem."""
    detail = ApiClient().post(f"/api/v1/problems/{problem_id}/links", json={"ref": ref})
    typer.echo(f"{detail['id']} linked to {ref}")


@problem_app.command("unlink")
def problem_unlink(problem_id: str, ref: str) -> None:
    """Remove a link."""
    ApiClient().request("DELETE", f"/api/v1/problems/{problem_id}/links/{ref}")
    typer.echo(f"{problem_id} no longer linked to {ref}")


# --- postmortems ---------------------------------------------------------------------------------


def _pm_line(pm: dict[str, Any]) -> str:
    due = f", due {pm['due_at'][:10]}" if pm.get("due_at") else ""
    required = f" (required{due}: {pm['required_reason']})" if pm.get("required") else ""
    return f"{pm['id']}  {pm['status']}  v{pm['version']}  incident {pm['incident_id']}{required}"


@postmortem_app.command("list")
def postmortem_list(
    status: str | None = typer.Option(None, "--status", help="draft or published"),
    required: bool | None = typer.Option(None, "--required/--not-required"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Postmortems, newest first."""
    params: dict[str, Any] = {
        k: v for k, v in {"status": status, "required": required}.items() if v is not None
    }
    items = ApiClient().get("/api/v1/postmortems", params=params)["items"]
    columns = ["id", "status", "required", "due_at", "incident_id", "title"]
    print_json(items) if as_json else print_table(items, columns)


@postmortem_app.command("draft")
def postmortem_draft(
    incident_id: str,
    problem: str | None = typer.Option(None, "--problem", help="prb_… it belongs to"),
    regenerate: bool = typer.Option(
        False, "--regenerate", help="Rewrite the draft from the incident."
    ),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Draft the incident's postmortem from its timeline (allowed before it is resolved)."""
    body = {"problem": problem, "regenerate": regenerate}
    pm = ApiClient().post(f"/api/v1/postmortems/incidents/{incident_id}", json=body)
    print_json(pm) if as_json else typer.echo(_pm_line(pm))


@postmortem_app.command("show")
def postmortem_show(postmortem_id: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """A postmortem (by its id or its incident's) and its Markdown."""
    pm = ApiClient().get(f"/api/v1/postmortems/{postmortem_id}")
    if as_json:
        print_json(pm)
        return
    typer.echo(_pm_line(pm))
    typer.echo("")
    typer.echo(pm["body"])


@postmortem_app.command("edit")
def postmortem_edit(
    postmortem_id: str,
    file: Path = typer.Option(
        ..., "--file", "-f", exists=True, dir_okay=False, help="Markdown to save."
    ),
    version: int | None = typer.Option(None, "--version", help="The version you edited."),
) -> None:
    """Save an edited Markdown body (refused if someone saved since --version)."""
    body = {"body": file.read_text(encoding="utf-8"), "version": version}
    pm = ApiClient().request("PUT", f"/api/v1/postmortems/{postmortem_id}", json=body)
    typer.echo(_pm_line(pm))


@postmortem_app.command("publish")
def postmortem_publish(postmortem_id: str) -> None:
    """Publish (refused while the incident is unresolved)."""
    pm = ApiClient().post(f"/api/v1/postmortems/{postmortem_id}/publish")
    typer.echo(_pm_line(pm))


@postmortem_app.command("export")
def postmortem_export(
    postmortem_id: str, output: Path | None = typer.Option(None, "--output", "-o")
) -> None:
    """The postmortem as Markdown (stdout, or --output FILE)."""
    client = ApiClient()
    _write(_raw(client, f"/api/v1/postmortems/{postmortem_id}/postmortem.md"), output)


# --- action items --------------------------------------------------------------------------------


def due_date(text: str | None) -> str | None:
    """``2026-05-01`` / an ISO time, or ``7d`` (from now) -> ISO 8601; exits 2 when unreadable."""
    if text is None:
        return None
    try:
        return isoformat(utcnow() + parse_duration(text))
    except ValueError:
        pass
    try:
        return isoformat(as_utc(datetime.fromisoformat(text)))
    except ValueError:
        fail(f"--due {text!r} is neither a date (2026-05-01) nor a duration from now (7d)")


def _show_item(item: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(item)
        return
    overdue = " OVERDUE" if item.get("overdue") else ""
    typer.echo(f"{item['id']}  {item['priority']}  {item['status']}{overdue}  {item['title']}")
    due, service = item["due_at"] or "-", item["service"] or "-"
    typer.echo(f"owner: {item['owner'] or '-'}   due: {due}   service: {service}")
    if item.get("export_note"):
        typer.echo(item["export_note"])


@action_app.command("list")
def item_list(
    status: list[str] | None = typer.Option(None, "--status", help="Repeat for several."),
    service: str | None = typer.Option(None, "--service", "-s"),
    priority: str | None = typer.Option(None, "--priority"),
    overdue: bool = typer.Option(False, "--overdue"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Action items by priority, then due date."""
    params: dict[str, Any] = {"status": status or [], "overdue": overdue, "limit": 500}
    params.update({k: v for k, v in {"service": service, "priority": priority}.items() if v})
    items = ApiClient().get("/api/v1/action-items", params=params)["items"]
    print_json(items) if as_json else print_table(items, _ITEM_COLUMNS)


@action_app.command("show")
def item_show(item_id: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """One action item, and where its export stands ("export pending, retry 2 at …")."""
    _show_item(ApiClient().get(f"/api/v1/action-items/{item_id}"), as_json)


@action_app.command("create")
def item_create(
    title: str = typer.Argument(...),
    priority: str = typer.Option("P2", "--priority", "-p", help="P0 (highest) .. P3"),
    owner: str = typer.Option("", "--owner"),
    due: str | None = typer.Option(None, "--due", help="2026-05-01, or 7d from now"),
    postmortem: str | None = typer.Option(None, "--postmortem"),
    problem: str | None = typer.Option(None, "--problem"),
    service: str | None = typer.Option(None, "--service", "-s"),
    description: str = typer.Option("", "--description"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Record an action item."""
    body = {
        "title": title,
        "priority": priority,
        "owner": owner,
        "due_at": due_date(due),
        "postmortem": postmortem,
        "problem": problem,
        "service": service,
        "description": description,
    }
    _show_item(ApiClient().post("/api/v1/action-items", json=body), as_json)


@action_app.command("update")
def item_update(
    item_id: str,
    status: str | None = typer.Option(None, "--status", help="open, in_progress, done, wont_do"),
    priority: str | None = typer.Option(None, "--priority", "-p"),
    owner: str | None = typer.Option(None, "--owner"),
    due: str | None = typer.Option(None, "--due"),
    title: str | None = typer.Option(None, "--title"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Change an action item's status, priority, owner, due date or title."""
    body: dict[str, Any] = {
        k: v
        for k, v in {"status": status, "priority": priority, "owner": owner, "title": title}.items()
        if v is not None
    }
    if due is not None:
        body["due_at"] = due_date(due)
    if not body:
        fail("nothing to change; give --status, --priority, --owner, --due or --title")
    _show_item(ApiClient().patch(f"/api/v1/action-items/{item_id}", json=body), as_json)


@action_app.command("export")
def item_export(
    items: list[str] | None = typer.Argument(None, help="act_… ids (default: every open item)"),
    tracker: str | None = typer.Option(None, "--tracker", help="github or gitlab"),
    repo: str | None = typer.Option(None, "--repo", help="owner/name or the GitLab project"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the requests; send nothing."),
    fmt: str | None = typer.Option(None, "--format", help="csv or json"),
    service: str | None = typer.Option(None, "--service", "-s"),
    output: Path | None = typer.Option(None, "--output", "-o"),
) -> None:
    """Export to GitHub / GitLab issues (through the outbox), or to a CSV / JSON file."""
    if (tracker is None) == (fmt is None):
        fail("say where to: --tracker github|gitlab, or --format csv|json")
    if fmt is not None:
        if fmt not in ("csv", "json"):
            fail(f"--format {fmt!r}: use csv or json")
        params: dict[str, Any] = {"format": fmt, "item": items or []}
        params.update({"service": service} if service else {})
        _write(_raw(ApiClient(), "/api/v1/action-items/export", params), output)
        return
    _to_tracker(items or [], str(tracker), repo, dry_run, service)


def _to_tracker(
    items: list[str], tracker: str, repo: str | None, dry_run: bool, service: str | None
) -> None:
    if tracker not in ("github", "gitlab"):
        fail(f"--tracker {tracker!r}: use github or gitlab")
    client = ApiClient()
    if not items:
        params: dict[str, Any] = {"status": ["open", "in_progress"], "limit": 500}
        params.update({"service": service} if service else {})
        items = [i["id"] for i in client.get("/api/v1/action-items", params=params)["items"]]
    if not items:
        fail("no open action item to export; name the items (act_…)")
    body = {"tracker": tracker, "items": items, "repository": repo, "dry_run": dry_run}
    result = client.post("/api/v1/action-items/tracker-export", json=body)
    for request in result["requests"]:
        if dry_run:
            typer.echo(f"# {request['item']}")
            typer.echo(f"{request['method']} {request['url']}")
            for name, value in request["headers"].items():
                typer.echo(f"{name}: {value}")
            typer.echo("")
            typer.echo(json.dumps(request["json"], indent=2))
            typer.echo("")
        else:
            typer.echo(f"{request['item']}: queued -> {request['method']} {request['url']}")
    for item in result["skipped"]:
        typer.echo(f"{item}: skipped (exported to {tracker} already, or under way)")
    if dry_run:
        typer.echo(f"dry run: {len(result['requests'])} request(s) shown, nothing sent")
    elif result["queued"]:
        typer.echo("sent by the worker; `guardrail action-item show <id>` says how it went")


def register(root: typer.Typer) -> None:
    root.add_typer(problem_app, name="problem")
    root.add_typer(postmortem_app, name="postmortem")
    root.add_typer(action_app, name="action-item")
