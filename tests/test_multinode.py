"""Across machines through Ansible: the multi-node example on the simulated test bed.

Three nodes (network namespaces with a real sshd each, tests/testbed.py); the lab uses node1
and node2, node3 must stay untouched. `topo apply|plan|destroy -i INVENTORY` goes through
ansible-runner and playbooks/topo.yml: one topo.lab.lab task per node, which runs topo's
node-side engine from a zipapp copied into Ansible's remote temporary directory (nothing is
installed on a node), over real SSH.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

from conftest import example
from sandbox import REPO, TOPO, Sandbox
from testbed import PYTHON, Testbed

pytestmark = pytest.mark.kernel

LAB = example("08")
NODES = ("node1", "node2")


@pytest.fixture(scope="module")
def bed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Testbed]:
    box = Sandbox(tmp_path_factory.mktemp("mn") / "sandbox").start()
    bed = Testbed(box, tmp_path_factory.mktemp("bed")).start()
    try:
        yield bed
    finally:
        bed.stop()
        box.close()


def topo(bed: Testbed, *args: str, check: bool = True, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    res = bed.sandbox.run([TOPO, *args], check=False, timeout=600, env={**bed.ansible_env(), **(env or {})})
    if check and res.returncode != 0:
        raise AssertionError(f"topo {' '.join(args)} exited {res.returncode}\n{res.stdout}\n{res.stderr}")
    return res


def node_state(bed: Testbed, node: str) -> dict[str, Any]:
    """What destroy must restore on a node, read with independent tools over SSH."""
    def j(cmd: str) -> Any:
        return json.loads(bed.ssh(node, cmd).stdout or "[]")

    return {
        "links": sorted((l["ifname"], l.get("mtu")) for l in j("ip -j link show")),
        "addrs": sorted((a["ifname"], i["local"], i["prefixlen"]) for a in j("ip -j addr show") for i in a["addr_info"]),
        "routes": j("ip -j route show table main"),
        "netns": bed.ssh(node, "ls -A /run/netns").stdout,
        "etc_netns": bed.ssh(node, "ls -A /etc/netns").stdout,
        "hosts": bed.ssh(node, "cat /etc/hosts").stdout,
        "forwarding": bed.ssh(node, "cat /proc/sys/net/ipv4/ip_forward").stdout,
    }


@pytest.fixture(scope="module")
def clean_state(bed: Testbed) -> dict[str, dict[str, Any]]:
    return {n.name: node_state(bed, n.name) for n in bed.nodes}


def node_files(bed: Testbed, node: str) -> str:
    """What topo or Ansible could leave on a node: /opt, /var/lib/topo, ~/.ansible, the node's
    remote temporary directory, and /tmp's entries named as AnsiballZ names topo.lab.lab's and
    as topo's payload is (the rest of /tmp is the machine's, shared with other processes)."""
    remote_tmp = bed.node(node).dir / "ansible-tmp"
    return bed.ssh(node, f"find /opt /var/lib/topo ~/.ansible {remote_tmp} 2>/dev/null; "
                         "find /tmp -maxdepth 1 \\( -name 'ansible_topo.lab.*' -o -name 'topo-node*' \\)", check=False).stdout


def test_plan_before_apply_lists_both_nodes(bed: Testbed, clean_state: dict[str, dict[str, Any]]) -> None:
    before = {n.name: node_files(bed, n.name) for n in bed.nodes}
    res = topo(bed, "plan", LAB, "-i", str(bed.inventory_path()), "--json", check=False)
    assert {n.name: node_files(bed, n.name) for n in bed.nodes} == before, "plan left files on a fresh node"
    assert res.returncode == 2, res.stdout + res.stderr
    doc = json.loads(res.stdout)
    assert [n["node"] for n in doc["nodes"]] == list(NODES)
    assert all(n["summary"]["create"] > 10 for n in doc["nodes"])
    assert {n: node_state(bed, n) for n in clean_state} == clean_state, "plan never changes the network"


def test_apply_through_ansible(bed: Testbed) -> None:
    res = topo(bed, "apply", LAB, "-i", str(bed.inventory_path()))
    for node in NODES:
        assert f"{node}: apply" in res.stdout and "verified" in res.stdout
    bridges = {n: {l["ifname"] for l in json.loads(bed.ssh(n, "ip -j link show type bridge").stdout)} for n in NODES}
    assert bridges == {"node1": {"cni0", "br-l2"}, "node2": {"cni0", "br-l2"}}
    vx = json.loads(bed.ssh("node2", "ip -j -d link show vx-l2").stdout)[0]
    assert vx["linkinfo"]["info_data"]["id"] == 42 and vx["linkinfo"]["info_data"]["local"] == "192.0.2.12"
    assert "00:00:00:00:00:00 dst 192.0.2.11" in bed.ssh("node2", "bridge fdb show dev vx-l2").stdout
    assert bed.ssh("node3", "ls -A /run/netns").stdout == "", "node3 is not in the lab"


@pytest.mark.parametrize("src,dst,ip", [("pod-1a", "pod-2a", "10.244.2.2"), ("pod-1b", "pod-2b", "10.250.0.22")],
                         ids=["routed", "vxlan"])
def test_pod_on_node1_reaches_pod_on_node2(bed: Testbed, src: str, dst: str, ip: str) -> None:
    ping = bed.ssh("node1", f"ip netns exec {src} ping -c1 -W2 {ip}", check=False)
    assert ping.returncode == 0, ping.stdout + ping.stderr
    server = f"ip netns exec {dst} python3 -c \"import socket; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('{ip}', 8080)); s.listen(1); s.settimeout(20); c, a = s.accept(); c.sendall(b'hello from {dst}'); c.close()\""
    proc = bed.sandbox.popen([*bed.ssh_argv("node2"), server])
    try:
        client = ("python3 -c \"import socket, time\nfor i in range(100):\n    try:\n"
                  f"        s = socket.create_connection(('{ip}', 8080), timeout=2); break\n"
                  "    except OSError: time.sleep(0.1)\nprint(s.recv(100).decode())\"")
        out = bed.ssh("node1", f"ip netns exec {src} {client}", timeout=60)
        assert out.stdout.strip() == f"hello from {dst}"
    finally:
        proc.kill()
        proc.wait(timeout=10)


def test_second_apply_changes_nothing_on_any_node(bed: Testbed) -> None:
    res = topo(bed, "apply", LAB, "-i", str(bed.inventory_path()), "--json")
    doc = json.loads(res.stdout)
    assert doc["changed_tasks"] == {"node1": 0, "node2": 0}, doc["changed_tasks"]
    assert doc["changes_present"] is False and not doc["failed_nodes"]


def test_route_deleted_on_node2_is_drift_named_by_plan(bed: Testbed) -> None:
    bed.ssh("node2", "ip route del 10.244.1.0/24")
    res = topo(bed, "plan", LAB, "-i", str(bed.inventory_path()), check=False)
    assert res.returncode == 2, res.stdout + res.stderr
    node2 = res.stdout.split("== node node2", 1)[1]
    assert "+ (root): route 10.244.1.0/24 via 192.0.2.11" in node2
    node1 = res.stdout.split("== node node1", 1)[1].split("== node node2")[0]
    assert "No changes" in node1
    topo(bed, "apply", LAB, "-i", str(bed.inventory_path()))
    assert topo(bed, "plan", LAB, "-i", str(bed.inventory_path()), check=False).returncode == 0


def playbook(bed: Testbed, *args: str) -> subprocess.CompletedProcess[str]:
    """ansible-playbook on the repo's playbook, with the collection found where the package has it."""
    argv = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(bed.inventory_path()),
            str(REPO / "playbooks" / "topo.yml"), "-e", f"topo_file={REPO / LAB}", "--limit", "node1,node2", *args]
    env = {**bed.ansible_env(), "ANSIBLE_COLLECTIONS_PATH": str(REPO / "provisioner")}
    return bed.sandbox.run(argv, check=False, timeout=300, env=env)


