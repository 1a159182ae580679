"""The published topology schema is assembled from the core fragment and one fragment per kind
(provisioner/schema_build.py); no root needed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from provisioner import schema_build
from provisioner.schema_build import (
    PUBLISHED, Fragment, SchemaBuildError, assemble, build, default_kinds, read_fragment,
)

IPVLAN = {
    "contributes": {
        "$defs": {"ipvlan": {"type": "object", "additionalProperties": False, "required": ["parent"],
                              "properties": {"parent": {"type": "string"}, "mtu": {"$ref": "#/$defs/mtu"}}}},
        "top": {"ipvlans": {"type": "object", "additionalProperties": {"$ref": "#/$defs/ipvlan"}}},
        "namespace": {"ipvlans": {"type": "object", "additionalProperties": {"$ref": "#/$defs/ipvlan"}}},
    },
}


def write_kind(root: Path, name: str, fragment: dict[str, Any]) -> Path:
    directory = root / name
    directory.mkdir()
    (directory / "schema.json").write_text(json.dumps(fragment))
    return directory


def default_schema(extra: list[tuple[str, Path]] | None = None) -> dict[str, Any]:
    return json.loads(build(default_kinds() + (extra or [])))


def test_fragments_give_the_published_schema_byte_for_byte() -> None:
    assert build(default_kinds()) == PUBLISHED.read_bytes().decode("utf-8"), (
        "schemas/topology.schema.json differs from its fragments (provisioner/schema_core.json, "
        "provisioner/kinds/*/schema.json): run `python -m provisioner.schema_build`")


def test_check_mode_reports_a_stale_published_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    stale = tmp_path / "topology.schema.json"
    stale.write_text(PUBLISHED.read_text().replace('"vxlans"', '"vxlanz"'))
    monkeypatch.setattr(schema_build, "PUBLISHED", stale)
    assert schema_build.main(["--check"]) == 1
    assert "run `python -m provisioner.schema_build`" in capsys.readouterr().err
    assert schema_build.main([]) == 0
    assert stale.read_text() == PUBLISHED.read_text()
    assert schema_build.main(["--check"]) == 0


def test_every_kind_fragment_contributes() -> None:
    for name, directory in default_kinds():
        fragment = read_fragment(name, directory / "schema.json")
        assert fragment.data.get("contributes"), f"{name}'s fragment adds nothing"


def test_a_new_kind_lands_where_its_slots_say(tmp_path: Path) -> None:
    schema = default_schema([("ipvlan", write_kind(tmp_path, "ipvlan", IPVLAN))])
    assert list(schema["properties"])[-1] == "ipvlans"
    assert list(schema["$defs"]["namespace"]["properties"])[-1] == "ipvlans"
    assert list(schema["$defs"])[-1] == "ipvlan"
    assert "ipvlans" not in schema["$defs"]["node"]["properties"]
    published = json.loads(PUBLISHED.read_text())
    assert list(schema["properties"])[:-1] == list(published["properties"])  # the others keep their places
    assert list(schema["$defs"])[:-1] == list(published["$defs"])
    validator = jsonschema.Draft202012Validator(schema)
    lab = {"name": "lab", "ipvlans": {"mv0": {"parent": "eth0"}},
           "namespaces": {"pod": {"ipvlans": {"mv1": {"parent": "eth0", "mtu": 1400}}}}}
    assert list(validator.iter_errors(lab)) == []
    lab["namespaces"]["pod"]["ipvlans"]["mv1"]["mtu"] = 1  # the shared mtu def applies
    assert [e.validator for e in validator.iter_errors(lab)] == ["minimum"]
    assert list(jsonschema.Draft202012Validator(published).iter_errors({"name": "lab", "ipvlans": {}}))


def test_a_kind_may_declare_a_slot_for_later_kinds(tmp_path: Path) -> None:
    ipvlan = json.loads(json.dumps(IPVLAN))
    ipvlan["slots"] = {"ipvlan": {"at": "/$defs/ipvlan/properties", "order": ["mode", "parent"]}}
    mode = {"contributes": {"ipvlan": {"mode": {"enum": ["bridge", "vepa"]}}}}
    schema = default_schema([("ipvlan", write_kind(tmp_path, "ipvlan", ipvlan)),
                             ("ipvlan_mode", write_kind(tmp_path, "ipvlan_mode", mode))])
    assert list(schema["$defs"]["ipvlan"]["properties"]) == ["mode", "parent", "mtu"]


def kinds_with(tmp_path: Path, name: str, fragment: dict[str, Any]) -> list[tuple[str, Path]]:
    return default_kinds() + [(name, write_kind(tmp_path, name, fragment))]


@pytest.mark.parametrize(("fragment", "message"), [
    ({"contributes": {"top": {"links": {}}}}, "'links' in slot 'top' is already given by veth"),
    ({"contributes": {"$defs": {"mtu": {}}}}, "'mtu' in slot '$defs' is already given by core"),
    ({"contributes": {"link": {"x": {}}}}, "slot 'link', which neither the core nor an earlier kind declares"),
    ({"contributes": {"top": {"x": {"$ref": "#/$defs/nothing"}}}}, "$ref '#/$defs/nothing' names nothing"),
    ({"slots": {"top": {"at": "/properties"}}}, "slot 'top' is already declared by core"),
    ({"slots": {"x": {"at": "/nowhere"}}}, "slot pointer '/nowhere' names nothing"),
    ({"properties": {}}, "unknown fragment field(s) 'properties'"),
])
def test_bad_fragments_are_refused_with_a_message(tmp_path: Path, fragment: dict[str, Any], message: str) -> None:
    with pytest.raises(SchemaBuildError, match="^bad: ") as info:
        build(kinds_with(tmp_path, "bad", fragment))
    assert message in str(info.value)


def test_a_slot_declared_by_a_later_kind_is_not_there_yet(tmp_path: Path) -> None:
    kinds = [(name, path) for name, path in default_kinds() if name != "bridge"]
    kinds.append(("bridge", dict(default_kinds())["bridge"]))
    with pytest.raises(SchemaBuildError, match="veth: contributes to slot 'bridge'"):
        build(kinds)


def test_unreadable_fragment_is_a_message(tmp_path: Path) -> None:
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "schema.json").write_text("{")
    with pytest.raises(SchemaBuildError, match="broken: .* is not valid JSON"):
        build(default_kinds() + [("broken", tmp_path / "broken")])
    with pytest.raises(SchemaBuildError, match="missing: cannot read"):
        build(default_kinds() + [("missing", tmp_path / "missing")])
    with pytest.raises(SchemaBuildError, match="listed twice: veth"):
        build(default_kinds() + [("veth", tmp_path)])


def test_assemble_is_pure() -> None:
    core = read_fragment("core", schema_build.CORE_FRAGMENT)
    before = json.dumps(core.data)
    kinds = [read_fragment(name, path / "schema.json") for name, path in default_kinds()]
    first = assemble(core, kinds)
    first["properties"].clear()
    assert json.dumps(core.data) == before
    assert assemble(core, kinds) == json.loads(PUBLISHED.read_text())
    assert assemble(Fragment("core", {"schema": {"type": "object"}}), []) == {"type": "object"}
