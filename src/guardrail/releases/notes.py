"""Release notes generated from what the release's deployments delivered.

Each pull request is one entry (its title, else its first commit's subject); a commit outside any
known pull request is one entry. Entries are grouped by their Conventional Commits type (feat,
fix, perf, anything else as "other"); ``type!:`` or a ``BREAKING CHANGE:`` footer marks an entry
breaking and lists it again under breaking changes. The commits are those the release's
successful production deployments delivered (new to production), else those any of its
deployments delivered. Merge commits that no pull request claims are
left out (they repeat what they merge). The change records that authorised the deployments and
the incidents linked to them follow, then the authors and the deployments. Every list is sorted,
so the same records always give the same text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from guardrail.changes import service as changes
from guardrail.errors import NotFound
from guardrail.incidents import service as incidents
from guardrail.releases import repository
from guardrail.releases.enums import is_production
from guardrail.releases.models import Commit, Deployment, PullRequest, Release

_HEADER = re.compile(r"^(?P<type>[A-Za-z]+)(?:\((?P<scope>[^()\n]*)\))?(?P<bang>!)?:\s*(?P<d>.+)$")
_BREAKING = re.compile(r"^BREAKING[ -]CHANGE:\s*(?P<note>.+)$", re.M)
_MERGE = re.compile(r"^Merge (pull request|branch|remote-tracking branch|tag) ")
SECTIONS = (("feat", "Features"), ("fix", "Bug fixes"), ("perf", "Performance"))
OTHER = ("other", "Other changes")
_RANK = {"feat": 0, "fix": 1, "perf": 2, "other": 3}


@dataclass
class Entry:
    """One line of the notes: a pull request, or a commit outside any known one."""

    type: str
    scope: str
    description: str
    breaking: str | None = None  # the breaking-change note ("" when only ``!`` says so)
    pull_request: str | None = None  # "#7" or "!7" (GitLab), else None
    pull_request_url: str | None = None
    shas: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)


@dataclass
class Linked:
    """A change record or an incident the deployments name, with what the link means."""

    id: str
    title: str
    detail: str


@dataclass
class Notes:
    release: Release
    sections: list[tuple[str, list[Entry]]]
    breaking: list[Entry]
    changes: list[Linked]
    incidents: list[Linked]
    authors: list[str]
    deployments: list[Deployment]


@dataclass
class _Parsed:
    type: str
    scope: str
    description: str
    breaking: str | None


def parse(message: str) -> _Parsed:
    """A commit message (or a pull request title) read as a Conventional Commit."""
    subject = (message or "").strip().split("\n", 1)[0].strip()
    footer = _BREAKING.search(message or "")
    note = footer.group("note").strip() if footer else None
    match = _HEADER.match(subject)
    if match is None:
        return _Parsed("other", "", subject, note)
    kind = match.group("type").lower()
    breaking = note if note is not None else ("" if match.group("bang") else None)
    return _Parsed(
        kind if kind in _RANK else "other",
        (match.group("scope") or "").strip(),
        match.group("d").strip(),
        breaking,
    )


def build(session: Session, release: Release) -> Notes:
    """The notes of ``release``: from the deployments of its version of its service."""
    deps = repository.deployments_of_version(session, release.service, release.version)
    ids = [d.id for d in deps]
    entries = _entries(repository.delivered_by_any(session, [d.id for d in _delivering(deps)]))
    sections = [(title, [e for e in entries if e.type == key]) for key, title in SECTIONS]
    sections.append((OTHER[1], [e for e in entries if e.type not in dict(SECTIONS)]))
    authors = sorted({a for e in entries for a in e.authors}, key=lambda a: (a.lower(), a))
    return Notes(
        release=release,
        sections=[(title, items) for title, items in sections if items],
        breaking=[e for e in entries if e.breaking is not None],
        changes=_changes(session, deps),
        incidents=_incidents(session, ids),
        authors=authors,
        deployments=sorted(deps, key=lambda d: (d.deployed_at, d.environment, d.id)),
    )


def _delivering(deps: list[Deployment]) -> list[Deployment]:
    """What is new in production when the release reached it; else what any of its deployments
    brought (a first staging deployment delivers the whole history to staging)."""
    production = [d for d in deps if d.status == "success" and is_production(d.environment)]
    return production or deps


def _entries(rows: list[tuple[Commit, PullRequest | None]]) -> list[Entry]:
    by_pr: dict[str, list[Commit]] = {}
    prs: dict[str, PullRequest] = {}
    loose: list[Commit] = []
    for commit, pr in rows:
        if pr is None:
            if not _MERGE.match(commit.message or ""):
                loose.append(commit)
            continue
        prs[pr.id] = pr
        by_pr.setdefault(pr.id, []).append(commit)
    entries = [_pr_entry(prs[key], commits) for key, commits in by_pr.items()]
    entries += [_commit_entry(c) for c in loose]
    return sorted(entries, key=_order)


def _order(e: Entry) -> tuple[str, str, str, str]:
    return (
        e.scope.lower(),
        e.description.lower(),
        e.pull_request or "",
        e.shas[0] if e.shas else "",
    )


def _subject_order(c: Commit) -> tuple[str, str]:
    at = c.committed_at or c.authored_at
    return (at.isoformat() if at else "~", c.sha)


def _pr_entry(pr: PullRequest, commits: list[Commit]) -> Entry:
    commits = sorted(commits, key=_subject_order)
    titled = parse(pr.title) if pr.title.strip() else None
    own = [parse(c.message) for c in commits if not _MERGE.match(c.message or "")]
    head = titled if titled is not None and titled.type != "other" else None
    if head is None:  # the title is not conventional: take the strongest type its commits name
        typed = sorted((p for p in own if p.type != "other"), key=lambda p: _RANK[p.type])
        base = titled or (own[0] if own else parse(commits[0].message))
        kind = typed[0].type if typed else "other"
        head = _Parsed(kind, typed[0].scope if typed else base.scope, base.description, None)
    breaking = head.breaking
    if breaking is None:
        breaking = next((p.breaking for p in own if p.breaking is not None), None)
    provider_mark = "!" if pr.key.startswith("gitlab:") else "#"
    authors = {pr.author} | {_author(c) for c in commits}
    return Entry(
        type=head.type,
        scope=head.scope,
        description=head.description,
        breaking=breaking,
        pull_request=f"{provider_mark}{pr.number}" if pr.number is not None else pr.key,
        pull_request_url=pr.url,
        shas=[c.sha for c in commits],
        authors=sorted((a for a in authors if a), key=lambda a: (a.lower(), a)),
    )


def _commit_entry(commit: Commit) -> Entry:
    parsed = parse(commit.message)
    author = _author(commit)
    return Entry(
        type=parsed.type,
        scope=parsed.scope,
        description=parsed.description or commit.sha[:12],
        breaking=parsed.breaking,
        shas=[commit.sha],
        authors=[author] if author else [],
    )


def _author(commit: Commit) -> str:
    return commit.author_name or commit.author_email


def _changes(session: Session, deps: list[Deployment]) -> list[Linked]:
    out = []
    for change_id in sorted({d.change_id for d in deps if d.change_id}):
        try:
            change = changes.get_change(session, change_id)
        except NotFound:
            out.append(Linked(change_id, "", "not recorded in guardrail"))
            continue
        out.append(Linked(change.id, change.title, f"{change.type} change, {change.state}"))
    return out


def _incidents(session: Session, deployment_ids: list[str]) -> list[Linked]:
    meaning: dict[str, set[str]] = {}
    for link in repository.links_of(session, deployment_ids):
        what = "fixed by this release" if link.kind == "rework" else "caused by this release"
        meaning.setdefault(link.incident_id, set()).add(f"{what} ({link.provenance})")
    out = []
    for incident_id in sorted(meaning):
        try:
            incident = incidents.get_incident(session, incident_id)
            title = f"{incident.title} [{incident.severity}]"
        except NotFound:
            title = ""
        out.append(Linked(incident_id, title, "; ".join(sorted(meaning[incident_id]))))
    return out


# --- Markdown ---


def _md(text: str) -> str:
    """Text safe inside a Markdown line: no HTML, no accidental emphasis or links."""
    text = " ".join((text or "").split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"([\\`*_\[\]])", r"\\\1", text)


def _entry_md(e: Entry, *, breaking: bool = False) -> str:
    scope = f"**{_md(e.scope)}:** " if e.scope else ""
    text = e.breaking if breaking and e.breaking else e.description
    refs = []
    if e.pull_request:
        pr = _md(e.pull_request)
        refs.append(f"[{pr}]({e.pull_request_url})" if e.pull_request_url else pr)
    refs += [f"`{sha[:7]}`" for sha in e.shas[:3]]
    if len(e.shas) > 3:
        refs.append(f"and {len(e.shas) - 3} more commits")
    by = f" by {', '.join(_md(a) for a in e.authors)}" if e.authors else ""
    return f"- {scope}{_md(text)} ({', '.join(refs)}){by}"


def to_markdown(notes: Notes) -> str:
    """The notes as Markdown."""
    r = notes.release
    title = f"# {_md(r.service)} {_md(r.version)}"
    lines = [title + (f": {_md(r.name)}" if r.name and r.name != r.version else ""), ""]
    if r.published_at:
        lines += [f"Published {r.published_at:%Y-%m-%d %H:%M} UTC.", ""]
    if not any(items for _, items in notes.sections):
        lines += ["No commits are known to have been delivered by this release's deployments.", ""]
    if notes.breaking:
        lines += ["## ⚠ Breaking changes", ""]
        lines += [_entry_md(e, breaking=True) for e in notes.breaking] + [""]
    for heading, items in notes.sections:
        lines += [f"## {heading}", ""] + [_entry_md(e) for e in items] + [""]
    for heading, linked in (("Change records", notes.changes), ("Incidents", notes.incidents)):
        if linked:
            lines += [f"## {heading}", ""]
            lines += [
                f"- `{x.id}`" + (f" {_md(x.title)}" if x.title else "") + f" ({_md(x.detail)})"
                for x in linked
            ]
            lines.append("")
    if notes.authors:
        lines += ["## Authors", "", ", ".join(_md(a) for a in notes.authors), ""]
    if notes.deployments:
        lines += ["## Deployments", ""]
        lines += [
            f"- `{d.id}` {_md(d.environment)}, {d.status}, {d.deployed_at:%Y-%m-%d %H:%M} UTC"
            for d in notes.deployments
        ]
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"
