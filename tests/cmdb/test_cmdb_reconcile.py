"""Reconciliation: idempotent imports, retirement, restoration, merging, atomicity, audit."""

from __future__ import annotations

import pytest
from cmdb_fixtures import (
    ACTOR,
    CATALOG,
    ImportOptions,
    audit_count,
    db_instance,
    import_text,
    parse_content,
    state,
)

from guardrail.audit import service as audit_service
from guardrail.cmdb import service as cmdb
from guardrail.errors import InvalidInput


def _item(db, ref):
    with db.reader() as session:
        return cmdb.item_detail(session, cmdb.get_item(session, ref))


def test_first_import_creates_items_relations_and_services(db):
    summary = import_text(db, CATALOG, source="catalog")
    assert summary.created == 8 and summary.updated == summary.retired == 0
    assert summary.relations_created > 0
    assert summary.services_created == 3  # checkout, pricing, storefront
    with db.reader() as session:
        checkout = cmdb.get_service(session, "checkout")
        assert checkout.tier == 1
        assert checkout.runbook_url == "https://runbooks.example.com/checkout"
        assert checkout.display_name == "Checkout"
        item = cmdb.get_item(session, "component:default/checkout")
        assert item.service_id == checkout.id
        assert item.owner == "group:default/payments"


def test_reimport_of_the_same_input_changes_nothing_and_writes_no_audit(db):
    first = import_text(db, CATALOG, source="catalog")
    before = audit_count(db)
    summary = import_text(db, CATALOG, source="catalog")
    assert not summary.changed
    assert summary.unchanged == 8
    assert summary.relations_unchanged == first.relations_created
    assert summary.services_created == summary.services_updated == 0
    assert audit_count(db) == before


def test_missing_item_is_retired_not_deleted_and_returns(db):
    import_text(db, CATALOG, source="catalog")
    without_storefront = CATALOG.replace(
        CATALOG[
            CATALOG.index(
                "---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n"
                "  name: storefront"
            ) : CATALOG.index("---\napiVersion: backstage.io/v1alpha1\nkind: API")
        ],
        "",
    )
    summary = import_text(db, without_storefront, source="catalog")
    assert summary.retired == 1 and summary.created == 0
    assert summary.relations_retired >= 2  # owned_by web, consumes_api checkout-api
    item = _item(db, "component:default/storefront")
    assert item.status == "retired" and item.retired_at is not None
    assert [c.status for c in item.claims] == ["retired"]
    with db.reader() as session:
        assert cmdb.get_service(session, "storefront").lifecycle == "retired"
        events = audit_service.list_events(
            session, object_id=item.id, action=None, limit=10, offset=0
        )[0]
        assert {e.action for e in events} == {"cmdb.item.create", "cmdb.item.retire"}
    summary = import_text(db, CATALOG, source="catalog")
    assert summary.restored == 1
    item = _item(db, "component:default/storefront")
    assert item.status == "active" and item.retired_at is None
    with db.reader() as session:
        assert cmdb.get_service(session, "storefront").lifecycle == "production"


def test_changed_item_is_updated_and_audited_with_before_and_after(db):
    import_text(db, CATALOG, source="catalog")
    summary = import_text(
        db, CATALOG.replace("Orders database", "All the orders"), source="catalog"
    )
    assert summary.updated == 1 and summary.unchanged == 7
    item = _item(db, "orders-db")
    assert item.description == "All the orders"
    with db.reader() as session:
        event = audit_service.list_events(
            session, object_id=item.id, action="cmdb.item.update", limit=1, offset=0
        )[0][0]
        assert event.before["description"] == "Orders database"
        assert event.after["description"] == "All the orders"


def test_two_sources_merge_by_rule_and_conflicts_are_visible(db):
    import_text(db, CATALOG, source="catalog")
    tf = state([db_instance(engine="postgres", identifier="orders-primary")])
    summary = import_text(db, tf, source="tf-prod", filename="prod.tfstate")
    assert summary.created == 1  # a claim on the existing orders-db item, not a new item
    item = _item(db, "resource:default/orders-db")
    assert sorted(c.source for c in item.claims) == ["catalog", "tf-prod"]
    # Backstage (priority 30) wins the kind and description; Terraform adds attributes.
    assert item.kind == "database" and item.description == "Orders database"
    assert item.attributes["engine"] == "postgres"
    assert item.attributes["address"] == "aws_db_instance.orders"
    # both sources name it, differently: a visible conflict with the chosen value
    conflict = next(c for c in item.conflicts if c["field"] == "name")
    assert conflict["chosen"] == {"source": "catalog", "value": "orders-db"}
    assert conflict["others"] == [{"source": "tf-prod", "value": "orders-primary"}]


