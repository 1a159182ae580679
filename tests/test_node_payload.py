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
