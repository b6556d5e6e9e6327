"""One pyhelm3 client per helm binary and cluster: a new client runs `helm version` first, and the acceptance
run makes dozens of helm calls through new `Helm` objects."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import helm as helm_module
from harness.helm import Helm


def test_helm_objects_for_one_cluster_share_a_client_and_ask_helm_its_version_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    helm_module._pyhelm3_client.cache_clear()
    asked = []
    original = helm_module.pyhelm3.Client

    def counting(*args: object, **kwargs: object) -> object:
        asked.append(kwargs.get("kubeconfig"))
        return original(*args, **kwargs)

    monkeypatch.setattr(helm_module.pyhelm3, "Client", counting)
    one, other = tmp_path / "one", tmp_path / "other"
    first = Helm(one, "ctx").client()
    assert Helm(one, "ctx").client() is first
    assert Helm(other, "ctx").client() is not first  # another cluster: its own client
    assert Helm(one, "other-ctx").client() is not first
    assert asked == [one, other, one]
    helm_module._pyhelm3_client.cache_clear()