def test_placeholder_is_replaced_when_a_source_describes_it(db):
    only_component = CATALOG.split("---\n")[1]  # pricing: depends on resource:orders-db
    summary = import_text(db, only_component, source="catalog")
    assert any(
        "dangling reference: resource:default/orders-db" in w["message"] for w in summary.warnings
    )
    assert summary.warnings[0]["line"] is not None
    item = _item(db, "resource:default/orders-db")
    assert item.claims[0].data.get("placeholder") is True
    again = import_text(db, only_component, source="catalog")
    assert not again.changed  # the placeholder is re-stated, not retired
    import_text(db, state([db_instance()]), source="tf", filename="s.tfstate")
    item = _item(db, "resource:default/orders-db")
    assert item.kind == "database" and item.name == "orders-db"
    assert item.conflicts == []  # a placeholder never conflicts


def test_strict_refuses_dangling_references(db):
    with pytest.raises(InvalidInput, match="dangling reference"):
        import_text(db, CATALOG.split("---\n")[1], source="catalog", strict=True)


def test_an_import_with_an_error_changes_nothing(db):
    import_text(db, CATALOG, source="catalog")
    before = audit_count(db)
    broken = (
        CATALOG.replace("Orders database", "changed")
        + "---\nkind: Thing\napiVersion: backstage.io/v1alpha1\nmetadata: {name: x}\n"
    )
    with pytest.raises(InvalidInput) as raised:
        import_text(db, broken, source="catalog")
    assert "unknown Backstage kind 'Thing'" in raised.value.detail
    assert raised.value.extra["problems"][0]["line"] == CATALOG.count("\n") + 2
    assert _item(db, "orders-db").description == "Orders database"
    assert audit_count(db) == before


def test_an_import_that_fails_while_writing_rolls_back(db):
    bad_tier = CATALOG.replace('guardrail.io/tier: "1"', 'guardrail.io/tier: "9"')
    with pytest.raises(InvalidInput, match=r"guardrail\.io/tier"):
        import_text(db, bad_tier, source="catalog")
    with db.reader() as session:
        assert cmdb.search_items(session)[1] == 0
    bad_url = CATALOG.replace("https://runbooks.example.com/checkout", "not a url")
    with pytest.raises(InvalidInput, match="runbook"):
        import_text(db, bad_url, source="catalog")


def test_items_map_to_services_by_label_and_tag(db):
    import_text(db, CATALOG, source="catalog")
    manifests = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: checkout-web
  labels: {app.kubernetes.io/part-of: checkout}
spec:
  template:
    metadata:
      labels: {app: checkout}
    spec:
      containers: [{name: web, image: "shop/checkout:1.2"}]
"""
    import_text(db, manifests, source="k8s")
    import_text(
        db,
        state([db_instance("cache", entity=None, engine="redis", service="pricing")]),
        source="tf",
        filename="s.tfstate",
    )
    with db.reader() as session:
        checkout = cmdb.get_service(session, "checkout")
        pricing = cmdb.get_service(session, "pricing")
        assert cmdb.get_item(session, "checkout-web").service_id == checkout.id
        assert cmdb.get_item(session, "tf:tf:aws_db_instance.cache").service_id == pricing.id


def test_service_created_later_links_items_that_named_it(db):
    manifests = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n"
        "  labels: {app.kubernetes.io/part-of: checkout}\n"
    )
    import_text(db, manifests, source="k8s")
    with db.reader() as session:
        assert cmdb.get_item(session, "cfg").service_id is None
    import_text(db, CATALOG, source="catalog")
    with db.reader() as session:
        assert cmdb.get_item(session, "cfg").service_id == cmdb.get_service(session, "checkout").id


def test_audit_chain_stays_valid_after_imports(db):
    import_text(db, CATALOG, source="catalog")
    import_text(db, CATALOG.replace("Orders database", "x"), source="catalog")
    with db.reader() as session:
        assert audit_service.verify(session).ok


def test_source_priority_decides_the_merge(db):
    import_text(db, CATALOG, source="catalog")
    tf = state([db_instance(identifier="orders-primary")])
    snapshot = parse_content(tf, "s.tfstate", ImportOptions(scope="tf"))
    with db.unit_of_work() as session:
        cmdb.import_snapshot(session, ACTOR, "tf", snapshot, priority=99)
    item = _item(db, "resource:default/orders-db")
    assert item.name == "orders-primary"  # tf now outranks Backstage (30)
    conflict = next(c for c in item.conflicts if c["field"] == "name")
    assert conflict["chosen"]["source"] == "tf"
