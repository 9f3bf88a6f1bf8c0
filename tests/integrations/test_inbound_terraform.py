"""The Terraform importer: format 4 state, show -json output, secrets never kept."""

from __future__ import annotations

import json

from guardrail.integrations.inbound.cmdb_files import parse_content
from guardrail.integrations.inbound.documents import ImportOptions
from guardrail.integrations.inbound.terraform.parser import provider_name

OPTIONS = ImportOptions(scope="prod")

STATE = {
    "version": 4,
    "terraform_version": "1.5.7",
    "serial": 12,
    "lineage": "abc",
    "outputs": {
        "db_url": {"value": "postgres://admin:s3cret@db", "type": "string", "sensitive": True}
    },
    "resources": [
        {
            "mode": "managed",
            "type": "aws_vpc",
            "name": "main",
            "provider": "provider.aws",  # the legacy form Terraform 0.12 wrote
            "instances": [
                {"schema_version": 1, "attributes": {"id": "vpc-1", "cidr_block": "10.0.0.0/16"}}
            ],
        },
        {
            "module": "module.db",
            "mode": "managed",
            "type": "aws_db_instance",
            "name": "main",
            "provider": 'provider["terraform.example/hashicorp/aws"]',
            "instances": [
                {
                    "schema_version": 2,
                    "attributes": {
                        "id": "db-1",
                        "identifier": "orders",
                        "engine": "postgres",
                        "password": "s3cret",
                        "username": "admin",
                        "tags": {"service": "checkout", "db_token": "t0ken"},
                    },
                    "sensitive_attributes": [[{"type": "get_attr", "value": "password"}]],
                    "dependencies": ["aws_vpc.main", "aws_security_group.gone"],
                    "private": "eyJzZWNyZXQiOiJ5ZXMifQ==",
                }
            ],
        },
        {
            "module": 'module.web["eu"]',
            "mode": "managed",
            "type": "aws_instance",
            "name": "web",
            "each": "list",
            "provider": 'provider["terraform.example/hashicorp/aws"].eu',
            "instances": [
                {
                    "index_key": 0,
                    "attributes": {"id": "i-0", "instance_type": "t3.small"},
                    "dependencies": ["module.db.aws_db_instance.main"],
                },
                {
                    "index_key": 1,
                    "attributes": {"id": "i-1", "instance_type": "t3.small"},
                    "dependencies": ["module.db.aws_db_instance.main"],
                },
            ],
        },
        {
            "mode": "managed",
            "type": "aws_sqs_queue",
            "name": "jobs",
            "each": "map",
            "provider": 'provider["terraform.example/hashicorp/aws"]',
            "instances": [
                {"index_key": "high", "attributes": {"id": "q-high", "name": "jobs-high"}}
            ],
        },
        {
            "mode": "data",
            "type": "aws_ami",
            "name": "ubuntu",
            "provider": 'provider["terraform.example/hashicorp/aws"]',
            "instances": [{"attributes": {"id": "ami-1", "name": "ubuntu-22.04"}}],
        },
    ],
}


def _parse(body: object, name: str = "prod.tfstate"):
    return parse_content(json.dumps(body, indent=2), name, OPTIONS)


def test_addresses_modules_instances_and_data_sources():
    snapshot = _parse(STATE)
    assert snapshot.errors == []
    keys = set(snapshot.items)
    assert {
        "tf:prod:aws_vpc.main",
        "tf:prod:module.db.aws_db_instance.main",
        'tf:prod:module.web["eu"].aws_instance.web[0]',
        'tf:prod:module.web["eu"].aws_instance.web[1]',
        'tf:prod:aws_sqs_queue.jobs["high"]',
        "tf:prod:data.aws_ami.ubuntu",
        "tf:prod:module.db",
    } <= keys
    db = snapshot.items["tf:prod:module.db.aws_db_instance.main"]
    assert db.kind == "database" and db.name == "orders" and db.service_ref == "checkout"
    assert snapshot.items['tf:prod:aws_sqs_queue.jobs["high"]'].kind == "queue"
    assert snapshot.items["tf:prod:data.aws_ami.ubuntu"].kind == "data_source"
    assert snapshot.items["tf:prod:aws_vpc.main"].attributes["provider"] == "hashicorp/aws"


