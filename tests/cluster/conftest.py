"""Fixtures for the local cluster's tests: the cluster itself (session), API clients, a throwaway namespace
and a tiny locally built image (busybox httpd, built by Docker, moved into the node with load_images)."""

from __future__ import annotations

import hashlib
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from kubernetes import client, config

from harness.clusters.base import ClusterInfo
from harness.clusters.local import LocalCluster
from harness.clusters.select import keep_local_cluster


@pytest.fixture(scope="session")
def local_cluster() -> Iterator[ClusterInfo]:
    """The running local cluster; stopped at the end only if this session started it (and TCB_KEEP_CLUSTER
    is not "1": `.ci/run` sets it to "0")."""
    cluster = LocalCluster()
    ok, why = cluster.available()
    if not ok:
        pytest.skip(f"local cluster not usable here: {why}")
    info = cluster.ensure_up()
    yield info
    if info.started_by_us and not keep_local_cluster():
        cluster.teardown()


@pytest.fixture(scope="session")
def api(local_cluster: ClusterInfo) -> client.ApiClient:
    return config.new_client_from_config(
        config_file=str(local_cluster.kubeconfig), context=local_cluster.context
    )


@pytest.fixture(scope="session")
def core(api: client.ApiClient) -> client.CoreV1Api:
    return client.CoreV1Api(api)


@pytest.fixture(scope="session")
def apps(api: client.ApiClient) -> client.AppsV1Api:
    return client.AppsV1Api(api)


@pytest.fixture
def namespace(core: client.CoreV1Api) -> Iterator[str]:
    name = f"tcb-test-{uuid.uuid4().hex[:8]}"
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    yield name
    core.delete_namespace(name)


@pytest.fixture(scope="session")
def httpd_page() -> str:
    return "hello from the tcb local cluster\n"


@pytest.fixture(scope="session")
def httpd_image(local_cluster: ClusterInfo, tmp_path_factory: pytest.TempPathFactory, httpd_page: str) -> str:
    """A locally built image (FROM scratch + Debian's static busybox running httpd on 8080), tagged with its
    content hash, built by the Docker engine and loaded into the node like the app images are."""
    from harness.docker_engine import ensure_docker_engine

    docker = ensure_docker_engine()
    context = tmp_path_factory.mktemp("httpd-image")
    shutil.copy2("/bin/busybox", context / "busybox")
    (context / "index.html").write_text(httpd_page)
    dockerfile = (
        "FROM scratch\n"
        "COPY busybox /bin/busybox\n"
        "COPY index.html /www/index.html\n"
        "USER 65534:65534\n"
        'ENTRYPOINT ["/bin/busybox", "httpd", "-f", "-v", "-p", "8080", "-h", "/www"]\n'
    )
    (context / "Dockerfile").write_text(dockerfile)
    digest = hashlib.sha256()
    for name in ("Dockerfile", "busybox", "index.html"):
        digest.update(Path(context / name).read_bytes())
    ref = f"todo-chatbot-test/httpd:{digest.hexdigest()[:12]}"
    docker.images.build(path=str(context), tag=ref, rm=True)
    LocalCluster().load_images([ref])
    return ref


@pytest.fixture(scope="session")
def busybox_image(local_cluster: ClusterInfo) -> str:
    """The busybox image the cluster itself imports (helper pods), for client pods in tests."""
    return LocalCluster().busybox_image.ref
