"""Services (kinds/service): ClusterIPs and NodePorts translated to pods by the lab's own
nftables table. Real kernel, sandboxed; traffic only between the lab's namespaces and the
sandbox's node; checked with real TCP/UDP connections and `nft -j`."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from sandbox import Sandbox

pytestmark = pytest.mark.kernel

TCP_SERVER = ("python3 -c \"import http.server as h, os; H = type('H', (h.BaseHTTPRequestHandler,), {'log_message': "
              "lambda *a: None, 'do_GET': lambda r: (r.send_response(200), r.end_headers(), "
              "r.wfile.write(os.environ['POD'].encode()))}); h.ThreadingHTTPServer(('', 8080), H).serve_forever()\"")
UDP_SERVER = ("python3 -c \"import socket, os; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('', 5353));\n"
              "while True:\n    d, a = s.recvfrom(100); s.sendto(os.environ['POD'].encode(), a)\"")
PODS = {"web-a": 2, "web-b": 3, "web-c": 4, "client": 9}


def lab(endpoints: tuple[str, ...] = ("web-a", "web-b", "web-c"), *, extra_service: bool = True) -> str:
    lines = ["name: svc", "bridges:", "  cni0: {addresses: [10.244.0.1/24]}", "routes:", "  - {to: 10.96.0.0/12, dev: cni0}",
             "namespaces:"]
    for pod, n in PODS.items():
        lines += [f"  {pod}:", f"    interfaces: {{eth0: {{addresses: [10.244.0.{n}/24]}}}}",
                  "    routes: [{to: default, via: 10.244.0.1}]"]
        if pod != "client":
            lines += ["    processes:",
                      f"      web: {{env: {{POD: {pod}}}, command: {json.dumps(TCP_SERVER)}}}",
                      f"      dns: {{env: {{POD: {pod}}}, command: {json.dumps(UDP_SERVER)}}}"]
    lines.append("links:")
    lines += [f"  - {{a: {pod}:eth0, b: {{at: cni0:veth-{pod}, hairpin: true}}}}" for pod in PODS]
    lines += ["services:", "  web:", "    type: NodePort", "    clusterIP: 10.96.0.20",
              "    ports: [{port: 80, targetPort: 8080, nodePort: 30080}, {port: 53, targetPort: 5353, protocol: UDP}]",
              f"    endpoints: [{', '.join(endpoints)}]"]
    if extra_service:
        lines += ["  other:", "    clusterIP: 10.96.0.30", "    ports: [{port: 8080}]", "    endpoints: [web-a]"]
    return "\n".join(lines) + "\n"


def write(tmp: Path, text: str, name: str = "svc.yaml") -> str:
    path = tmp / name
    path.write_text(text)
    return str(path)


def tcp_answers(box: Sandbox, where: str | None, url: str, n: int) -> Counter[str]:
    script = ("import sys, urllib.request\n"
              "for _ in range(int(sys.argv[2])):\n"
              "    try: print(urllib.request.urlopen(sys.argv[1], timeout=2).read().decode())\n"
              "    except OSError as e: print('error', e)\n")
    cmd = (["ip", "netns", "exec", where] if where else []) + ["python3", "-c", script, url, str(n)]
    return Counter(box.run(cmd).stdout.split("\n")[:-1])


def udp_answers(box: Sandbox, where: str, addr: str, port: int, n: int) -> Counter[str]:
    script = ("import socket, sys\n"
              "for _ in range(int(sys.argv[3])):\n"
              "    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)\n"
              "    s.sendto(b'x', (sys.argv[1], int(sys.argv[2])))\n"
              "    try: print(s.recv(100).decode())\n"
              "    except OSError as e: print('error', e)\n")
    return Counter(box.run(["ip", "netns", "exec", where, "python3", "-c", script, addr, str(port), str(n)]).stdout.split("\n")[:-1])


def nft_json(box: Sandbox, *args: str) -> list[dict]:
    return json.loads(box.run(["nft", "-j", *args]).stdout)["nftables"]


def chain_handles(box: Sandbox) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for item in nft_json(box, "list", "table", "inet", "topo-svc"):
        if "rule" in item:
            out.setdefault(item["rule"]["chain"], []).append(item["rule"]["handle"])
    return out


def test_cluster_ip_node_port_and_udp_reach_every_endpoint(sandbox: Sandbox, tmp_path: Path) -> None:
    path = write(tmp_path, lab())
    # plan is read-only: no table, no namespace
    assert sandbox.topo("plan", path, check=False).returncode == 2
    assert sandbox.run(["nft", "list", "ruleset"]).stdout == "" and sandbox.run("ip netns list").stdout == ""
    applied = sandbox.topo("apply", path, check=False)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    # 50 connections from a pod to the ClusterIP: every endpoint answers, nothing fails
    seen = tcp_answers(sandbox, "client", "http://10.96.0.20/", 50)
    assert set(seen) == {"web-a", "web-b", "web-c"}, seen
    # the NodePort on the node's address, from the node itself and from a pod
    assert set(tcp_answers(sandbox, None, "http://10.244.0.1:30080/", 20)) <= {"web-a", "web-b", "web-c"}
    assert "error" not in " ".join(tcp_answers(sandbox, "client", "http://10.244.0.1:30080/", 20))
    # the node to the ClusterIP (output hook)
    assert "error" not in " ".join(tcp_answers(sandbox, None, "http://10.96.0.20/", 10))
    # a pod through its own Service (hairpin): every endpoint, itself included
    assert set(tcp_answers(sandbox, "web-a", "http://10.96.0.20/", 40)) == {"web-a", "web-b", "web-c"}
    # UDP
    assert set(udp_answers(sandbox, "client", "10.96.0.20", 53, 30)) == {"web-a", "web-b", "web-c"}
    plan = sandbox.topo("plan", path, check=False)
    assert plan.returncode == 0, plan.stdout


def test_removing_an_endpoint_touches_only_its_service(sandbox: Sandbox, tmp_path: Path) -> None:
    sandbox.topo("apply", write(tmp_path, lab()))
    before = chain_handles(sandbox)
    edited = write(tmp_path, lab(("web-a", "web-b")), "edited.yaml")
    plan = sandbox.topo("plan", edited, check=False)
    assert plan.returncode == 2 and "chain endpoint-default/web/tcp/80/web-c" in plan.stdout, plan.stdout
    sandbox.topo("apply", edited)
    seen = tcp_answers(sandbox, "client", "http://10.96.0.20/", 40)
    assert set(seen) == {"web-a", "web-b"}, seen
    after = chain_handles(sandbox)
    assert not any(c.endswith("/web-c") for c in after)
    # the other Service's chains, the hooks and the unchanged endpoints keep their rules' handles
    for chain in ("service-default/other/tcp/8080", "endpoint-default/other/tcp/8080/web-a", "nat-prerouting", "services",
                  "endpoint-default/web/tcp/80/web-a"):
        assert after[chain] == before[chain], chain
    assert after["service-default/web/tcp/80"] != before["service-default/web/tcp/80"]


def test_drift_in_the_table_is_named_and_repaired(sandbox: Sandbox, tmp_path: Path) -> None:
    path = write(tmp_path, lab())
    sandbox.topo("apply", path)
    # the apply's verification found the table equal: the record keeps its fingerprints, so a
    # plan compares them first; every damage below changes the kernel's and is found as values
    record = json.loads(sandbox.run(["cat", "/var/lib/topo/labs/svc.json"]).stdout)
    assert set(record["verified"]) == {"service"}
    endpoint = "endpoint-default/web/tcp/80/web-a"
    dnat = [i["rule"] for i in nft_json(sandbox, "-a", "list", "chain", "inet", "topo-svc", endpoint) if "rule" in i][1]
    for damage, named in (
        (["nft", "replace", "rule", "inet", "topo-svc", endpoint, "handle", str(dnat["handle"]),
          "meta", "l4proto", "tcp", "dnat", "ip", "to", "10.244.0.99:8080"], f"chain {endpoint}: 2 rules -> 2 rules"),
        (["nft", "flush", "chain", "inet", "topo-svc", "service-default/web/tcp/80"], "chain service-default/web/tcp/80"),
        (["nft", "add", "rule", "inet", "topo-svc", "services", "tcp", "dport", "22", "accept"], "chain services"),
        (["nft", "delete", "element", "inet", "topo-svc", "service-ips", "{ 10.96.0.30 . tcp . 8080 }"], "map service-ips"),
        (["nft", "delete", "table", "inet", "topo-svc"], "+ (root): nftables table inet topo-svc"),
    ):
        sandbox.run(damage)
        plan = sandbox.topo("plan", path, check=False)
        assert plan.returncode == 2 and named in plan.stdout, (damage, plan.stdout)
        sandbox.topo("apply", path)
        assert sandbox.topo("plan", path, check=False).returncode == 0, damage
    assert set(tcp_answers(sandbox, "client", "http://10.96.0.20/", 30)) == {"web-a", "web-b", "web-c"}


FOREIGN = """table inet topo-svc2 {
\tchain services {
\t\ttype nat hook prerouting priority dstnat; policy accept;
\t\tip daddr 10.96.0.20 tcp dport 80 dnat ip to 10.244.0.2:8080
\t}
}
table ip filter {
\tchain forward {
\t\ttype filter hook forward priority filter; policy accept;
\t\tct state established accept
\t}
}
"""


def test_destroy_leaves_the_ruleset_as_before_and_other_tables_alone(sandbox: Sandbox, tmp_path: Path) -> None:
    (tmp_path / "foreign.nft").write_text(FOREIGN)
    sandbox.run(["nft", "-f", str(tmp_path / "foreign.nft")])
    ruleset = sandbox.run(["nft", "list", "ruleset"]).stdout
    path = write(tmp_path, lab())
    sandbox.topo("apply", path)
    sandbox.topo("destroy", path)
    assert sandbox.run(["nft", "list", "ruleset"]).stdout == ruleset


def test_a_table_of_the_labs_name_made_by_another_is_a_conflict(sandbox: Sandbox, tmp_path: Path) -> None:
    sandbox.run(["nft", "add", "table", "inet", "topo-svc"])
    sandbox.run(["nft", "add", "chain", "inet", "topo-svc", "mine"])
    ruleset = sandbox.run(["nft", "list", "ruleset"]).stdout
    path = write(tmp_path, lab())
    plan = sandbox.topo("plan", path, check=False)
    assert plan.returncode == 1 and "nftables table inet topo-svc exists and was not created by lab svc" in plan.stdout + plan.stderr
    applied = sandbox.topo("apply", path, check=False)
    assert applied.returncode == 1
    assert sandbox.run(["nft", "list", "ruleset"]).stdout == ruleset
    assert sandbox.run("ip netns list").stdout == ""  # nothing was changed


@pytest.mark.parametrize("example", ["09-services.yaml", "10-cluster-dns.yaml", "11-network-policy.yaml"])
def test_a_table_made_in_one_script_is_the_files_compared_as_values(sandbox: Sandbox, example: str) -> None:
    """A cold apply sends the table in nft's language and keeps its fingerprint as verified
    (nothing else committed alongside). Compared as values, with the record's fingerprints
    taken away, the table is the file's: the plan lists it through libnftables and finds
    nothing to do."""
    path = str(Path(__file__).resolve().parent.parent / "topologies" / example)
    sandbox.topo("apply", path)
    record_path = f"/var/lib/topo/labs/{Path(example).stem.split('-', 1)[1]}.json"  # the examples' lab names
    record = json.loads(sandbox.run(["cat", record_path]).stdout)
    assert set(record["verified"]) == {"service"}, record.get("verified")
    kernel = record["verified"]["service"].split(":")[1]
    record["verified"] = {}
    sandbox.run(["python3", "-c", "import sys; open(sys.argv[1], 'w').write(sys.argv[2])", record_path, json.dumps(record)])
    plan = sandbox.topo("plan", path, check=False)
    assert plan.returncode == 0, plan.stdout
    sandbox.topo("apply", path)  # equal as values: nothing to do, and the fingerprints are kept once more
    kept = json.loads(sandbox.run(["cat", record_path]).stdout)["verified"]["service"]
    assert kept.split(":")[1] == kernel
