"""The three service Dockerfiles are generated from one template (harness/images_recipes/dockerfiles.py):
this fails when one drifts from it; the one behavioural difference (the backend's access log) is explicit."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from harness import components
from harness.images_recipes import dockerfiles


def test_every_service_dockerfile_is_what_the_template_renders() -> None:
    stale = dockerfiles.drifted()
    assert not stale, (
        f"{stale} differ from the template: run .venv/bin/python -m harness.images_recipes.dockerfiles"
    )


@pytest.mark.parametrize("edit", ["drop USER", "extra line", "missing"])
def test_a_hand_edited_or_missing_dockerfile_is_reported_as_drifted(tmp_path: Path, edit: str) -> None:
    services = tmp_path / "services"
    shutil.copytree(dockerfiles.SERVICES_DIR, services, ignore=shutil.ignore_patterns("todo_*", "*.egg-info"))
    target = services / "chatbot" / "Dockerfile"
    if edit == "drop USER":
        target.write_text(target.read_text().replace("USER 1001:1001\n", ""))
    elif edit == "extra line":
        target.write_text(target.read_text() + "RUN true\n")
    else:
        target.unlink()
    assert dockerfiles.drifted(services) == [target]
    assert dockerfiles.main(["--check"]) == 0  # the real tree is unaffected


def test_the_services_differ_only_on_the_template_lines_with_placeholders() -> None:
    template = dockerfiles.TEMPLATE.read_text().splitlines()
    texts = {path.parent.name: path.read_text().splitlines() for path in dockerfiles.rendered()}
    assert {len(lines) for lines in texts.values()} == {len(template)}
    differing = {
        number for number in range(len(template)) if len({lines[number] for lines in texts.values()}) > 1
    }
    assert differing  # the names and ports do differ
    assert all("@" in template[number] for number in differing), [template[n] for n in differing]
    no_access_log = {name for name, lines in texts.items() if any('"--no-access-log"' in x for x in lines)}
    assert no_access_log == {"backend"}  # the one behavioural difference, named in the table


def test_a_placeholder_without_a_value_is_refused() -> None:
    spec = dockerfiles.DOCKERFILES[0]
    with pytest.raises(ValueError, match="@UNKNOWN@"):
        spec.render("FROM x\nEXPOSE @UNKNOWN@\n")


def test_package_and_port_come_from_the_component_registry() -> None:
    for spec, (path, text) in zip(dockerfiles.DOCKERFILES, dockerfiles.rendered().items(), strict=True):
        component = components.component(spec.service)
        port = components.container_port(spec.service)
        assert f"EXPOSE {port}\n" in text, path
        assert f'"{component.app_module}", "--host", "0.0.0.0", "--port", "{port}"' in text, path


def test_a_port_changed_in_the_chart_makes_that_dockerfile_drift(tmp_path: Path) -> None:
    """The image must listen where the chart's Service and probes send traffic: the chart's port."""
    chart = tmp_path / "chart"
    chart.mkdir()
    values = yaml.safe_load((components.CHART / "values.yaml").read_text())
    values["chatbot"]["service"]["port"] = 9001
    (chart / "values.yaml").write_text(yaml.safe_dump(values))
    chatbot = dockerfiles.SERVICES_DIR / "chatbot" / "Dockerfile"
    assert dockerfiles.drifted(chart=chart) == [chatbot]
    text = dockerfiles.rendered(chart=chart)[chatbot]
    assert "EXPOSE 9001\n" in text and '"--port", "9001"' in text
