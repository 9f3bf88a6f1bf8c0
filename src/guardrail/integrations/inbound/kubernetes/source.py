"""The Kubernetes source, declared: kinds, keys, what relations objects imply, what is never kept.

Keys are ``k8s:{scope}:{kind}:{namespace}/{name}`` (cluster-scoped kinds drop the namespace); the
scope (the source name unless set) tells clusters apart, and the manifests in Git and a
``kubectl get -o json`` dump of the same cluster share one scope so that their items merge.
Secrets and ConfigMaps are kept by name only: their data never leaves the file.
"""

from __future__ import annotations

NAME = "kubernetes"
LIST_KIND_SUFFIX = "List"

WORKLOAD_KINDS = frozenset(
    {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"}
)
# Kubernetes kind -> CMDB item kind.
KINDS = {
    **{kind: "workload" for kind in WORKLOAD_KINDS},
    "Namespace": "namespace",
    "Service": "k8s_service",
    "Ingress": "ingress",
    "ConfigMap": "configmap",
    "Secret": "secret",
    "ServiceAccount": "k8s_object",
    "PersistentVolumeClaim": "volume",
    "PersistentVolume": "volume",
    "StorageClass": "k8s_object",
    "HorizontalPodAutoscaler": "k8s_object",
    "PodDisruptionBudget": "k8s_object",
    "NetworkPolicy": "k8s_object",
    "Role": "k8s_object",
    "RoleBinding": "k8s_object",
    "ClusterRole": "k8s_object",
    "ClusterRoleBinding": "k8s_object",
    "CustomResourceDefinition": "k8s_object",
}
CLUSTER_SCOPED = frozenset(
    {
        "Namespace",
        "PersistentVolume",
        "StorageClass",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
    }
)
# Objects whose content is never stored beyond name, namespace, type and labels.
NAME_ONLY = frozenset({"Secret", "ConfigMap"})
# Annotations never stored (the last applied configuration can carry a Secret's data).
DROPPED_ANNOTATIONS = frozenset({"kubectl.kubernetes.io/last-applied-configuration"})
