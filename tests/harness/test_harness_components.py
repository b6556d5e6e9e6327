"""The component registry: every port comes from chart/values.yaml, and the layers read it from there."""

from __future__ import annotations

import shutil
import tokenize
from pathlib import Path
from types import SimpleNamespace as NS

import yaml

from harness import components
from harness.paths import REPO
from harness.values import free_node_ports


def _chart_copy(tmp_path: Path, **node_ports: int) -> Path:
    """chart/values.yaml in a scratch chart directory, with some components' NodePorts changed."""
    chart = tmp_path / "chart"
    chart.mkdir()
    shutil.copy(components.CHART / "values.yaml", chart / "values.yaml")
    values = yaml.safe_load((chart / "values.yaml").read_text())
    for name, port in node_ports.items():
        values[name]["service"]["nodePort"] = port
    (chart / "values.yaml").write_text(yaml.safe_dump(values))
    return chart


def _cluster_holding(*held: tuple[str, int]) -> NS:
    items = [
        NS(metadata=NS(namespace=ns, name=f"svc-{port}"), spec=NS(ports=[NS(node_port=port)]))
        for ns, port in held
    ]
    return NS(core=NS(list_service_for_all_namespaces=lambda: NS(items=items)))


def test_ports_are_the_charts():
    values = yaml.safe_load((components.CHART / "values.yaml").read_text())
    assert components.node_ports() == {
        "backend": values["backend"]["service"]["nodePort"],
        "frontend": values["frontend"]["service"]["nodePort"],
    }
    for name in components.APP_COMPONENTS:
        assert components.container_port(name) == values[name]["service"]["port"]
    assert components.container_port("llm-runtime") == values["llmRuntime"]["port"]


def test_every_image_has_a_values_key_in_the_chart():
    values = yaml.safe_load((components.CHART / "values.yaml").read_text())
    missing = {image: key for image, key in components.image_value_keys().items() if key not in values}
    assert not missing, f"components whose values key is not in chart/values.yaml: {missing}"


def test_changing_the_charts_node_port_changes_what_the_conflict_detection_checks(tmp_path):
    chart = _chart_copy(tmp_path, frontend=30090)
    assert components.node_ports(chart)["frontend"] == 30090
    cluster = _cluster_holding(("other", 30090))

    moved: dict[str, str] = {}
    changes = free_node_ports(cluster, "mine", {}, moved, chart=chart)
    assert changes == {"frontend": {"service": {"nodePort": 30100}}}
    assert moved == {"frontend": "30090 is held by other/svc-30090; using 30100"}
    # the chart as it is asks for another port, so the same cluster holds nothing it wants
    assert free_node_ports(cluster, "mine", {}) == {}


def test_the_conflict_detection_uses_the_values_key_of_each_component(tmp_path):
    cluster = _cluster_holding(("other", components.node_ports()["backend"]))
    changes = free_node_ports(cluster, "mine", {})
    assert list(changes) == [components.component("backend").values_key]


# the chart's ports: a layer that writes one as a number restates what the registry reads from the chart
PORTS = {"30080", "30081", "8000", "8001", "3000", "8080"}
# compose.yaml's host-port defaults are compose's own fact, not the chart's
ALLOWED = {"harness/cli/images.py"}


def port_literals(path: Path, root: Path = REPO) -> list[str]:
    """Integer literals in the code (not in strings or comments) that are one of the chart's ports."""
    with path.open("rb") as handle:
        return [
            f"{path.relative_to(root)}:{token.start[0]}: {token.line.strip()}"
            for token in tokenize.tokenize(handle.readline)
            if token.type == tokenize.NUMBER and token.string in PORTS
        ]


def test_no_layer_restates_a_port():
    offenders = [
        found
        for folder in ("harness", "steps")
        for path in sorted((REPO / folder).rglob("*.py"))
        if str(path.relative_to(REPO)) not in ALLOWED
        for found in port_literals(path)
    ]
    assert not offenders, "ports restated instead of read from harness.components:\n" + "\n".join(offenders)


def test_the_port_scan_finds_a_restated_port(tmp_path):
    module = tmp_path / "restates.py"
    module.write_text('URL = "http://x:3000"  # 8000\nPORT = 8001\n')
    assert port_literals(module, tmp_path) == ["restates.py:2: PORT = 8001"]
