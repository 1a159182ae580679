"""The node side of a multi-node run: the payload (a zipapp of the engine) plans a validated
document with the node's system Python, importing none of jsonschema, rich, click, Jinja2
(nor yaml or fastjsonschema): the controller validated and rendered it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import example
from provisioner.payload import build
from provisioner.validate import validate_file
from sandbox import REPO, Sandbox

pytestmark = pytest.mark.kernel
CONTROLLER_ONLY = ("jsonschema", "rich", "click", "jinja2", "yaml", "fastjsonschema")
PROBE = """import json, runpy, sys
sys.argv = [sys.argv[1]]
try:
    runpy.run_path(sys.argv[0], run_name="__main__")
except SystemExit as exc:
    print(json.dumps({"exit": exc.code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""


def test_payload_plans_without_the_controllers_libraries(sandbox: Sandbox, tmp_path: Path) -> None:
    pyz = build(tmp_path / "cache")
    assert build(tmp_path / "cache") == pyz, "built once per content"
    doc = validate_file(REPO / example("08")).document
    assert doc is not None
    request = json.dumps({"document": doc.data, "node": "node1", "state": "present", "check": True})
    res = sandbox.run(["/usr/bin/python3", "-c", PROBE, str(pyz)], input=request, check=False)
    probe = json.loads(res.stderr.strip().splitlines()[-1])
    assert probe["exit"] == 2, res.stdout + res.stderr
    plan = json.loads(res.stdout)["plan"]
    assert plan["lab"] == "two-nodes" and plan["nodes"][0]["node"] == "node1" and plan["changes_present"]
    loaded = {m.split(".")[0] for m in probe["modules"]}
    assert not loaded & set(CONTROLLER_ONLY), loaded & set(CONTROLLER_ONLY)
    assert "provisioner.validate" not in probe["modules"] and "provisioner.loader" not in probe["modules"]


def test_a_bad_request_is_a_message(sandbox: Sandbox, tmp_path: Path) -> None:
    pyz = build(tmp_path / "cache")
    res = sandbox.run(["/usr/bin/python3", str(pyz)], input='{"node": "n"}', check=False)
    assert res.returncode == 1 and json.loads(res.stdout)["error"] == "the request has no document (a JSON object), nor a lab to destroy"
    assert "Traceback" not in res.stderr


@pytest.mark.parametrize("raw, why", [
    ({"node": "n1", "command": "rm"}, "command must be one of check, show, exec"),
    ({"node": "n1", "command": "exec", "namespace": "pod-a"}, "exec needs a namespace"),
    ({"node": "n1", "command": "exec", "namespace": "pod-a", "argv": "id; rm -rf /"}, "exec needs a namespace"),
    ({"node": "n1", "command": "exec", "namespace": "pod-a", "argv": [1, 2]}, "exec needs a namespace"),
    ({"node": "n1", "command": "check"}, "the request has no document"),
])
def test_a_command_request_of_the_wrong_shape_is_refused(raw: dict, why: str) -> None:
    from provisioner.node import NodeRequest

    with pytest.raises(ValueError, match=why):
        NodeRequest.of(raw)


def test_exec_on_a_node_runs_only_in_a_namespace_of_a_topo_lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """The node names no namespace a lab of its records does not hold: an error, nothing run."""
    import io

    from provisioner.node import main

    monkeypatch.setenv("TOPO_STATE_DIR", str(tmp_path / "state"))
    request = {"command": "exec", "namespace": "someone-elses", "argv": ["true"]}
    out = io.StringIO()
    assert main(io.StringIO(json.dumps(request)), out, ["--node", "n1"]) == 1
    assert out.getvalue() == ""
    assert "someone-elses is not a namespace of any topo lab on this machine" in capsys.readouterr().err


def test_a_payload_another_topo_is_using_is_not_pruned(tmp_path: Path) -> None:
    """Topos of other versions or checkouts share the cache: building ours removes only the
    payloads nobody used for a week, never one another run may be copying right now."""
    import os
    import time

    cache = tmp_path / "cache"
    cache.mkdir()
    recent, stale = cache / "topo-node-0.0.9-aaaa.pyz", cache / "topo-node-0.0.8-bbbb.pyz"
    recent.write_bytes(b"in use"), stale.write_bytes(b"old")
    week_ago = time.time() - 8 * 24 * 3600
    os.utime(stale, (week_ago, week_ago))
    ours = build(cache)
    assert sorted(p.name for p in cache.glob("topo-node-*.pyz")) == sorted([ours.name, recent.name])