def test_dependencies_reach_every_instance_and_missing_ones_warn():
    snapshot = _parse(STATE)
    relations = {(r.source, r.type, r.target) for r in snapshot.relations}
    db = "tf:prod:module.db.aws_db_instance.main"
    assert (db, "depends_on", "tf:prod:aws_vpc.main") in relations
    for index in (0, 1):
        assert (
            f'tf:prod:module.web["eu"].aws_instance.web[{index}]',
            "depends_on",
            db,
        ) in relations
    [warning] = snapshot.warnings
    assert "aws_security_group.gone" in warning.message
    assert warning.origin.path == "$.resources[1].instances[0]"


def test_secrets_are_never_kept():
    snapshot = _parse(STATE)
    stored = json.dumps([i.data() for i in snapshot.items.values()])
    for secret in ("s3cret", "t0ken", "postgres://", "eyJzZWNyZXQ", "admin"):
        assert secret not in stored


def test_provider_address_forms():
    assert provider_name('provider["terraform.example/hashicorp/aws"]') == "hashicorp/aws"
    assert provider_name('provider["terraform.example/hashicorp/aws"].west') == "hashicorp/aws.west"
    assert provider_name("provider.aws") == "hashicorp/aws"
    assert provider_name("provider.aws.west") == "hashicorp/aws.west"
    assert provider_name("module.a.provider.google") == "hashicorp/google"
    assert provider_name("terraform.example/acme/widget") == "acme/widget"


def test_format_3_is_refused_with_how_to_upgrade():
    snapshot = _parse(
        {
            "version": 3,
            "terraform_version": "0.11.14",
            "serial": 1,
            "modules": [{"path": ["root"], "resources": {}}],
        }
    )
    [error] = snapshot.errors
    assert error.origin.path == "$.version"
    assert "format 3" in error.message and "terraform apply -refresh-only" in error.message


def test_show_json_state_output():
    show = {
        "format_version": "1.0",
        "terraform_version": "1.6.0",
        "values": {
            "outputs": {"pw": {"sensitive": True, "value": "hunter2"}},
            "root_module": {
                "resources": [
                    {
                        "address": "aws_s3_bucket.logs",
                        "mode": "managed",
                        "type": "aws_s3_bucket",
                        "name": "logs",
                        "provider_name": "terraform.example/hashicorp/aws",
                        "values": {"id": "logs", "bucket": "logs", "secret_thing": "x"},
                        "sensitive_values": {},
                    }
                ],
                "child_modules": [
                    {
                        "address": "module.app",
                        "resources": [
                            {
                                "address": "module.app.aws_lambda_function.api[0]",
                                "mode": "managed",
                                "type": "aws_lambda_function",
                                "name": "api",
                                "index": 0,
                                "provider_name": "terraform.example/hashicorp/aws",
                                "values": {
                                    "id": "api",
                                    "runtime": "python3.12",
                                    "arn": "arn:x",
                                    "name": "api",
                                },
                                "sensitive_values": {"arn": True},
                                "depends_on": ["aws_s3_bucket.logs"],
                            }
                        ],
                    }
                ],
            },
        },
    }
    snapshot = _parse(show, "show.json")
    assert snapshot.errors == []
    fn = snapshot.items["tf:prod:module.app.aws_lambda_function.api[0]"]
    assert fn.kind == "compute" and "arn" not in fn.attributes
    assert fn.attributes["runtime"] == "python3.12"
    assert "secret_thing" not in snapshot.items["tf:prod:aws_s3_bucket.logs"].attributes
    assert (
        "tf:prod:module.app.aws_lambda_function.api[0]",
        "depends_on",
        "tf:prod:aws_s3_bucket.logs",
    ) in {(r.source, r.type, r.target) for r in snapshot.relations}
    assert "hunter2" not in json.dumps([i.data() for i in snapshot.items.values()])


def test_malformed_json_reports_the_line():
    snapshot = parse_content('{\n  "version": 4,\n  "resources": [\n}', "bad.tfstate", OPTIONS)
    [error] = snapshot.errors
    assert error.origin.line == 4 and error.message.startswith("malformed JSON")
