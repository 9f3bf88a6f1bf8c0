"""Kubernetes manifests and `kubectl get -o json` lists into the CMDB."""
