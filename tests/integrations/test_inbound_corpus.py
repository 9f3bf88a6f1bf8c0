"""Conformance: the real files in ../shared/corpus import cleanly (skipped where it is absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from guardrail.cmdb import service as cmdb
from guardrail.integrations.inbound.cmdb_files import parse_paths
from guardrail.integrations.inbound.documents import ImportOptions
from guardrail.kit.context import Actor

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"
pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not here")


@pytest.mark.parametrize("folder", ["backstage", "terraform", "kubernetes"])
def test_corpus_parses_without_errors(folder):
    snapshot = parse_paths([CORPUS / folder], ImportOptions(scope="corpus"))
    assert snapshot.errors == []
    assert snapshot.items


def test_corpus_imports_idempotently_and_answers_impact(db):
    actor = Actor.system("tests")
    for _ in range(2):
        summaries = []
        for folder in ("backstage", "terraform", "kubernetes"):
            snapshot = parse_paths([CORPUS / folder], ImportOptions(scope=folder))
            with db.unit_of_work() as session:
                summaries.append(cmdb.import_snapshot(session, actor, folder, snapshot))
    assert not any(s.changed for s in summaries)
    with db.reader() as session:
        result = cmdb.impact(session, "resource:default/artists-db")
        assert [s.name for s in result.services] == ["artist-lookup"]
        assert "artist-lookup depends_on artists-db" in result.services[0].explanation
        frontend = cmdb.item_detail(
            session, cmdb.get_item(session, "k8s:kubernetes:service:default/frontend")
        )
        assert any(r.type == "selects" and r.item.name == "frontend" for r in frontend.relations)
