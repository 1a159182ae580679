"""The quick schema check (fastjsonschema) and the detailed one (jsonschema) must agree: a file
the quick one refuses is never accepted because the detailed one found nothing to say."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest

from provisioner import validate
from provisioner.loader import load


def test_pattern_dollar_is_the_end_of_the_text() -> None:
    errors = list(validate._validator().iter_errors({"name": "lab\n"}))
    assert [e.validator for e in errors] == ["pattern"]


def test_a_refusal_the_detailed_validator_misses_is_still_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class Silent:
        def iter_errors(self, data: Any) -> Iterator[Any]:
            return iter(())

    monkeypatch.setattr(validate, "_validator", lambda: Silent())
    lab = tmp_path / "lab.yaml"
    lab.write_text("name: lab\nbridges:\n  br0: {mac: 'zz'}\n")
    result = validate.validate_document(load(lab))
    assert not result.ok
    [diag] = result.diagnostics
    assert (diag.line, diag.column, diag.path) == (3, 14, ("bridges", "br0", "mac"))
    assert "must match pattern" in diag.message
