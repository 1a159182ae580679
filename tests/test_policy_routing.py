"""Policy routing on a real kernel, in the sandbox: the example lab (topologies/13-policy-routing.yaml,
a multi-homed server answering by the interface a request came in on) applied and checked with
`ip -j rule`, `ip -j route show table N`, ping and TCP, and the interfaces' packet counters;
drift (a deleted rule and route) is exit 2 and apply repairs it; other tools' rules and the
kernel's are never touched; root-namespace rules and table routes destroyed exactly; the
example's state made by plain `ip` commands (another tool) captured: planned clean on the same
machine (the rules unmanaged) and reproduced on a clean one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from sandbox import REPO, Sandbox

pytestmark = pytest.mark.kernel

LAB = REPO / "topologies" / "13-policy-routing.yaml"
KERNEL_RULES = [(0, "local"), (32766, "main"), (32767, "default")]


def rules(sandbox: Sandbox, netns: str | None) -> list[tuple[int, str, str, str]]:
    return [(r["priority"], r.get("src", "") + (f"/{r['srclen']}" if "srclen" in r else ""), r["table"], r.get("protocol", ""))
            for r in sandbox.ip_json("rule", "show", netns=netns)]


def table(sandbox: Sandbox, netns: str | None, number: int) -> list[tuple[str, str, str]]:
    return [(r["dst"], r.get("gateway", ""), r["dev"]) for r in sandbox.ip_json("route", "show", "table", str(number), netns=netns)]


def tx_packets(sandbox: Sandbox, netns: str, dev: str) -> int:
    [link] = sandbox.ip_json("-s", "link", "show", "dev", dev, netns=netns)
    return int(link["stats64"]["tx"]["packets"])


def in_ns(sandbox: Sandbox, netns: str, *cmd: str) -> Any:
    return sandbox.run(["ip", "netns", "exec", netns, *cmd], check=False)


def tcp_from(sandbox: Sandbox, netns: str, src: str, dst: str, port: int) -> bool:
    code = (f"import socket; s = socket.socket(); s.settimeout(3); s.bind(('{src}', 0)); "
            f"s.connect(('{dst}', {port})); s.sendall(b'GET / HTTP/1.0\\r\\n\\r\\n'); print(s.recv(12).decode())")
    out = in_ns(sandbox, netns, "python3", "-c", code)
    return out.returncode == 0 and out.stdout.startswith("HTTP/1.0 200")


def wait_listening(sandbox: Sandbox) -> None:
    sandbox.run(["sh", "-c", "for i in $(seq 50); do ip netns exec server ss -Hltn | grep -q :8080 && exit 0; sleep 0.1; done; exit 1"])


def test_source_based_routing_answers_by_the_interface_the_request_came_in_on(sandbox: Sandbox) -> None:
    assert "verified" in sandbox.topo("apply", str(LAB)).stdout
    have = rules(sandbox, "server")
    assert [(p, t) for p, _, t, proto in have if proto != "151"] == KERNEL_RULES, have
    assert [(p, s, t) for p, s, t, proto in have if proto == "151"] == [(100, "10.1.0.2", "100"), (200, "10.2.0.2", "200")]
    assert table(sandbox, "server", 200) == [("default", "10.2.0.1", "eth2")]
    assert table(sandbox, "server", 100) == [("default", "10.1.0.1", "eth1")]
    before = tx_packets(sandbox, "server", "eth1"), tx_packets(sandbox, "server", "eth2")
    assert in_ns(sandbox, "isp-b", "ping", "-c5", "-i0.2", "-W1", "-I", "10.20.0.1", "10.2.0.2").returncode == 0
    after = tx_packets(sandbox, "server", "eth1"), tx_packets(sandbox, "server", "eth2")
    # the five replies left by eth2; eth1 sent at most the odd IPv6 neighbour message
    assert after[1] - before[1] >= 5 and after[0] - before[0] < 5, (before, after)
    wait_listening(sandbox)
    assert tcp_from(sandbox, "isp-b", "10.20.0.1", "10.2.0.2", 8080)
    assert tcp_from(sandbox, "isp-a", "10.10.0.1", "10.1.0.2", 8080)
    # without the rule, the reply takes the main table's default route (by isp-a) and is lost
    sandbox.run(["ip", "netns", "exec", "server", "ip", "rule", "del", "priority", "200"])
    assert in_ns(sandbox, "isp-b", "ping", "-c1", "-W1", "-I", "10.20.0.1", "10.2.0.2").returncode != 0
    plan = sandbox.topo("plan", str(LAB), check=False)
    assert plan.returncode == 2 and "+ server: rule 200: from 10.2.0.2/32 lookup 200" in plan.stdout, plan.stdout
    sandbox.topo("apply", str(LAB))
    assert in_ns(sandbox, "isp-b", "ping", "-c1", "-W1", "-I", "10.20.0.1", "10.2.0.2").returncode == 0


def test_drift_in_tables_and_rules_repaired_others_rules_untouched(sandbox: Sandbox) -> None:
    sandbox.topo("apply", str(LAB))
    ns = ["ip", "netns", "exec", "server"]
    sandbox.run(ns + ["ip", "route", "del", "default", "table", "200"])
    sandbox.run(ns + ["ip", "rule", "add", "priority", "300", "from", "10.9.9.9", "lookup", "100"])  # another tool's
    sandbox.run(ns + ["ip", "rule", "add", "priority", "200", "from", "10.2.0.2", "lookup", "200"])  # an equal one, not topo's
    sandbox.run(ns + ["ip", "rule", "del", "priority", "200", "protocol", "151"])
    plan = sandbox.topo("plan", str(LAB), check=False)
    assert plan.returncode == 2, plan.stdout + plan.stderr
    assert "+ server: route default via 10.2.0.1 dev eth2 table 200" in plan.stdout, plan.stdout
    assert "rule 300" not in plan.stdout, plan.stdout
    sandbox.topo("apply", str(LAB))
    assert table(sandbox, "server", 200) == [("default", "10.2.0.1", "eth2")]
    have = rules(sandbox, "server")
    assert (300, "10.9.9.9", "100", "") in have and (200, "10.2.0.2", "200", "") in have, have
    assert [(p, t) for p, _, t, _ in have if p in (0, 32766, 32767)] == KERNEL_RULES, have
    assert sandbox.topo("plan", str(LAB), check=False).returncode == 0


ROOT_LAB = """name: root-rules
tables: {uplink2: 120}
bridges:
  br-pr: {addresses: [10.77.0.1/24]}
