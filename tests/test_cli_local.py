"""show, exec and the JSON plan format on a real (sandboxed) kernel."""

from __future__ import annotations

import json

import jsonschema
import pytest

from conftest import example
from sandbox import REPO, Sandbox

pytestmark = pytest.mark.kernel


def plan_schema() -> dict[str, object]:
    return json.loads((REPO / "schemas" / "plan.schema.json").read_text())


def test_plan_json_follows_its_schema(sandbox: Sandbox) -> None:
    res = sandbox.topo("plan", "--json", example("04"), check=False)
    assert res.returncode == 2
    data = json.loads(res.stdout)
    jsonschema.validate(data, plan_schema())
    assert data["changes_present"] is True
    actions = {c["action"] for c in data["nodes"][0]["changes"]}
    assert {"create-namespace", "create-veth", "add-address", "set-route", "set-sysctl"} <= actions
    sandbox.topo("apply", example("04"))
    clean = sandbox.topo("plan", "--json", example("04"), check=False)
    assert clean.returncode == 0
    data = json.loads(clean.stdout)
    jsonschema.validate(data, plan_schema())
    assert data["changes_present"] is False and data["summary"] == {"create": 0, "change": 0, "delete": 0}


def test_show_json_and_table(sandbox: Sandbox) -> None:
    sandbox.topo("apply", example("03"))
    rows = json.loads(sandbox.topo("show", "--json", example("03")).stdout)["interfaces"]
    eth0 = next(r for r in rows if r["namespace"] == "container" and r["interface"] == "eth0")
    assert eth0["addresses"] == ["172.17.42.3/16"] and eth0["peer"] == "(root):h6902" and eth0["state"] == "up"
    port = next(r for r in rows if r["interface"] == "h6902")
    assert port["master"] == "lab-docker0"
    table = sandbox.topo("show", example("03")).stdout
    assert "lab-docker0" in table and "172.17.42.3/16" in table


def test_exec_runs_inside_lab_namespace_with_its_hosts(sandbox: Sandbox) -> None:
    sandbox.topo("apply", example("06"))
    out = sandbox.topo("exec", "pod-httpd", "--", "ip", "-j", "addr", "show", "eth0").stdout
    assert json.loads(out)[0]["addr_info"][0]["local"] == "172.30.0.6"
    hosts = sandbox.topo("exec", "pod-httpd", "--", "cat", "/etc/hosts").stdout
    assert "172.30.0.7\tpod-nginx" in hosts and "Kubernetes-style" in hosts
    sandbox.run("ip netns add not-a-lab")
    refused = sandbox.topo("exec", "not-a-lab", "--", "true", check=False)
    assert refused.returncode == 1 and "not a namespace of any topo lab" in refused.stderr


def test_python_dash_m_works(sandbox: Sandbox) -> None:
    import sys

    res = sandbox.run([sys.executable, "-m", "provisioner", "validate", example("01")])
    assert "valid" in res.stdout
