"""The values an install is made of: generated secrets, files, built images and --set, in that order."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.clusters.base import ClusterInfo
from harness.helm import values_tree
from harness.values import free_node_ports, generated_secrets, install_values, merge


@dataclass
class Image:
    repository: str
    tag: str


IMAGES = {
    name: Image(f"todo-chatbot/{name}", f"{name[:3]}123")
    for name in ("backend", "chatbot", "frontend", "postgres")
}


def info(**notes: str) -> ClusterInfo:
    return ClusterInfo(
        "local",
        kubeconfig=Path("/k"),
        context=None,
        node_address="10.0.0.1",
        started_by_us=False,
        notes=dict(notes),
    )


def test_generated_secrets_are_long_random_and_new_each_time():
    first, second = generated_secrets()["secrets"], generated_secrets()["secrets"]
    assert len(first["betterAuthSecret"]) == 48
    assert len(first["postgresPassword"]) >= 24
    assert first["betterAuthSecret"] != second["betterAuthSecret"]
    assert first["postgresPassword"] != second["postgresPassword"]


def test_set_values_become_a_tree_with_typed_scalars_but_tags_stay_strings():
    tree = values_tree(
        [
            "backend.replicaCount=3",
            "postgres.enabled=false",
            "backend.image.tag=0123",
            "config.logLevel=DEBUG",
            "secrets.databaseUrl=postgresql://a:b@h/db",
        ]
    )
    assert tree == {
        "backend": {"replicaCount": 3, "image": {"tag": "0123"}},
        "postgres": {"enabled": False},
        "config": {"logLevel": "DEBUG"},
        "secrets": {"databaseUrl": "postgresql://a:b@h/db"},
    }


def test_a_set_value_without_equals_is_rejected():
    with pytest.raises(ValueError, match="key=value"):
        values_tree(["backend.replicaCount"])


def test_merge_is_deep_and_later_wins():
    assert merge({"a": {"b": 1, "c": 2}, "d": 1}, {"a": {"c": 3}}, {"d": {"e": 1}}) == {
        "a": {"b": 1, "c": 3},
        "d": {"e": 1},
    }


def test_install_values_order(tmp_path):
    values_file = tmp_path / "prod.yaml"
    values_file.write_text(
        "secrets:\n  betterAuthSecret: from-the-users-file-0123456789abcdef\n"
        "backend:\n  replicaCount: 4\n  image:\n    tag: file-tag\n"
    )
    values = install_values(info(), IMAGES, [values_file], ["frontend.replicaCount=3"])
    assert (
        values["secrets"]["betterAuthSecret"] == "from-the-users-file-0123456789abcdef"
    )  # file beats generated
    assert len(values["secrets"]["postgresPassword"]) >= 24  # generated where the file is silent
    assert values["backend"] == {
        "replicaCount": 4,
        "image": {"repository": "todo-chatbot/backend", "tag": "bac123"},
    }
    assert values["frontend"] == {
        "replicaCount": 3,
        "image": {"repository": "todo-chatbot/frontend", "tag": "fro123"},
    }
    assert values["postgres"]["image"] == {"repository": "todo-chatbot/postgres", "tag": "pos123"}


def test_registry_prefixes_the_image_repositories():
    values = install_values(info(image_registry="registry.local:5000"), IMAGES)
    assert values["chatbot"]["image"]["repository"] == "registry.local:5000/todo-chatbot/chatbot"


def test_an_upgrade_keeps_the_release_s_secrets_unless_a_file_sets_them(tmp_path):
    previous = {"betterAuthSecret": "the-old-jwt-secret-0123456789abcdef", "postgresPassword": "old-pg-pass"}
    values = install_values(info(), IMAGES, previous_secrets=previous)
    assert values["secrets"] == previous
    values_file = tmp_path / "rotate.yaml"
    values_file.write_text("secrets:\n  postgresPassword: rotated-by-the-user\n")
    values = install_values(info(), IMAGES, [values_file], previous_secrets=previous)
    assert values["secrets"]["postgresPassword"] == "rotated-by-the-user"
    assert values["secrets"]["betterAuthSecret"] == previous["betterAuthSecret"]


def _services(*held: tuple[str, int]):
    from types import SimpleNamespace as NS

    items = [
        NS(metadata=NS(namespace=ns, name=f"svc-{port}"), spec=NS(ports=[NS(node_port=port)]))
        for ns, port in held
    ]
    return NS(core=NS(list_service_for_all_namespaces=lambda: NS(items=items)))


def test_node_ports_held_by_another_namespace_are_replaced_and_said_why():
    k8s = _services(("other", 30080), ("other", 30100), ("mine", 30081))
    moved: dict[str, str] = {}
    changes = free_node_ports(
        k8s, "mine", {"frontend": {"service": {"type": "NodePort", "nodePort": 30080}}}, moved
    )
    assert changes == {"frontend": {"service": {"nodePort": 30101}}}  # 30100 is taken too; 30081 is ours
    assert moved == {"frontend": "30080 is held by other/svc-30080; using 30101"}


def test_free_node_ports_change_nothing_on_a_clean_cluster():
    assert free_node_ports(_services(), "mine", {}) == {}