def test_plain_ansible_playbook_check_and_diff(bed: Testbed) -> None:
    """Without topo on the controller's command line: ansible-playbook on the playbook, with the
    (templated) file itself; check mode changes nothing and, the lab being up to date, reports
    no change; --diff is accepted by our module."""
    res = playbook(bed, "--check", "--diff")
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    recap = res.stdout.split("PLAY RECAP", 1)[1]
    for node in NODES:
        line = next(l for l in recap.splitlines() if l.startswith(node))
        assert "changed=0" in line and "failed=0" in line, line


def test_plain_ansible_playbook_check_shows_drift_as_a_diff(bed: Testbed) -> None:
    bed.ssh("node1", "ip link set veth-1a down")
    try:
        res = playbook(bed, "--check", "--diff")
        assert res.returncode == 0, res.stdout[-3000:]
        assert "~ (root): link veth-1a: down -> up" in res.stdout, res.stdout[-3000:]
        recap = res.stdout.split("PLAY RECAP", 1)[1]
        assert "changed=1" in next(l for l in recap.splitlines() if l.startswith("node1"))
        assert bed.ssh("node1", "ip -br link show veth-1a").stdout.split()[1] == "DOWN", "check mode changed nothing"
    finally:
        bed.ssh("node1", "ip link set veth-1a up")


