"""The Terraform source, declared: formats, keys, kinds, and the attributes it may keep.

Keys are ``tf:{scope}:{address}`` (``tf:prod:module.db.aws_db_instance.main[0]``); the scope (the
source name unless set) keeps equal addresses in different states apart. A resource tagged
``guardrail.io/entity = resource:default/artists-db`` *is* that Backstage entity: its key is the
entity's, so the two sources merge into one item.

State files can hold secrets in plain text. guardrail keeps only the attributes named in
KEPT_ATTRIBUTES, drops any of those that the state marks sensitive or whose name looks secret,
and never reads outputs or the ``private`` blob.
"""

from __future__ import annotations

import re

NAME = "terraform"
STATE_FORMAT = 4
SHOW_FORMAT_MAJOR = "1"
TAG_SERVICE_KEYS = ("guardrail.io/service", "service", "Service")
TAG_ENTITY = "guardrail.io/entity"

KEPT_ATTRIBUTES = frozenset(
    {
        "id",
        "arn",
        "name",
        "name_prefix",
        "identifier",
        "cluster_identifier",
        "engine",
        "engine_version",
        "instance_class",
        "instance_type",
        "node_type",
        "availability_zone",
        "region",
        "location",
        "zone",
        "project",
        "vpc_id",
        "subnet_id",
        "cidr_block",
        "bucket",
        "dns_name",
        "endpoint",
        "address",
        "port",
        "hostname",
        "family",
        "runtime",
        "version",
        "queue_url",
        "url",
        "self_link",
        "tags",
        "labels",
        "kind",
        "sku",
        "tier",
    }
)
SECRET_NAME = re.compile(r"pass(word)?|secret|token|private|credential|api_?key|cert", re.I)

# Resource type patterns -> CMDB item kind; the first match wins.
KIND_PATTERNS = (
    (
        re.compile(
            r"(db_instance|rds_cluster|sql_database|sql_server|_database$|dynamodb_table|"
            r"docdb|neptune|redshift|cosmosdb|spanner|bigtable|elasticache|redis|memcache)"
        ),
        "database",
    ),
    (
        re.compile(
            r"(sqs_queue|sns_topic|pubsub|kinesis|msk_cluster|eventhub|servicebus|mq_broker)"
        ),
        "queue",
    ),
    (re.compile(r"(s3_bucket$|storage_bucket$|storage_account$)"), "storage"),
    (re.compile(r"(eks_cluster|container_cluster|kubernetes_cluster|ecs_cluster)"), "cluster"),
    (re.compile(r"(_instance$|compute_instance|virtual_machine|lambda_function)"), "compute"),
    (
        re.compile(
            r"(vpc$|subnet|security_group|route|nat_gateway|internet_gateway|eip$|lb$|"
            r"load_balancer|network)"
        ),
        "network",
    ),
)