routes:
  - {to: default, via: 10.77.0.254, dev: br-pr, onlink: true, table: uplink2}
rules:
  - {priority: 1200, from: 10.77.0.0/24, table: uplink2}
  - {priority: 1201, family: ipv6, fwmark: 7, table: 121}
"""


def test_node_rules_and_table_routes_destroyed_exactly(sandbox: Sandbox, tmp_path: Any) -> None:
    path = tmp_path / "root-rules.yaml"
    path.write_text(ROOT_LAB)
    sandbox.run(["ip", "rule", "add", "priority", "1300", "from", "10.77.0.0/24", "lookup", "120"])  # the machine's own
    before = rules(sandbox, None)
    assert "verified" in sandbox.topo("apply", str(path)).stdout
    have = rules(sandbox, None)
    assert (1200, "10.77.0.0/24", "120", "151") in have and (1300, "10.77.0.0/24", "120", "") in have, have
    six = [(r["priority"], r.get("fwmark"), r["table"]) for r in sandbox.ip_json("-6", "rule", "show")]
    assert (1201, "0x7", "121") in six, six
    assert ("default", "10.77.0.254", "br-pr") in table(sandbox, None, 120)
    assert sandbox.topo("plan", str(path), check=False).returncode == 0
    sandbox.run(["ip", "rule", "del", "priority", "1200"])
    assert sandbox.topo("plan", str(path), check=False).returncode == 2
    sandbox.topo("apply", str(path))
    sandbox.topo("destroy", str(path))
    assert rules(sandbox, None) == before  # the machine's rule 1300 and the kernel's kept, the lab's gone
    assert all(r["priority"] != 1201 for r in sandbox.ip_json("-6", "rule", "show"))
    assert sandbox.ip_json("route", "show", "table", "120") == []


EXAMPLE_BY_HAND = [
    "ip netns add server", "ip netns add isp-a", "ip netns add isp-b",
    "ip link add eth1 netns server type veth peer name eth0 netns isp-a",
    "ip link add eth2 netns server type veth peer name eth0 netns isp-b",
    "ip -n server addr add 10.1.0.2/24 dev eth1", "ip -n server addr add 10.2.0.2/24 dev eth2",
    "ip -n server link set eth1 up", "ip -n server link set eth2 up",
    "ip -n isp-a addr add 10.1.0.1/24 dev eth0", "ip -n isp-a addr add 10.10.0.1/24 dev eth0", "ip -n isp-a link set eth0 up",
    "ip -n isp-b addr add 10.2.0.1/24 dev eth0", "ip -n isp-b addr add 10.20.0.1/24 dev eth0", "ip -n isp-b link set eth0 up",
    "ip -n server route add default via 10.1.0.1",
    "ip -n server route add default via 10.1.0.1 dev eth1 table 100",
    "ip -n server route add default via 10.2.0.1 dev eth2 table 200",
    "ip -n server rule add priority 100 from 10.1.0.2 lookup 100",
    "ip -n server rule add priority 200 from 10.2.0.2 lookup 200",
    "ip rule add priority 1300 from 10.77.0.0/24 lookup 120",  # the node's own
    "ip -6 rule add priority 1301 fwmark 7 lookup 121",
]


def policy_state(box: Sandbox) -> dict[str, Any]:
    """Every rule (without its protocol: topo marks the ones it adds) and the routes of tables
    100 and 200, as `ip -j` shows them."""
    def bare(items: list[dict[str, Any]]) -> list[str]:
        return [json.dumps({k: v for k, v in i.items() if k != "protocol"}, sort_keys=True) for i in items]

    return {"rules": {str(ns): bare(box.ip_json(f, "rule", "show", netns=ns)) for ns in ("server", None) for f in ("-4", "-6")},
            "tables": {n: bare(box.ip_json("route", "show", "table", str(n), netns="server")) for n in (100, 200)}}


def test_policy_routing_made_by_another_tool_captured_planned_clean_and_reproduced(sandbox: Sandbox, tmp_path: Path) -> None:
    for command in EXAMPLE_BY_HAND:
        sandbox.run(command.split())
    made = policy_state(sandbox)
    out = tmp_path / "captured.yaml"
    sandbox.topo("save", "-o", str(out))
    data = yaml.safe_load(out.read_text())
    server = data["namespaces"]["server"]
    assert server["rules"] == [{"priority": 100, "from": "10.1.0.2/32", "table": 100},
                               {"priority": 200, "from": "10.2.0.2/32", "table": 200}]
    assert {"to": "default", "via": "10.2.0.1", "dev": "eth2", "table": 200} in server["routes"]
    assert data["rules"] == [{"priority": 1300, "from": "10.77.0.0/24", "table": 120},
                             {"priority": 1301, "family": "ipv6", "fwmark": 7, "table": 121}]
    plan = sandbox.topo("plan", "--json", str(out), check=False)
    assert plan.returncode == 0, plan.stdout + plan.stderr
    [node] = json.loads(plan.stdout)["nodes"]
    assert node["changes"] == [] and node["conflicts"] == []
    assert {u["target"] for u in node["unmanaged"]} >= {
        "rule 100: from 10.1.0.2/32 lookup 100", "rule 200: from 10.2.0.2/32 lookup 200",
        "rule 1300: from 10.77.0.0/24 lookup 120", "rule 1301: ipv6 fwmark 0x7 lookup 121"}
    assert policy_state(sandbox) == made  # plan changed nothing

    other = Sandbox(tmp_path / "second").start()
    try:
        assert "verified" in other.topo("apply", str(out)).stdout
        assert policy_state(other) == made
        assert in_ns(other, "isp-b", "ping", "-c1", "-W2", "-I", "10.20.0.1", "10.2.0.2").returncode == 0
        assert other.topo("plan", str(out), check=False).returncode == 0
    finally:
        other.close()
