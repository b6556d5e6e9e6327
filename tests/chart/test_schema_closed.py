"""Every object in values.schema.json is closed to unknown keys, and an open one (seeded) is found."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest
import yaml
from chart_manifests import SECRETS

from harness import helm
from harness.checks.manifests import (
    MISSPELT_KEY,
    misspelt_values,
    open_schema_objects,
    paths_refusing,
    value_object_paths,
)
from harness.paths import REPO
from harness.proc import CommandError

SCHEMA = json.loads((REPO / "chart" / "values.schema.json").read_text())


def test_the_chart_schema_has_no_open_object() -> None:
    assert open_schema_objects(SCHEMA) == []


def test_an_object_left_open_is_found_with_its_path() -> None:
    schema = copy.deepcopy(SCHEMA)
    backend = schema["properties"]["backend"]
    del backend["additionalProperties"]  # what a forgotten line in the schema looks like
    assert open_schema_objects(schema) == ["#/properties/backend"]


def test_a_typed_map_is_closed_and_an_untyped_one_is_not() -> None:
    typed = {"type": "object", "additionalProperties": {"type": "string"}}
    untyped = {"type": "object", "additionalProperties": {}}
    assert open_schema_objects({"properties": {"a": typed}, "additionalProperties": False}) == []
    assert open_schema_objects({"properties": {"a": untyped}, "additionalProperties": False}) == [
        "#/properties/a"
    ]


def test_every_value_object_is_probed_and_helm_refuses_a_misspelt_key_in_each(tmp_path: Path) -> None:
    """The SC-017 step's mechanism on the real chart: one render with a misspelt key in every object."""
    values = yaml.safe_load((REPO / "chart" / "values.yaml").read_text())
    paths = value_object_paths(values, SCHEMA)
    assert {"", "/backend", "/backend/resources/limits", "/chatbot/llm", "/postgres/persistence"} <= set(
        paths
    )
    override = tmp_path / "misspelt.yaml"
    override.write_text(yaml.safe_dump(misspelt_values(paths)))
    with pytest.raises(CommandError) as refused:
        helm.template(values_files=[override], set_values=SECRETS)
    assert set(paths) - paths_refusing(refused.value.stderr) == set()


def test_an_object_left_open_in_a_chart_copy_accepts_the_misspelt_key_and_is_named(tmp_path: Path) -> None:
    """The seeded defect: chatbot.llm loses `additionalProperties: false` in a copy of the chart."""
    chart = tmp_path / "chart"
    shutil.copytree(REPO / "chart", chart)
    schema = copy.deepcopy(SCHEMA)
    del schema["properties"]["chatbot"]["properties"]["llm"]["additionalProperties"]
    (chart / "values.schema.json").write_text(json.dumps(schema))
    values = yaml.safe_load((chart / "values.yaml").read_text())
    paths = value_object_paths(values, schema)
    override = tmp_path / "misspelt.yaml"
    override.write_text(yaml.safe_dump(misspelt_values(paths)))
    with pytest.raises(CommandError) as refused:
        helm.template(chart, values_files=[override], set_values=SECRETS)
    assert set(paths) - paths_refusing(refused.value.stderr) == {"/chatbot/llm"}


def test_refusals_are_read_from_helms_error_lines_including_a_typed_maps_type_error() -> None:
    error = (
        "- at '/backend': validation failed\n"
        "  - at '/backend/resources': additional properties 'zzMisspelt' not allowed\n"
        "  - at '/backend': additional properties 'other', 'zzMisspelt' not allowed\n"
        "- at '/podAnnotations/zzMisspelt': got boolean, want string\n"
        "- at '/config': additional properties 'somethingElse' not allowed\n"
    )
    assert paths_refusing(error) == {"/backend/resources", "/backend", "/podAnnotations"}
    assert misspelt_values(["", "/a/b"]) == {MISSPELT_KEY: True, "a": {"b": {MISSPELT_KEY: True}}}
