"""The `local` target: a real single-node Kubernetes run as host processes (like hack/local-up-cluster.sh).

Kubernetes, CoreDNS, kube-router and our volume provisioner are built from Go modules (local_build); etcd,
containerd, runc and the CNI plugins come from Debian packages. Everything the cluster writes lives under one
state directory (STATE/local-cluster): certificates, kubeconfigs, configs, pids, logs, etcd data, containerd
root/state, kubelet root, volumes. Components are started detached (own session) so they outlive the caller,
and `ensure_up` finds a healthy cluster in about a second, restarting whatever died.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import signal
import ssl
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import IO, Any

import httpx

from harness.clusters import local_build, local_config, local_host
from harness.clusters.base import ClusterInfo
from harness.clusters.local_config import (
    APISERVER_PORT,
    CNI_BIN,
    CNI_BRIDGE,
    CNI_NETWORK,
    DNS_IP,
    DOMAIN,
    ETCD_PORT,
    KUBE_ROUTER_USER,
    NODE_IP,
    NODE_LABEL,
    NODE_NAME,
    NODE_PORT_RANGE,
    PROVISIONER_USER,
    SERVICE_CIDR,
    SERVICE_IP,
)
from harness.clusters.local_images import Containerd, ImageSpec
from harness.clusters.local_manifests import LEGACY_LOCAL_PATH_OBJECTS, addons
from harness.clusters.local_pki import Pki
from harness.log import get_logger
from harness.paths import STATE, ensure
from harness.proc import CommandError, Daemon, run, running_program, which
from harness.timeouts import DEFAULT_TIMEOUTS, Timeouts
from harness.waits import wait_until

log = get_logger("local-cluster")

# how the state dir is laid out and the components wired; a running cluster of another layout is never mixed
# with this one (2: etcd client-cert TLS, apiserver/kubelet on the node address, kube-router, host record)
LAYOUT = "2"
CAP_SYS_RESOURCE = 24
# the volume provisioner of older harnesses (rancher's local-path-provisioner, through helper pods): a state
# dir it ran in is taken over in place (see _retire_local_path_provisioner)
LEGACY_PROVISIONER = "local-path-provisioner"
# The state dir on a tmpfs (see _mount_state_dir): "0" keeps it on disk. Its size is a ceiling, not a
# reservation: a run keeps about 1 GB there (images, their unpacked snapshots, etcd, volumes, logs).
TMPFS_ENV = "TCB_LOCAL_TMPFS"
TMPFS_SIZE = 8 << 30
TMPFS_MIN_AVAILABLE = 6 << 30  # less memory available than this: the state dir stays on disk


@dataclass
class Component:
    name: str
    argv: Callable[[], list[str]]
    health: Callable[[], tuple[bool, str]]
    start_timeout: float | None = None  # None: the cluster's Timeouts.cluster_component


class LocalCluster:
    name = "local"

    def __init__(
        self,
        state_dir: Path | None = None,
        cgroup_root: str | None = None,
        timeouts: Timeouts = DEFAULT_TIMEOUTS,
    ) -> None:
        self.dir = state_dir or STATE / "local-cluster"
        self.timeouts = timeouts  # how long each start wait may take (--timeout-scale in an acceptance run)
        # the kubelet's cgroup parent; a second cluster (the isolated cycle, or a developer's cluster in its
        # own netns with TCB_STATE and TCB_CGROUP_ROOT set) uses its own
        self.cgroup_root = cgroup_root or os.environ.get("TCB_CGROUP_ROOT", "/")
        self.pki = Pki(self.dir / "pki")
        self.kubeconfig = self.dir / "kubeconfig"  # admin (system:masters), the cluster's private kubeconfig
        self.bins = local_build.binaries()
        self.sock = self.dir / "run" / "containerd" / "containerd.sock"
        self.containerd = Containerd(self.sock)
        self._started: list[str] = []
        self._daemons: dict[str, Daemon] = {}  # what this object started: exact exit status
        # Docker images to move to the node while the control plane starts, or how to get them once built
        self._preload: Sequence[str] | Callable[[], Sequence[str]] = []

    # ---- Cluster protocol -------------------------------------------------------------------------------
    def available(self) -> tuple[bool, str]:
        if os.geteuid() != 0:
            return False, "the local cluster runs kubelet/containerd as host processes and needs root"
        programs = ("etcd", "containerd", "runc", "ctr", "iptables", "ipset", "ip")
        missing = [p for p in programs if not which(p)]
        if missing:
            return False, f"{', '.join(missing)} not found: run `scripts/setup` (Debian packages)"
        if not (CNI_BIN / "bridge").exists():
            return False, f"CNI plugins missing in {CNI_BIN}: install containernetworking-plugins"
        built = "cached" if local_build.is_built() else "to be built (~15 min on 2 cores)"
        version = local_build.k8s_version()
        return True, f"Kubernetes {version} from Go modules ({built}), node parts from Debian"

    @property
    def _lock_path(self) -> Path:
        return ensure(self.dir.parent) / f"{self.dir.name}.lock"

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        """One start/stop at a time across processes (tests, the CLI and the acceptance run may overlap)."""
        with open(self._lock_path, "w") as lock:
            if not _try_lock(lock):
                log.info("waiting for another process to finish starting/stopping the local cluster")
                fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def ensure_up(self) -> ClusterInfo:
        with self._exclusive():
            return self._ensure_up()

    def _ensure_up(self) -> ClusterInfo:
        started = time.monotonic()
        self._started = []
        self.bins = local_build.build_all() if not local_build.is_built() else self.bins
        self._check_layout()
        self._prepare_host()
        self._write_config()
        components = {c.name: c for c in self._components()}
        # start what depends only on the host together; the apiserver boots while images are imported
        for name in ("etcd", "containerd", "kube-apiserver"):
            self._start(components[name])
        self._wait_healthy(components["containerd"])
        node_images = self._in_thread("node-images", self._ensure_node_images)
        preload = self._start_preload()
        for name in ("etcd", "kube-apiserver"):
            self._wait_healthy(components[name])
        self._apply_addons()
        later = [
            c
            for name, c in components.items()
            if name not in ("etcd", "containerd", "kube-apiserver", "kube-router")
        ]
        for component in later:
            if component.name == "kubelet":
                # the pause, CoreDNS and helper images must be on the node before the kubelet can start a pod
                # (it would try to pull them from a registry that does not exist, and back off)
                node_images.result()
            self._start(component)
        for component in later:
            self._wait_healthy(component)
        self._wait_node_registered()
        # the network-policy controller reads the node object (its address selects the pods it guards)
        self._start(components["kube-router"])
        self._wait_ready()  # node and CoreDNS get ready while kube-router syncs
        self._wait_healthy(components["kube-router"])
        if preload is not None:
            preload.result()  # raises what the image move raised
        log.info(
            "local cluster ready in %.1f s (%s): kubeconfig %s",
            time.monotonic() - started,
            f"started {', '.join(self._started)}" if self._started else "already running",
            self.kubeconfig,
        )
        return self.info()

    def info(self) -> ClusterInfo:
        return ClusterInfo(
            target=self.name,
            kubeconfig=self.kubeconfig,
            context="tcb-local",
            node_address="127.0.0.1",
            started_by_us="etcd" in self._started,  # the whole cluster was down, not one component
            notes={
                "kubernetes": local_build.k8s_version(),
                "node": NODE_NAME,
                "node_ip": NODE_IP,
                "kubectl": f"{self.bins.k8s_bin('kubectl')} --kubeconfig {self.kubeconfig}",
                "state_dir": str(self.dir),
                "coredns": local_build.COREDNS_VERSION,
                "storage": f"{local_build.PROVISIONER_NAME} (tcb-provisioner, StorageClass standard)",
                "network_policy": f"kube-router {local_build.KUBE_ROUTER_VERSION} (netpol controller)",
            },
        )

    def load_images(self, images: list[str]) -> None:
        self.containerd.load_from_docker(images)

    def preload(self, images: Sequence[str] | Callable[[], Sequence[str]]) -> None:
        """Images the next `ensure_up` moves to the node while the control plane starts (the acceptance run
        knows them before the cluster is up: `load_images` then finds them there). A callable is called in
        the moving thread, once containerd answers: the images may still be building as the cluster starts."""
        self._preload = images

    def _start_preload(self) -> Future[None] | None:
        """`load_images` of the preloaded images in a thread (containerd answers by now); None if none."""
        if not self._preload:
            return None
        source, self._preload = self._preload, []

        def move() -> None:
            images = list(source() if callable(source) else source)
            if images:
                self.containerd.load_from_docker(images)

        return self._in_thread("preload-images", move)

    @staticmethod
    def _in_thread(name: str, work: Callable[..., None], *args: Any) -> Future[None]:
        """`work(*args)` in a thread of its own; the future raises what it raised."""
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        future = executor.submit(work, *args)
        executor.shutdown(wait=False)
        return future

    def status(self) -> dict[str, str]:
        """Each component: `running (healthy)`, `running (<why not healthy>)` or `stopped`."""
        result: dict[str, str] = {}
        for component in self._components():
            pid = self._pid(component.name)
            if pid is None:
                result[component.name] = "stopped"
                continue
            try:
                ok, seen = component.health()
            except Exception as exc:
                ok, seen = False, f"{type(exc).__name__}: {exc}"
            result[component.name] = f"running pid {pid} ({'healthy' if ok else seen})"
        return result

    def teardown(self) -> None:
        """Stop every component and pod, then remove mounts, iptables chains, interfaces and the state dir."""
        with self._exclusive():
            self._teardown()
            self._lock_path.unlink(missing_ok=True)

    def _teardown(self) -> None:
        log.info("tearing down the local cluster in %s", self.dir)
        steps: list[tuple[str, float]] = []
        began = time.monotonic()

        def step(name: str) -> None:  # the seconds since the step before, for the closing line
            nonlocal began
            now = time.monotonic()
            steps.append((name, now - began))
            began = now

        # side by side: none of them waits for another to be gone (each stop is SIGTERM, a wait, SIGKILL)
        self._stop_side_by_side(
            "kube-router",
            "tcb-provisioner",
            LEGACY_PROVISIONER,  # a cluster started by an older harness
            "kube-proxy",
            "kubelet",
            "kube-scheduler",
            "kube-controller-manager",
        )
        step("node components")
        if self._pid("containerd") is not None:
            for container in self._stop_pods():
                # libcni's result cache (not configurable in containerd 1.6) lives outside the state dir
                for cached in Path("/var/lib/cni/results").glob(f"{CNI_NETWORK}-{container}-*"):
                    cached.unlink()
        step("pods")
        # a graceful stop keeps nothing the state dir's removal below does not discard
        self._stop_side_by_side(
            "containerd", "kube-apiserver", "etcd", timeout=self.timeouts.discarded_daemon_stop, warn=False
        )
        self._kill_leftover_shims()
        step("containerd, API server, etcd")
        self._unmount_all()
        step("mounts")
        # sysctls back first (route_localnet before the rule that protects it goes), then chains and ipsets
        local_host.restore(local_host.HostRecord.load(self._host_record))
        run(["ip", "link", "delete", CNI_BRIDGE], check=False, quiet=True)
        local_host.remove_unmapped_service_address_refusal()
        local_host.remove_service_range_route_rule(SERVICE_CIDR, CNI_BRIDGE)
        run(["ip", "addr", "delete", f"{NODE_IP}/32", "dev", "lo"], check=False, quiet=True)
        step("host settings, links, rules")
        self._remove_cgroups()
        step("cgroups")
        for log_link in Path("/var/log/containers").glob("*.log"):
            if log_link.is_symlink() and str(self.dir) in os.readlink(log_link):
                log_link.unlink()
        self._remove_state_dir()
        step("the state dir")
        log.info(
            "local cluster removed in %.1fs (%s)",
            sum(seconds for _, seconds in steps),
            ", ".join(f"{name} {seconds:.1f}s" for name, seconds in steps),
        )

    # ---- layout and configuration -----------------------------------------------------------------------
    def _p(self, *parts: str) -> Path:
        return self.dir.joinpath(*parts)

    @property
    def volumes_dir(self) -> Path:
        """Where each volume is a directory (the provisioner's root)."""
        return self._p("data", "volumes")

    @property
    def _host_record(self) -> Path:
        return self._p("run", "host-before.json")

    def _check_layout(self) -> None:
        """Never mix layouts: a stopped cluster of another layout is removed, a running one is refused."""
        stamp = self._p("run", "layout")
        layout = (
            stamp.read_text().strip() if stamp.exists() else ("1" if self._p("data").exists() else LAYOUT)
        )
        if layout == LAYOUT:
            return
        running = [c.name for c in self._components() if self._pid(c.name) is not None]
        if running:
            raise RuntimeError(
                f"the local cluster in {self.dir} was started by an older harness (layout {layout}, this one "
                f"is {LAYOUT}) and is running ({', '.join(running)}): run `tcb cluster down`, then `up` "
                "(~20 s with cached binaries; every namespace on it is lost)"
            )
        log.info(
            "removing the stopped local cluster of layout %s (this harness uses layout %s)", layout, LAYOUT
        )
        self._teardown()

    def _mount_state_dir(self) -> None:
        """A cluster started from nothing keeps its state on a tmpfs: all of it is thrown away at teardown,
        and on disk that took 6.7 s for the ~1 GB of a release's images, snapshots and volumes (13.6 s in a
        busy acceptance run, beside its reports): this machine's ext4 is mounted with `discard`, so every
        freed block is trimmed as it goes. Unmounted at teardown, it is gone at once. A state dir that holds
        anything (a running cluster, one started on disk) stays where it is."""
        if os.environ.get(TMPFS_ENV, "1") == "0" or os.path.ismount(self.dir):
            return
        if self.dir.is_dir() and any(self.dir.iterdir()):
            return
        available = _memory_available()
        if available < TMPFS_MIN_AVAILABLE:
            log.info(
                "the cluster's state stays on disk in %s: %d MiB of memory available (a tmpfs needs %d)",
                self.dir,
                available >> 20,
                TMPFS_MIN_AVAILABLE >> 20,
            )
            return
        ensure(self.dir)
        run(
            ["mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE},mode=0755", "tcb-local-cluster", str(self.dir)]
        )
        log.info(
            "the cluster's state on a tmpfs at %s (at most %d GiB; %s=0 keeps it on disk)",
            self.dir,
            TMPFS_SIZE >> 30,
            TMPFS_ENV,
        )

    def _remove_state_dir(self) -> None:
        if os.path.ismount(self.dir):  # a tmpfs (_mount_state_dir): everything on it goes with it
            run(["umount", "--lazy", str(self.dir)], check=False, quiet=True)
        shutil.rmtree(self.dir, ignore_errors=True)

    def _prepare_host(self) -> None:
        self._mount_state_dir()
        for sub in ("run", "logs", "config/cni", "data"):
            ensure(self._p(sub))
        self._p("run", "layout").write_text(LAYOUT)
        if not self._host_record.exists():
            # before anything of ours touches the host: what teardown puts back
            local_host.record().save(self._host_record)
        if self.cgroup_root != "/":
            # the kubelet insists that its cgroup root exists in every hierarchy
            for hierarchy in Path("/sys/fs/cgroup").iterdir():
                if (hierarchy / "cgroup.procs").exists():
                    ensure(hierarchy / self.cgroup_root.strip("/"))
        local_host.add_node_address(NODE_IP, NODE_LABEL)
        local_host.route_pod_traffic()
        local_host.guard_service_range(SERVICE_CIDR)
        local_host.refuse_unmapped_service_addresses_from_pods(SERVICE_CIDR, CNI_BRIDGE)
        local_host.guard_node_address(NODE_IP, CNI_BRIDGE)

    def _write_config(self) -> None:
        self.pki.ensure(NODE_NAME, NODE_IP, SERVICE_IP)
        server = f"https://{NODE_IP}:{APISERVER_PORT}"
        self.pki.write_kubeconfig(self.kubeconfig, "admin", server)
        for user in (
            "controller-manager",
            "scheduler",
            "kubelet",
            "kube-proxy",
            "volume-provisioner",
            "kube-router",
        ):
            self.pki.write_kubeconfig(self._p("config", f"{user}.kubeconfig"), user, server)
        # AppArmor profiles need both the kernel module and apparmor_parser (this VM kernel has no AppArmor)
        apparmor = Path("/sys/module/apparmor").exists() and which("apparmor_parser") is not None
        files = local_config.config_files(
            self.dir,
            sock=self.sock,
            cgroup_root=self.cgroup_root,
            pki=self.pki.path,
            pause_image=self.pause_image.ref,
            apparmor=apparmor,
            sys_resource=_has_capability(CAP_SYS_RESOURCE),
        )
        for rel, text in files.items():
            path = self._p(rel)
            if not path.exists() or path.read_text() != text:
                path.write_text(text)

    # ---- images the node itself needs (no registry) -----------------------------------------------------
    @cached_property
    def pause_image(self) -> ImageSpec:
        return ImageSpec("localhost/tcb/pause", "3.10", {"/pause": self.bins.pause}, ["/pause"])

    @cached_property
    def coredns_image(self) -> ImageSpec:
        return ImageSpec(
            "localhost/tcb/coredns",
            local_build.COREDNS_VERSION,
            {"/coredns": self.bins.coredns},
            ["/coredns"],
        )

    @cached_property
    def busybox_image(self) -> ImageSpec:
        """Debian's static busybox with every applet linked in /bin: for tests' pods."""
        busybox = Path("/bin/busybox")
        version = run([str(busybox)], check=False, quiet=True).stdout.split()[1].lstrip("v")
        applets = run([str(busybox), "--list"], quiet=True).stdout.split()
        return ImageSpec(
            "localhost/tcb/busybox",
            version,
            {"/bin/busybox": busybox},
            [],
            cmd=["sh"],  # like Docker Hub's busybox: a pod's `command`/`args` run as given
            symlinks={f"/bin/{a}": "busybox" for a in applets if a != "busybox"},
            dirs=("tmp", "etc"),
        )

    def _ensure_node_images(self) -> None:
        for spec in (self.pause_image, self.coredns_image, self.busybox_image):
            self.containerd.ensure_image(spec)

    # ---- components ---------------------------------------------------------------------------------------
    def _components(self) -> list[Component]:
        k8s, pki, cfg = self.bins.k8s_bin, self.pki.path, lambda n: str(self._p("config", n))
        return [
            Component(
                "etcd",
                lambda: [
                    "etcd",
                    "--name",
                    NODE_NAME,
                    "--data-dir",
                    str(self._p("data", "etcd")),
                    # loopback only, and only for holders of a certificate of the cluster's CA (the apiserver)
                    "--listen-client-urls",
                    f"https://127.0.0.1:{ETCD_PORT}",
                    "--advertise-client-urls",
                    f"https://127.0.0.1:{ETCD_PORT}",
                    "--client-cert-auth",
                    f"--trusted-ca-file={pki('ca.crt')}",
                    f"--cert-file={pki('etcd.crt')}",
                    f"--key-file={pki('etcd.key')}",
                    "--listen-peer-urls",
                    f"https://127.0.0.1:{ETCD_PORT + 1}",
                    "--initial-advertise-peer-urls",
                    f"https://127.0.0.1:{ETCD_PORT + 1}",
                    "--initial-cluster",
                    f"{NODE_NAME}=https://127.0.0.1:{ETCD_PORT + 1}",
                    "--peer-client-cert-auth",
                    f"--peer-trusted-ca-file={pki('ca.crt')}",
                    f"--peer-cert-file={pki('etcd.crt')}",
                    f"--peer-key-file={pki('etcd.key')}",
                    "--listen-metrics-urls",
                    "",
                    "--quota-backend-bytes",
                    str(4 << 30),
                ],
                lambda: self._http(
                    f"https://127.0.0.1:{ETCD_PORT}/health", '"health":"true"', client="apiserver-etcd-client"
                ),
            ),
            Component(
                "containerd",
                lambda: ["containerd", "--config", cfg("containerd.toml")],
                self._containerd_health,
            ),
            Component(
                "kube-apiserver",
                lambda: [
                    str(k8s("kube-apiserver")),
                    f"--etcd-servers=https://127.0.0.1:{ETCD_PORT}",
                    f"--etcd-cafile={pki('ca.crt')}",
                    f"--etcd-certfile={pki('apiserver-etcd-client.crt')}",
                    f"--etcd-keyfile={pki('apiserver-etcd-client.key')}",
                    f"--advertise-address={NODE_IP}",
                    f"--bind-address={NODE_IP}",  # pods reach it there (Service 10.96.0.1); not other hosts
                    f"--secure-port={APISERVER_PORT}",
                    f"--service-cluster-ip-range={SERVICE_CIDR}",
                    f"--service-node-port-range={NODE_PORT_RANGE}",
                    "--allow-privileged=true",
                    "--authorization-mode=Node,RBAC",
                    "--enable-admission-plugins=NodeRestriction",
                    f"--client-ca-file={pki('ca.crt')}",
                    f"--tls-cert-file={pki('apiserver.crt')}",
                    f"--tls-private-key-file={pki('apiserver.key')}",
                    f"--kubelet-client-certificate={pki('apiserver-kubelet-client.crt')}",
                    f"--kubelet-client-key={pki('apiserver-kubelet-client.key')}",
                    f"--kubelet-certificate-authority={pki('ca.crt')}",
                    "--kubelet-preferred-address-types=InternalIP",
                    f"--service-account-key-file={pki('sa.pub')}",
                    f"--service-account-signing-key-file={pki('sa.key')}",
                    "--service-account-issuer=https://kubernetes.default.svc",
                    "--profiling=false",
                    "--v=1",
                ],
                lambda: self._http(f"https://{NODE_IP}:{APISERVER_PORT}/readyz", "ok", client="admin"),
                self.timeouts.apiserver,
            ),
            Component(
                "kube-controller-manager",
                lambda: [
                    str(k8s("kube-controller-manager")),
                    f"--kubeconfig={cfg('controller-manager.kubeconfig')}",
                    f"--authentication-kubeconfig={cfg('controller-manager.kubeconfig')}",
                    f"--authorization-kubeconfig={cfg('controller-manager.kubeconfig')}",
                    f"--service-account-private-key-file={pki('sa.key')}",
                    f"--root-ca-file={pki('ca.crt')}",
                    f"--cluster-signing-cert-file={pki('ca.crt')}",
                    f"--cluster-signing-key-file={pki('ca.key')}",
                    "--use-service-account-credentials=true",
                    "--leader-elect=false",
                    f"--service-cluster-ip-range={SERVICE_CIDR}",
                    "--bind-address=127.0.0.1",
                    "--v=1",
                ],
                lambda: self._http("https://127.0.0.1:10257/healthz", "ok"),
            ),
            Component(
                "kube-scheduler",
                lambda: [
                    str(k8s("kube-scheduler")),
                    f"--kubeconfig={cfg('scheduler.kubeconfig')}",
                    f"--authentication-kubeconfig={cfg('scheduler.kubeconfig')}",
                    f"--authorization-kubeconfig={cfg('scheduler.kubeconfig')}",
                    "--leader-elect=false",
                    "--bind-address=127.0.0.1",
                    "--v=1",
                ],
                lambda: self._http("https://127.0.0.1:10259/healthz", "ok"),
            ),
            Component(
                "kubelet",
                lambda: [
                    str(k8s("kubelet")),
                    f"--config={cfg('kubelet.yaml')}",
                    f"--kubeconfig={cfg('kubelet.kubeconfig')}",
                    f"--root-dir={self._p('data', 'kubelet')}",
                    f"--hostname-override={NODE_NAME}",
                    f"--node-ip={NODE_IP}",
                    "--v=1",
                ],
                lambda: self._http("http://127.0.0.1:10248/healthz", "ok"),
            ),
            Component(
                "kube-proxy",
                lambda: [str(k8s("kube-proxy")), f"--config={cfg('kube-proxy.yaml')}", "--v=1"],
                lambda: self._http("http://127.0.0.1:10256/healthz", ""),
            ),
            Component(
                # volumes: makes each claim's directory itself (no helper pod) and serves it as a hostPath PV
                # pinned to the node; also serves the volumes of rancher.io/local-path, which state dirs from
                # before used (gobuild/provisioner, docs/local-cluster.md)
                "tcb-provisioner",
                lambda: [
                    str(self.bins.provisioner),
                    f"--kubeconfig={cfg('volume-provisioner.kubeconfig')}",
                    f"--provisioner-name={local_build.PROVISIONER_NAME}",
                    f"--also-serve={local_build.LEGACY_PROVISIONER_NAME}",
                    f"--root={self.volumes_dir}",
                    f"--node-name={NODE_NAME}",
                    "--v=2",
                ],
                lambda: (True, "no health endpoint (it would be a listener); the process is alive"),
            ),
            Component(
                # NetworkPolicy enforcement: kube-router with only its network-policy controller (iptables +
                # ipset), on the host like the other components; no health port (it would listen on all
                # addresses): healthy once its chains are hooked into the filter table
                "kube-router",
                lambda: [
                    str(self.bins.kube_router),
                    f"--kubeconfig={cfg('kube-router.kubeconfig')}",
                    f"--hostname-override={NODE_NAME}",
                    "--run-firewall=true",
                    "--run-router=false",
                    "--run-service-proxy=false",
                    "--run-loadbalancer=false",
                    f"--service-cluster-ip-range={SERVICE_CIDR}",
                    f"--service-node-port-range={NODE_PORT_RANGE}",
                    "--enable-ipv4=true",
                    "--enable-ipv6=false",
                    "--health-port=0",
                    "--metrics-port=0",
                    "--v=1",
                ],
                self._kube_router_health,
            ),
        ]

    def _kube_router_health(self) -> tuple[bool, str]:
        rules = run(["iptables-save", "-t", "filter"], check=False, quiet=True).stdout.splitlines()
        hooked = {
            hook
            for hook in ("INPUT", "FORWARD", "OUTPUT")
            for r in rules
            if r.startswith(f"-A {hook} ") and f"-j KUBE-ROUTER-{hook}" in r
        }
        missing = sorted({"INPUT", "FORWARD", "OUTPUT"} - hooked)
        return not missing, f"KUBE-ROUTER-* chains not hooked into {', '.join(missing)} yet"

    def _http(self, url: str, expect: str, *, client: str | None = None) -> tuple[bool, str]:
        tls = self._client_tls(client) if client else False
        response = httpx.get(url, verify=tls, timeout=2)  # one probe of a health wait, not a wait
        return (
            response.status_code == 200 and expect in response.text,
            f"{response.status_code} {response.text[:200]}",
        )

    def _client_tls(self, client: str = "admin") -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.pki.path("ca.crt")))
        context.load_cert_chain(self.pki.path(f"{client}.crt"), self.pki.path(f"{client}.key"))
        return context

    def _api_get(self, path: str) -> dict[str, Any]:
        """GET an object from the apiserver (cheaper than spawning kubectl for the readiness checks)."""
        url = f"https://{NODE_IP}:{APISERVER_PORT}{path}"
        response = httpx.get(url, verify=self._client_tls(), timeout=5)  # one probe's call, not a wait
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    def _containerd_health(self) -> tuple[bool, str]:
        if not self.sock.exists():
            return False, f"no socket {self.sock} yet"
        out = self.containerd.ctr("plugins", "ls", quiet=True)
        cri = [
            line for line in out.splitlines() if "io.containerd.grpc.v1" in line and " cri " in f" {line} "
        ]
        return bool(cri) and all(" ok" in line for line in cri), "\n".join(cri) or "no CRI plugin listed"

    def _pid_file(self, name: str) -> Path:
        return self._p("run", f"{name}.pid")

    def _pid(self, name: str) -> int | None:
        """The component's pid if that process is alive and still runs the component's program."""
        try:
            pid = int(self._pid_file(name).read_text())
        except (OSError, ValueError):
            return None
        return pid if running_program(pid) == name else None

    def _daemon(self, component: Component) -> Daemon:
        return self._daemons.get(component.name) or Daemon(
            component.name,
            component.argv(),
            self._p("logs", f"{component.name}.log"),
            health=component.health,
            pid_file=self._pid_file(component.name),
            cwd=self.dir,
            program=component.name,
        )

    def _start(self, component: Component) -> None:
        """Spawn it unless it runs (detached: a daemon outlives this call)."""
        daemon = self._daemon(component)
        if daemon.start():
            self._daemons[component.name] = daemon
            self._started.append(component.name)

    def _wait_healthy(self, component: Component) -> None:
        self._daemon(component).wait_healthy(component.start_timeout or self.timeouts.cluster_component)

    # ---- add-ons and readiness --------------------------------------------------------------------------
    def kubectl(self, *args: str, input: str | None = None, quiet: bool = False) -> str:
        return run(
            [str(self.bins.k8s_bin("kubectl")), f"--kubeconfig={self.kubeconfig}", *args],
            input=input,
            quiet=quiet,
        ).stdout

    def _apply_addons(self) -> None:
        manifest = addons(
            coredns_image=self.coredns_image.ref,
            dns_ip=DNS_IP,
            domain=DOMAIN,
            provisioner=local_build.PROVISIONER_NAME,
            provisioner_user=PROVISIONER_USER,
            kube_router_user=KUBE_ROUTER_USER,
        )
        stamp = self._p("run", "addons.sha256")
        digest = hashlib.sha256(manifest.encode()).hexdigest()
        if stamp.exists() and stamp.read_text() == digest:
            return
        log.info("applying cluster add-ons (RBAC, CoreDNS, StorageClass)")
        self._retire_local_path_provisioner()
        # the default namespace/RBAC bootstrap of a fresh apiserver can lag /readyz by a moment
        wait_until(
            "the apiserver to accept the add-ons",
            lambda: (
                bool(
                    self.kubectl(
                        "apply",
                        "--server-side",
                        "--force-conflicts",
                        "--field-manager=tcb-local",
                        "-f",
                        "-",
                        input=manifest,
                        quiet=True,
                    )
                ),
                "applied",
            ),
            timeout=self.timeouts.cluster_addons,
            interval=1,
        )
        stamp.write_text(digest)

    def _retire_local_path_provisioner(self) -> None:
        """Take over a state dir where an older harness ran rancher's local-path-provisioner: stop it, delete
        its namespace and RBAC, and recreate the StorageClass `standard` if it names another provisioner (the
        field is immutable, so apply would fail). Its volumes stay: the new provisioner serves
        rancher.io/local-path's PVs too (same directory layout), and bound claims keep their PVs."""
        legacy_log = self._p("logs", f"{LEGACY_PROVISIONER}.log")
        if legacy_log.exists():
            self._stop(LEGACY_PROVISIONER)
            self.kubectl(
                "delete", "--ignore-not-found", "--wait=false", *LEGACY_LOCAL_PATH_OBJECTS, quiet=True
            )
            legacy_log.rename(legacy_log.with_name(f"{legacy_log.name}.old"))
        try:
            storage_class = self._api_get("/apis/storage.k8s.io/v1/storageclasses/standard")
        except httpx.HTTPStatusError as exc:
            if exc.response.status_code == 404:
                return
            raise
        if storage_class.get("provisioner") != local_build.PROVISIONER_NAME:
            log.info(
                "StorageClass standard names provisioner %s: recreating it for %s",
                storage_class.get("provisioner"),
                local_build.PROVISIONER_NAME,
            )
            self.kubectl("delete", "storageclass", "standard", "--ignore-not-found", quiet=True)

    def _wait_node_registered(self) -> None:
        def registered() -> tuple[bool, str]:
            try:
                self._api_get(f"/api/v1/nodes/{NODE_NAME}")
            except httpx.HTTPStatusError as exc:
                return False, f"GET node: {exc.response.status_code}"
            return True, "registered"

        wait_until(
            f"node {NODE_NAME} to be registered by the kubelet",
            registered,
            timeout=self.timeouts.node_registered,
            interval=0.2,
        )

    def _wait_ready(self) -> None:
        def node_ready() -> tuple[bool, str]:
            node = self._api_get(f"/api/v1/nodes/{NODE_NAME}")
            conditions = {c["type"]: c for c in node["status"].get("conditions", [])}
            ready = conditions.get("Ready", {})
            return ready.get("status") == "True", f"Ready={ready.get('status')} {ready.get('message', '')}"

        def dns_ready() -> tuple[bool, str]:
            status = self._api_get("/apis/apps/v1/namespaces/kube-system/deployments/coredns").get(
                "status", {}
            )
            return status.get("readyReplicas", 0) >= 1, f"coredns status {status.get('conditions', status)}"

        wait_until(
            f"node {NODE_NAME} to be Ready", node_ready, timeout=self.timeouts.node_ready, interval=0.5
        )
        wait_until("CoreDNS to be Ready", dns_ready, timeout=self.timeouts.node_ready, interval=0.5)

    # ---- teardown helpers -------------------------------------------------------------------------------
    def _stop(self, name: str, timeout: float = DEFAULT_TIMEOUTS.daemon_stop, *, warn: bool = True) -> None:
        daemon = self._daemons.pop(name, None) or Daemon(
            name, [name], self._p("logs", f"{name}.log"), pid_file=self._pid_file(name)
        )
        daemon.stop(timeout, warn=warn)

    def _stop_side_by_side(
        self, *names: str, timeout: float = DEFAULT_TIMEOUTS.daemon_stop, warn: bool = True
    ) -> None:
        with ThreadPoolExecutor(len(names), thread_name_prefix="stop") as pool:
            for stopped in [pool.submit(self._stop, name, timeout, warn=warn) for name in names]:
                stopped.result()

    def _stop_pods(self) -> list[str]:
        """Kill every container and sandbox (the kubelet is stopped already), drop their netns; return ids."""
        netns: set[str] = set()
        containers = self.containerd.ctr("containers", "ls", "-q", quiet=True).split()

        def ctr_quietly(*args: str) -> str:
            with contextlib.suppress(CommandError):
                return self.containerd.ctr(*args, quiet=True)
            return ""

        # one `ctr` process per container and call: run side by side (22 containers took 3 s one by one)
        with ThreadPoolExecutor(8, thread_name_prefix="ctr") as pool:
            for info in pool.map(lambda c: ctr_quietly("containers", "info", c), containers):
                with contextlib.suppress(json.JSONDecodeError):
                    spec = json.loads(info or "{}").get("Spec", {})
                    for ns in spec.get("linux", {}).get("namespaces", []):
                        if ns.get("type") == "network" and ns.get("path"):
                            netns.add(ns["path"])
            listed = self.containerd.ctr("tasks", "ls", quiet=True).splitlines()[1:]
            tasks = [line.split()[0] for line in listed]
            if tasks:
                log.info("killing %d pod container(s)", len(tasks))
            list(pool.map(lambda t: ctr_quietly("tasks", "kill", "--all", "--signal", "SIGKILL", t), tasks))

        def stopped() -> tuple[bool, str]:
            listing = self.containerd.ctr("tasks", "ls", quiet=True).splitlines()[1:]
            running = [line for line in listing if "STOPPED" not in line]
            return not running, "\n".join(running)

        if tasks:
            wait_until(
                "pod containers to stop", stopped, timeout=self.timeouts.containers_stopped, interval=0.2
            )
        with ThreadPoolExecutor(8, thread_name_prefix="ctr") as pool:
            list(pool.map(lambda t: ctr_quietly("tasks", "delete", t), tasks))
        for path in netns:
            local_host.release_netns(path)
        return containers

    def _kill_leftover_shims(self) -> None:
        """Shims of our containerd (identified by our socket on their command line) must not outlive it."""
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            with contextlib.suppress(OSError):
                cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                if "containerd-shim" in cmdline and str(self.sock) in cmdline:
                    os.kill(int(proc.name), signal.SIGKILL)

    def _unmount_all(self) -> None:
        """Unmount everything under the state dir, deepest first (kubelet volumes, container rootfs, shm)."""
        prefix = str(self.dir) + "/"
        for _ in range(3):
            under = {m for m in local_host.mount_points() if m.startswith(prefix)}
            ours = sorted(under, key=len, reverse=True)
            if not ours:
                return
            run(["umount", "--lazy", *ours], check=False, quiet=True)  # one umount for all of them

    def _remove_cgroups(self) -> None:
        for hierarchy in Path("/sys/fs/cgroup").iterdir():
            top = hierarchy / self.cgroup_root.strip("/") / "kubepods"
            if not top.is_dir():
                continue
            for path in sorted(
                (p for p in top.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True
            ):
                with contextlib.suppress(OSError):
                    path.rmdir()
            with contextlib.suppress(OSError):
                top.rmdir()
            if self.cgroup_root != "/":
                with contextlib.suppress(OSError):
                    top.parent.rmdir()


def _has_capability(bit: int) -> bool:
    """Whether this process may use the capability (bounding set: what root can have here)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("CapBnd:"):
            return bool(int(line.split()[1], 16) >> bit & 1)
    return True


def _memory_available() -> int:
    """MemAvailable of /proc/meminfo in bytes (0 if unreadable)."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) << 10
    return 0


def _try_lock(lock: IO[str]) -> bool:
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
