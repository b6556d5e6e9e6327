"""The realistic phrasings' split: the held-out half is fixed by the id hash alone; a case can be put in the
development half explicitly (phrasings written after a held-out measurement), never into the held-out half."""

from __future__ import annotations

from pathlib import Path

import pytest

from .realistic import load_cases, split_of


def test_the_held_out_half_is_the_id_hash_and_no_case_is_moved_into_it() -> None:
    cases = load_cases()
    held_out = [c for c in cases if c["split"] == "heldout"]
    assert all(split_of(c["id"]) == "heldout" for c in held_out)
    assert len(held_out) == 153  # the phrasings written before the parser was changed; none added since
    assert len(cases) >= 319 + 99


def test_an_explicit_held_out_split_is_refused(tmp_path: Path) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        "defaults: {client_time: '2026-11-23T10:00:00+00:00'}\nsetups: {empty: []}\ncases:\n"
        "  - {id: sneaky, split: heldout, setup: empty, message: 'hello', intent: greeting}\n"
    )
    with pytest.raises(ValueError, match="explicit split can only be 'dev'"):
        load_cases(cases)
