"""What a topology file or a node says never becomes a command on the controller (root-free).

- `topo inventory` writes YAML through a serializer and refuses a node host, user or name
  that is not a plain host name / address / POSIX user name (read back by ansible-inventory);
- nothing a node answers names a path or a command on the controller: the controller builds the
  node payload from its own install only (provisioner/payload.py; the former wheels builder,
  which took the node's Python version and machine, is gone);
- the playbook runs no shell, and the topo.lab.lab module checks `lab` with topo's own rule
  before anything uses it;
- host-key checking stays on unless asked to be off.
"""

from __future__ import annotations

import ipaddress
import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from provisioner.fanout import FanoutRequest, _envvars, write_inventory
from provisioner.model import Netns, Node, Place, Topology
from provisioner.names import hostname_problem, lab_name_problem, user_problem
from sandbox import REPO, TOPO, VENV_BIN, Sandbox

PROXY_HOST = "192.0.2.1 ansible_ssh_common_args='-o ProxyCommand=\"touch {marker}\"'"
NEWLINE_USER = "root\n[topo_nodes:vars]\nansible_ssh_common_args=-o ProxyCommand=\"touch {marker}\""


def node(name: str, host: str | None = None, user: str | None = None, underlay: str | None = None) -> Node:
    return Node(name, Netns(Place(name)), host=host, user=user,
                underlay=ipaddress.ip_interface(underlay) if underlay else None)


def lab(*nodes: Node, name: str = "lab") -> Topology:
    return Topology(name, {n.name: n for n in nodes}, implicit_node=False)


def hostvars(inventory: Path) -> dict[str, dict[str, Any]]:
    res = subprocess.run([str(VENV_BIN / "ansible-inventory"), "-i", str(inventory), "--list"],
                         capture_output=True, text=True, check=True)
    listed: dict[str, Any] = json.loads(res.stdout)
    return listed["_meta"]["hostvars"]


# ---- topo inventory ---------------------------------------------------------------------------

def test_inventory_reads_back_as_exactly_the_nodes_values(tmp_path: Path) -> None:
    # values YAML would otherwise read as a float, a bool or null stay the strings they are
    topo = lab(node("node1", "192.0.2.11", "deploy", "192.0.2.11/24"), node("null", "1e3", "yes"),
               node("node3", "2001:db8::3", None, "2001:db8::3/64"), node("on"))
    inv = tmp_path / "inventory.yml"
    inv.write_text(write_inventory(topo))
    assert hostvars(inv) == {
        "node1": {"ansible_host": "192.0.2.11", "ansible_user": "deploy", "underlay_ip": "192.0.2.11"},
        "null": {"ansible_host": "1e3", "ansible_user": "yes"},
        "node3": {"ansible_host": "2001:db8::3", "ansible_user": "root", "underlay_ip": "2001:db8::3"},
        "on": {"ansible_host": "on", "ansible_user": "root"},
    }


@pytest.mark.parametrize("host,user,why", [
    (PROXY_HOST, None, hostname_problem(PROXY_HOST)),
    ("{{ lookup('pipe', 'id') }}", None, hostname_problem("{{ lookup('pipe', 'id') }}")),
    ("192.0.2.1\nevil ansible_host=192.0.2.66", None, hostname_problem("192.0.2.1\nevil ansible_host=192.0.2.66")),
    (None, NEWLINE_USER, user_problem(NEWLINE_USER)),
    (None, "root ansible_become_exe=/tmp/x", user_problem("root ansible_become_exe=/tmp/x")),
    (None, "{{ lookup('pipe', 'id') }}", user_problem("{{ lookup('pipe', 'id') }}")),
], ids=["proxycommand-host", "jinja-host", "newline-host", "newline-user", "space-user", "jinja-user"])
def test_hostile_host_or_user_is_refused_by_the_writer(host: str | None, user: str | None, why: str) -> None:
    with pytest.raises(ValueError) as err:
        write_inventory(lab(node("node1", "192.0.2.11"), node("node2", host, user)))
    assert f"node node2: {why}" in str(err.value)


@pytest.mark.parametrize("name", ["node2 ansible_host=192.0.2.66", "node2:2222", "{{ x }}", "node[1:3]"])
def test_hostile_node_name_is_refused_by_the_writer(name: str) -> None:
    with pytest.raises(ValueError, match="node name: .* is not a valid host name"):
        write_inventory(lab(node("node1"), node(name, "192.0.2.12")))


def multi_node_file(tmp_path: Path, host: str, user: str) -> Path:
    path = tmp_path / "lab.yaml"
    path.write_text(yaml.safe_dump({"name": "hostile", "nodes": {
        "node1": {"host": "192.0.2.11", "underlay": "192.0.2.11/24"},
        "node2": {"host": host, "user": user, "underlay": "192.0.2.12/24"}}}))
    return path


@pytest.mark.parametrize("host,user", [(PROXY_HOST, "root"), ("192.0.2.12", NEWLINE_USER)], ids=["host", "user"])
def test_topo_inventory_writes_nothing_for_a_hostile_file(tmp_path: Path, host: str, user: str) -> None:
    """The reviewer's reproduction: this file made `topo inventory` write an INI line whose
    ansible_ssh_common_args ran a command on the controller. Whatever refuses it (the
    validator or the writer), no inventory is written and the message names the value."""
    marker = tmp_path / "ran"
    out = tmp_path / "inv.yml"
    lab_file = multi_node_file(tmp_path, host.format(marker=marker), user.format(marker=marker))
    res = subprocess.run([TOPO, "inventory", str(lab_file), "-o", str(out)], capture_output=True, text=True)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "is not an IP address or a host name" in res.stderr or "is not a valid user name" in res.stderr, res.stderr
    assert "Traceback" not in res.stderr
    assert not out.exists() and not marker.exists()


