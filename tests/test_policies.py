"""Network policies (kinds/policy) in the lab's nftables table. Real kernel, sandboxed;
checked with real TCP connections between the lab's pods."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sandbox import Sandbox
from test_services import TCP_SERVER

pytestmark = pytest.mark.kernel

PODS = {"web-a": (2, {"app": "web"}), "web-b": (3, {}), "ok": (4, {"role": "ok"}), "bad": (5, {}), "out": (6, {})}

POLICIES = """policies:
  web-a-ingress:
    podSelector: {app: web}
    ingress:
      - from: [{podSelector: {role: ok}}, {cidr: 10.244.0.6/32}]
        ports: [{port: 8080}]
  bad-egress:
    pods: [bad]
    egress:
      - to: [{pods: [web-a, web-b]}]
  out-egress:
    pods: [out]
    egress: []
"""


def lab(policies: str = POLICIES) -> str:
    lines = ["name: pol", "bridges:", "  cni0: {addresses: [10.244.0.1/24]}", "routes:", "  - {to: 10.96.0.0/12, dev: cni0}",
             "namespaces:"]
    for pod, (n, labels) in PODS.items():
        lines += [f"  {pod}:", f"    labels: {json.dumps(labels)}", f"    interfaces: {{eth0: {{addresses: [10.244.0.{n}/24]}}}}",
                  "    routes: [{to: default, via: 10.244.0.1}]"]
        if pod.startswith("web"):
            lines += ["    processes:", f"      web: {{env: {{POD: {pod}}}, command: {json.dumps(TCP_SERVER)}}}"]
    lines.append("links:")
    lines += [f"  - {{a: {pod}:eth0, b: {{at: cni0:veth-{pod}, hairpin: true}}}}" for pod in PODS]
    lines += ["services:", "  web:", "    clusterIP: 10.96.0.20", "    ports: [{port: 80, targetPort: 8080}]", "    endpoints: [web-a]"]
    return "\n".join(lines) + "\n" + policies


def connects(box: Sandbox, src: str, addr: str, port: int) -> bool:
    script = ("import socket, sys\n"
              "try: socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1.5).close(); print('yes')\n"
              "except OSError: print('no')\n")
    # the servers may still be starting: a refusal is retried by asking twice
    answers = [box.run(["ip", "netns", "exec", src, "python3", "-c", script, addr, str(port)]).stdout.strip() for _ in range(2)]
    return "yes" in answers


def test_policies_allow_and_deny_exactly_as_declared(sandbox: Sandbox, tmp_path: Path) -> None:
    path = tmp_path / "pol.yaml"
    path.write_text(lab())
    applied = sandbox.topo("apply", str(path), check=False)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert sandbox.topo("plan", str(path), check=False).returncode == 0
    web_a, web_b = "10.244.0.2", "10.244.0.3"
    assert connects(sandbox, "ok", web_a, 8080)  # allowed by label, replies pass (conntrack)
    assert not connects(sandbox, "bad", web_a, 8080)  # not allowed into web-a (its egress would allow it)
    assert connects(sandbox, "ok", "10.96.0.20", 80)  # through the Service: the policy sees the pod's port
    assert not connects(sandbox, "bad", "10.96.0.20", 80)
    assert connects(sandbox, "bad", web_b, 8080)  # web-b is selected by no ingress policy: open
    assert connects(sandbox, "web-a", web_b, 8080)
    assert not connects(sandbox, "out", web_b, 8080)  # egress: [] denies everything it sends
    # an allowed peer by CIDR, denied by its own egress: both sides must allow
    assert not connects(sandbox, "out", web_a, 8080)
    # the policies go, the table stays for the Service; everything is open again
    path.write_text(lab(""))
    sandbox.topo("apply", str(path))
    assert connects(sandbox, "bad", web_a, 8080) and connects(sandbox, "out", web_b, 8080)
    chains = [i["chain"]["name"] for i in json.loads(sandbox.run("nft -j list table inet topo-pol").stdout)["nftables"] if "chain" in i]
    assert not [c for c in chains if c.startswith(("policy", "ingress/", "egress/"))], chains
