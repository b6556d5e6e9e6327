"""The local cluster's layout (node and Service addresses, ports, names) and the configuration files of its
components (kubelet, kube-proxy, the pod network, containerd), rendered from the state directory and what
the host offers. Pure: nothing here starts a process or changes the host (harness/clusters/local_host.py
does, harness/clusters/local.py orchestrates)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import yaml

NODE_NAME = "tcb-local"
# the node IP: a fixed private address on lo survives a VM without (or with a changing) default route, needs
# no dummy-interface driver (this kernel has none), and is not a loopback address, so Kubernetes accepts it
NODE_LABEL = "lo:tcb"
NODE_IP = "10.254.0.1"
POD_CIDR = "10.244.0.0/24"
SERVICE_CIDR = "10.96.0.0/12"
SERVICE_IP = "10.96.0.1"  # first address of SERVICE_CIDR: the `kubernetes` Service
DNS_IP = "10.96.0.10"
DOMAIN = "cluster.local"
CNI_NETWORK = "tcb-pods"
CNI_BRIDGE = "tcb-cni0"
CNI_BIN = Path("/usr/lib/cni")  # Debian's containernetworking-plugins
ETCD_PORT = 12379  # not 2379: Debian's etcd-server package may run its own etcd
APISERVER_PORT = 6443
PROVISIONER_USER = "tcb:volume-provisioner"
KUBE_ROUTER_USER = "tcb:kube-router"
NODE_PORT_RANGE = "30000-32767"
# NodePorts answer on loopback and the node address only, not on the host's other interfaces
NODE_PORT_ADDRESSES = ["127.0.0.0/8", f"{NODE_IP}/32"]


def config_files(
    state_dir: Path,
    *,
    sock: Path,
    cgroup_root: str,
    pki: Callable[[str], Path],
    pause_image: str,
    apparmor: bool,
    sys_resource: bool,
) -> dict[str, str]:
    """Each configuration file, by its path under the state dir: kubelet.yaml, kube-proxy.yaml, the CNI
    conflist and containerd.toml. `apparmor`: the host can load AppArmor profiles; `sys_resource`: this
    process holds CAP_SYS_RESOURCE (runc may lower a pod's oom_score_adj)."""
    kubelet = {
        "apiVersion": "kubelet.config.k8s.io/v1beta1",
        "kind": "KubeletConfiguration",
        "failCgroupV1": False,  # 1.35 refuses cgroup v1 hosts unless told otherwise (KEP-5573)
        # must match containerd's SystemdCgroup=false: containerd 1.6 cannot report its driver
        "cgroupDriver": "cgroupfs",
        "containerRuntimeEndpoint": f"unix://{sock}",
        "imageServiceEndpoint": f"unix://{sock}",
        "address": NODE_IP,  # the apiserver reaches the kubelet at the node IP; nothing else needs it
        "port": 10250,
        "healthzBindAddress": "127.0.0.1",
        "healthzPort": 10248,
        "readOnlyPort": 0,
        "tlsCertFile": str(pki("kubelet-serving.crt")),
        "tlsPrivateKeyFile": str(pki("kubelet-serving.key")),
        "rotateCertificates": False,
        "authentication": {
            "anonymous": {"enabled": False},
            "webhook": {"enabled": True},
            "x509": {"clientCAFile": str(pki("ca.crt"))},
        },
        "authorization": {"mode": "Webhook"},
        "clusterDNS": [DNS_IP],
        "clusterDomain": DOMAIN,
        "resolvConf": "/etc/resolv.conf",
        "cgroupRoot": cgroup_root,
        "failSwapOn": False,
        # no registry to pull from: never evict or garbage-collect images, and tolerate a full-ish disk
        "imageGCHighThresholdPercent": 100,
        "imageGCLowThresholdPercent": 99,
        "evictionHard": {
            "memory.available": "100Mi",
            "nodefs.available": "1%",
            "imagefs.available": "1%",
            "nodefs.inodesFree": "1%",
        },
        "podLogsDir": str(state_dir.joinpath("data", "pod-logs")),
        "volumePluginDir": str(state_dir.joinpath("data", "kubelet-plugins")),
        "serializeImagePulls": False,
        "nodeStatusReportFrequency": "10s",
        "syncFrequency": "10s",
        "fileCheckFrequency": "10s",
    }
    proxy = {
        "apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
        "kind": "KubeProxyConfiguration",
        "clientConnection": {"kubeconfig": str(state_dir.joinpath("config", "kube-proxy.kubeconfig"))},
        "hostnameOverride": NODE_NAME,
        "mode": "iptables",
        "clusterCIDR": POD_CIDR,
        "healthzBindAddress": "127.0.0.1:10256",
        "metricsBindAddress": "127.0.0.1:10249",
        # leave conntrack sysctls alone (kube-proxy would otherwise resize the table on a shared host)
        "conntrack": {
            "maxPerCore": 0,
            "min": 0,
            "tcpEstablishedTimeout": "0s",
            "tcpCloseWaitTimeout": "0s",
        },
        "iptables": {"localhostNodePorts": True},  # NodePorts answer on 127.0.0.1 too
        "nodePortAddresses": NODE_PORT_ADDRESSES,
    }
    cni = {
        "cniVersion": "1.0.0",
        "name": CNI_NETWORK,
        "plugins": [
            {
                "type": "bridge",
                "bridge": CNI_BRIDGE,
                "isGateway": True,
                "ipMasq": True,
                "hairpinMode": True,
                "ipam": {
                    "type": "host-local",
                    "ranges": [[{"subnet": POD_CIDR}]],
                    "routes": [{"dst": "0.0.0.0/0"}],
                    "dataDir": str(state_dir.joinpath("data", "cni-ipam")),
                },
            },
            {"type": "portmap", "capabilities": {"portMappings": True}},
            # accepts pod traffic in FORWARD: Docker sets the FORWARD policy to DROP
            {"type": "firewall", "backend": "iptables"},
        ],
    }
    containerd = f"""\
version = 2
root = "{state_dir.joinpath("data", "containerd")}"
state = "{state_dir.joinpath("run", "containerd")}"
disabled_plugins = []
[grpc]
  address = "{sock}"
[ttrpc]
  address = "{sock}.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{pause_image}"
  disable_apparmor = {"false" if apparmor else "true"}
  stream_server_address = "127.0.0.1"
  # clamp pods' oom_score_adj to ours: this VM withholds CAP_SYS_RESOURCE from root, so runc can't lower it
  restrict_oom_score_adj = {"false" if sys_resource else "true"}
  # pods' network namespaces pinned in our state dir, not /run/netns: the first `ip netns add` on the host (an
  # admin, a test) binds /run/netns onto itself recursively, leaving copies of the pins already there beneath
  # it that no umount by path reaches, so their namespaces and veths outlived teardown (CI, 2026-12-02)
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "{state_dir.joinpath("run", "runc")}"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "{CNI_BIN}"
    conf_dir = "{state_dir.joinpath("config", "cni")}"
    max_conf_num = 1
[plugins."io.containerd.internal.v1.opt"]
  path = "{state_dir.joinpath("data", "containerd-opt")}"
"""
    files = {
        "config/kubelet.yaml": yaml.safe_dump(kubelet, sort_keys=False),
        "config/kube-proxy.yaml": yaml.safe_dump(proxy, sort_keys=False),
        "config/cni/10-tcb-pods.conflist": json.dumps(cni, indent=2),
        "config/containerd.toml": containerd,
    }
    return files
