"""Cluster add-ons of the local target, applied server-side with kubectl: RBAC for apiserver→kubelet, CoreDNS
(from Kubernetes' cluster/addons/dns/coredns manifest), kube-router's and the volume provisioner's RBAC, and
the default StorageClass `standard`."""

from __future__ import annotations

COREDNS_MANIFEST = """\
apiVersion: v1
kind: ServiceAccount
metadata: {{name: coredns, namespace: kube-system}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {{name: "system:coredns", labels: {{kubernetes.io/bootstrapping: rbac-defaults}}}}
rules:
- apiGroups: [""]
  resources: [endpoints, services, pods, namespaces]
  verbs: [list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {{name: "system:coredns", labels: {{kubernetes.io/bootstrapping: rbac-defaults}}}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:coredns"}}
subjects: [{{kind: ServiceAccount, name: coredns, namespace: kube-system}}]
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: coredns, namespace: kube-system}}
data:
  Corefile: |
    .:53 {{
        errors
        health {{
            lameduck 5s
        }}
        ready
        kubernetes {domain} in-addr.arpa ip6.arpa {{
            pods insecure
            fallthrough in-addr.arpa ip6.arpa
            ttl 30
        }}
        prometheus :9153
        forward . /etc/resolv.conf {{
            max_concurrent 1000
        }}
        cache 30
        loop
        reload
        loadbalance
    }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: coredns
  namespace: kube-system
  labels: {{k8s-app: kube-dns, kubernetes.io/name: CoreDNS}}
spec:
  replicas: 1
  strategy: {{type: RollingUpdate, rollingUpdate: {{maxUnavailable: 1}}}}
  selector: {{matchLabels: {{k8s-app: kube-dns}}}}
  template:
    metadata: {{labels: {{k8s-app: kube-dns}}}}
    spec:
      priorityClassName: system-cluster-critical
      serviceAccountName: coredns
      tolerations: [{{key: CriticalAddonsOnly, operator: Exists}}]
      nodeSelector: {{kubernetes.io/os: linux}}
      securityContext: {{seccompProfile: {{type: RuntimeDefault}}}}
      dnsPolicy: Default
      containers:
      - name: coredns
        image: {image}
        imagePullPolicy: Never
        resources:
          limits: {{memory: 170Mi}}
          requests: {{cpu: 100m, memory: 70Mi}}
        args: [-conf, /etc/coredns/Corefile]
        volumeMounts: [{{name: config-volume, mountPath: /etc/coredns, readOnly: true}}]
        ports:
        - {{containerPort: 53, name: dns, protocol: UDP}}
        - {{containerPort: 53, name: dns-tcp, protocol: TCP}}
        - {{containerPort: 9153, name: metrics, protocol: TCP}}
        livenessProbe:
          httpGet: {{path: /health, port: 8080, scheme: HTTP}}
          initialDelaySeconds: 60
          timeoutSeconds: 5
          successThreshold: 1
          failureThreshold: 5
        readinessProbe:
          httpGet: {{path: /ready, port: 8181, scheme: HTTP}}
          periodSeconds: 2
        securityContext:
          allowPrivilegeEscalation: false
          capabilities: {{add: [NET_BIND_SERVICE], drop: [ALL]}}
          readOnlyRootFilesystem: true
      volumes:
      - name: config-volume
        configMap:
          name: coredns
          items: [{{key: Corefile, path: Corefile}}]
---
apiVersion: v1
kind: Service
metadata:
  name: kube-dns
  namespace: kube-system
  annotations: {{prometheus.io/port: "9153", prometheus.io/scrape: "true"}}
  labels: {{k8s-app: kube-dns, kubernetes.io/cluster-service: "true", kubernetes.io/name: CoreDNS}}
spec:
  selector: {{k8s-app: kube-dns}}
  clusterIP: {dns_ip}
  ports:
  - {{name: dns, port: 53, protocol: UDP}}
  - {{name: dns-tcp, port: 53, protocol: TCP}}
  - {{name: metrics, port: 9153, protocol: TCP}}
"""

# the volume provisioner (gobuild/provisioner) runs on the host with its own client certificate and makes the
# volume directories itself; it needs the API objects sig-storage-lib-external-provisioner's controller uses
VOLUME_PROVISIONER_MANIFEST = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {{name: "tcb:volume-provisioner"}}
rules:
- apiGroups: [""]
  resources: [persistentvolumeclaims]
  verbs: [get, list, watch, update]
- apiGroups: [""]
  resources: [persistentvolumes]
  verbs: [get, list, watch, create, patch, update, delete]
- apiGroups: [""]
  resources: [events]
  verbs: [create, patch, update]
- apiGroups: [storage.k8s.io]
  resources: [storageclasses]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {{name: "tcb:volume-provisioner"}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "tcb:volume-provisioner"}}
subjects: [{{apiGroup: rbac.authorization.k8s.io, kind: User, name: "{user}"}}]
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations: {{storageclass.kubernetes.io/is-default-class: "true"}}
provisioner: {provisioner}
volumeBindingMode: WaitForFirstConsumer
reclaimPolicy: Delete
"""

# what the rancher.io/local-path add-on of an older harness left in the API (`up` deletes it when it finds its
# log in the state dir; the StorageClass is recreated, its provisioner field being immutable)
LEGACY_LOCAL_PATH_OBJECTS = (
    "namespace/local-path-storage",
    "clusterrole/local-path-provisioner-role",
    "clusterrolebinding/local-path-provisioner-bind",
)

KUBELET_API_RBAC = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: tcb-kube-apiserver-kubelet-api-admin}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:kubelet-api-admin"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: kube-apiserver}]
"""

# kube-router's network-policy controller (runs on the host with its own client certificate): it watches every
# informer its command starts, although only pods, namespaces and policies drive the firewall
KUBE_ROUTER_RBAC = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {{name: "tcb:kube-router"}}
rules:
- apiGroups: [""]
  resources: [namespaces, pods, services, nodes, endpoints]
  verbs: [get, list, watch]
- apiGroups: [networking.k8s.io]
  resources: [networkpolicies]
  verbs: [get, list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {{name: "tcb:kube-router"}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "tcb:kube-router"}}
subjects: [{{apiGroup: rbac.authorization.k8s.io, kind: User, name: "{user}"}}]
"""


def addons(
    *,
    coredns_image: str,
    dns_ip: str,
    domain: str,
    provisioner: str,
    provisioner_user: str,
    kube_router_user: str,
) -> str:
    return "---\n".join(
        [
            KUBELET_API_RBAC,
            KUBE_ROUTER_RBAC.format(user=kube_router_user),
            COREDNS_MANIFEST.format(image=coredns_image, dns_ip=dns_ip, domain=domain),
            VOLUME_PROVISIONER_MANIFEST.format(provisioner=provisioner, user=provisioner_user),
        ]
    )
