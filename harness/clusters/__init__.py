"""Cluster targets: auto | kubeconfig | kind | minikube | local. See base.Cluster for the contract."""
