"""Every object in values.schema.json is closed to unknown keys, and an open one (seeded) is found."""

from __future__ import annotations

import copy
import json

from harness.checks.manifests import open_schema_objects
from harness.paths import REPO

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