def test_inventory_command_names_the_lab_nodes(bed: Testbed, tmp_path: Path) -> None:
    inv = tmp_path / "inventory.yml"
    topo(bed, "inventory", LAB, "-o", str(inv))
    listed = json.loads(subprocess.run([str(Path(sys.executable).parent / "ansible-inventory"), "-i", str(inv), "--list"],
                                       capture_output=True, text=True, check=True).stdout)
    assert listed["_meta"]["hostvars"] == {
        "node1": {"ansible_host": "192.0.2.11", "ansible_user": "root", "underlay_ip": "192.0.2.11"},
        "node2": {"ansible_host": "192.0.2.12", "ansible_user": "root", "underlay_ip": "192.0.2.12"}}
    assert listed["topo_nodes"]["hosts"] == list(NODES)


def test_a_failing_node_is_named_and_the_others_converge(bed: Testbed, tmp_path: Path) -> None:
    # an inventory in which node2 has no usable Python: node1 still converges, node2 is named
    broken = tmp_path / "inventory.yml"
    inv = bed.inventory()
    inv["all"]["children"]["nodes"]["hosts"]["node2"]["ansible_python_interpreter"] = "/nonexistent/python3"  # type: ignore[index]
    import yaml

    broken.write_text(yaml.safe_dump(inv))
    res = topo(bed, "apply", LAB, "-i", str(broken), check=False)
    assert res.returncode == 1
    assert "node node2 failed" in res.stderr
    assert "node1: apply" in res.stdout, res.stdout + res.stderr


def test_fail_fast_stops_every_node(bed: Testbed, tmp_path: Path) -> None:
    broken = tmp_path / "inventory.yml"
    inv = bed.inventory()
    inv["all"]["children"]["nodes"]["hosts"]["node2"]["ansible_python_interpreter"] = "/nonexistent/python3"  # type: ignore[index]
    import yaml

    broken.write_text(yaml.safe_dump(inv))
    res = topo(bed, "apply", LAB, "-i", str(broken), "--fail-fast", check=False)
    assert res.returncode == 1
    assert "node node2 failed" in res.stderr
    assert "node1: apply" not in res.stdout and "node node1 failed" in res.stderr, res.stdout + res.stderr


def test_a_node_whose_host_key_differs_is_refused(bed: Testbed, tmp_path: Path) -> None:
    """Host keys are checked (topo does not turn that off): with node3's key pinned for node2's
    address, node2 fails with a host-key message and nothing runs there; node1 plans as usual."""
    node2, node3 = bed.node("node2"), bed.node("node3")
    bad = bed.write_known_hosts(tmp_path / "known_hosts", {"node2": bed.host_key_line(node3).replace(node3.ip, node2.ip)})
    inv = bed.write_inventory(tmp_path / "inventory.yml", bed.inventory(bad))
    logins = node2.log.read_text().count("Accepted publickey")
    # a fresh ssh control directory: no connection opened by an earlier test is reused
    res = topo(bed, "plan", LAB, "-i", str(inv), check=False, env={"ANSIBLE_SSH_CONTROL_PATH_DIR": str(tmp_path / "cp")})
    assert res.returncode == 1, res.stdout + res.stderr
    assert "error: node node2 failed" in res.stderr and "host key" in res.stderr.lower(), res.stderr
    assert "node node1 failed" not in res.stderr and "== node node1" in res.stdout, res.stdout + res.stderr
    assert node2.log.read_text().count("Accepted publickey") == logins, "node2 was logged in to"


def test_destroy_leaves_clean_nodes(bed: Testbed, clean_state: dict[str, dict[str, Any]]) -> None:
    topo(bed, "destroy", LAB, "-i", str(bed.inventory_path()))
    assert {n: node_state(bed, n) for n in clean_state} == clean_state