def test_topo_inventory_output_is_yaml_ansible_reads(tmp_path: Path) -> None:
    out = tmp_path / "inventory.yml"
    res = subprocess.run([TOPO, "inventory", str(multi_node_file(tmp_path, "node-2.example", "deploy")), "-o", str(out)],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert hostvars(out) == {
        "node1": {"ansible_host": "192.0.2.11", "ansible_user": "root", "underlay_ip": "192.0.2.11"},
        "node2": {"ansible_host": "node-2.example", "ansible_user": "deploy", "underlay_ip": "192.0.2.12"}}


def test_topo_inventory_refuses_an_ini_name(tmp_path: Path) -> None:
    out = tmp_path / "inventory.ini"
    res = subprocess.run([TOPO, "inventory", str(multi_node_file(tmp_path, "192.0.2.12", "root")), "-o", str(out)],
                         capture_output=True, text=True)
    assert res.returncode == 1 and "must end in .yml or .yaml" in res.stderr, res.stderr
    assert not out.exists()


# ---- host keys ---------------------------------------------------------------------------------

def test_host_key_checking_is_on_unless_turned_off_explicitly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # ansible-runner sets ANSIBLE_HOST_KEY_CHECKING=False when the variable is missing: topo sets it
    monkeypatch.delenv("ANSIBLE_HOST_KEY_CHECKING", raising=False)
    req = FanoutRequest(lab(node("node1")), "", tmp_path / "inventory.yml")
    assert _envvars(req)["ANSIBLE_HOST_KEY_CHECKING"] == "True"
    skipping = FanoutRequest(lab(node("node1")), "", tmp_path / "inventory.yml", skip_host_key_check=True)
    assert _envvars(skipping)["ANSIBLE_HOST_KEY_CHECKING"] == "False"
    monkeypatch.setenv("ANSIBLE_HOST_KEY_CHECKING", "False")  # the user's own choice, documented
    assert _envvars(req)["ANSIBLE_HOST_KEY_CHECKING"] == "False"


# ---- the playbook and the module ---------------------------------------------------------------------

def playbook_tasks(doc: object) -> Iterator[dict[str, Any]]:
    if isinstance(doc, list):
        for item in doc:
            yield from playbook_tasks(item)
    elif isinstance(doc, dict):
        yield doc
        for key in ("tasks", "block", "rescue", "always", "pre_tasks", "post_tasks", "handlers"):
            yield from playbook_tasks(doc.get(key))


def test_no_task_runs_a_shell_or_a_templated_command_line() -> None:
    tasks = [t for f in (REPO / "playbooks").rglob("*.yml") for t in playbook_tasks(yaml.safe_load(f.read_text()))]
    assert any("topo.lab.lab" in t for t in tasks)
    assert len(tasks) >= 2
    for task in tasks:
        assert not {"shell", "ansible.builtin.shell", "raw", "ansible.builtin.raw", "script"} & set(task), task["name"]
        for key in ("command", "ansible.builtin.command"):
            if key in task:
                assert isinstance(task[key], dict) and isinstance(task[key].get("argv"), list), task["name"]


def run_module(box: Sandbox, tmp_path: Path, lab_name: str) -> tuple[int, dict[str, Any]]:
    """topo.lab.lab (check mode, state=absent) on localhost in the sandbox, as a playbook runs
    it: its action plugin builds and copies the payload. Returns (exit, the module's result)."""
    args = json.dumps({"lab": lab_name, "state": "absent", "node": "node1"})
    env = {"ANSIBLE_HOME": str(tmp_path / "ansible-home"), "ANSIBLE_LOCAL_TEMP": str(tmp_path / "tmp"),
           "ANSIBLE_REMOTE_TMP": str(tmp_path / "remote-tmp"), "ANSIBLE_NOCOLOR": "1",
           "ANSIBLE_CONFIG": str(tmp_path / "none.cfg"), "ANSIBLE_COLLECTIONS_PATH": str(REPO / "provisioner"),
           "TOPO_PAYLOAD_CACHE": str(tmp_path / "payload"), "TOPO_STATE_DIR": str(tmp_path / "state")}
    res = box.run([str(VENV_BIN / "ansible"), "localhost", "-i", "localhost,", "-c", "local",
                   "-e", f"ansible_python_interpreter={sys.executable}", "-m", "topo.lab.lab", "-a", args, "--check"],
                  check=False, env=env, timeout=120)
    assert " => " in res.stdout, res.stdout + res.stderr
    result: dict[str, Any] = json.loads(res.stdout.split(" => ", 1)[1])
    return res.returncode, result


@pytest.mark.kernel
@pytest.mark.parametrize("lab_name", ["../../x", "lab\n--json", "-rf"])
def test_topo_lab_refuses_a_bad_lab_before_using_it(sandbox: Sandbox, tmp_path: Path, lab_name: str) -> None:
    rc, result = run_module(sandbox, tmp_path, lab_name)
    why = lab_name_problem(lab_name)
    assert rc != 0 and why is not None and result["msg"] == why, result
    assert result.get("plan") is None, "topo planned with the bad lab name"
    assert not (tmp_path / "state").exists()


@pytest.mark.kernel
def test_topo_lab_runs_topo_for_a_good_lab(sandbox: Sandbox, tmp_path: Path) -> None:
    rc, result = run_module(sandbox, tmp_path, "pod-network")
    assert rc == 0, result
    assert result["plan"]["lab"] == "pod-network" and result["plan"]["changes_present"] is False, result
    assert not list((tmp_path / "remote-tmp").iterdir()), "the payload is removed after the task"
