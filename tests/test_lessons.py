"""The seed lessons hold on the applied labs, checked with independent tools (ip, ping,
curl, getent) inside the sandbox. Traffic only goes to addresses of the lab's namespaces."""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Iterator

import pytest

from conftest import example
from sandbox import REPO, Sandbox

pytestmark = pytest.mark.kernel


class Listener:
    """A real HTTP server (tests/httpd.py) in a namespace, for the lifetime of a test."""

    def __init__(self, box: Sandbox, netns: str, port: int, bind: str = "0.0.0.0"):
        self.proc = box.popen(["ip", "netns", "exec", netns, sys.executable, str(REPO / "tests" / "httpd.py"), str(port), bind])
        self.box, self.netns, self.port = box, netns, port

    def wait(self, host: str = "127.0.0.1") -> None:
        for _ in range(100):
            res = self.box.run(["ip", "netns", "exec", self.netns, "curl", "-s", "-o", "/dev/null", "-m", "1",
                                f"http://{host}:{self.port}/"], check=False)
            if res.returncode == 0:
                return
            time.sleep(0.05)
        raise AssertionError(f"listener {self.netns}:{self.port} did not come up")

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=10)


@pytest.fixture
def listeners(sandbox: Sandbox) -> Iterator[list[Listener]]:
    started: list[Listener] = []
    yield started
    for l in started:
        l.stop()


def wait_http(box: Sandbox, netns: str | None, url: str) -> None:
    """Until a server answers at `url` (bounded)."""
    for _ in range(100):
        if curl(box, netns, url).stdout == "200":
            return
        time.sleep(0.05)
    raise AssertionError(f"nothing answers {url} in {netns}")


def curl(box: Sandbox, netns: str | None, url: str) -> subprocess.CompletedProcess[str]:
    prefix = ["ip", "netns", "exec", netns] if netns else []
    return box.run(prefix + ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-m", "2", url], check=False)


def ping(box: Sandbox, netns: str | None, target: str) -> subprocess.CompletedProcess[str]:
    prefix = ["ip", "netns", "exec", netns] if netns else []
    return box.run(prefix + ["ping", "-c", "1", "-W", "2", target], check=False)


def test_loopback_pod_curl_localhost(sandbox: Sandbox, listeners: list[Listener]) -> None:
    sandbox.topo("apply", example("01"))
    lo = sandbox.ip_json("addr", "show", "lo", netns="jumpbox")[0]
    assert {a["local"] for a in lo["addr_info"]} == {"127.0.0.1", "::1"}
    # the pod's web server is a process the example declares: apply started it
    wait_http(sandbox, "jumpbox", "http://localhost:80/")
    assert curl(sandbox, "jumpbox", "http://localhost:80/").stdout == "200"
    assert curl(sandbox, None, "http://127.0.0.1:80/").stdout == "000", "the node's own loopback is another one"
    # and a listener the test starts itself inside the pod answers on the pod's localhost
    listeners.append(Listener(sandbox, "jumpbox", 8080, "127.0.0.1"))
    listeners[-1].wait()
    assert curl(sandbox, "jumpbox", "http://localhost:8080/").stdout == "200"
    assert sandbox.run(["ip", "netns", "exec", "jumpbox", "getent", "hosts", "jumpbox"]).stdout.split()[0] == "127.0.1.1"


def test_shared_namespace_vs_separate(sandbox: Sandbox, listeners: list[Listener]) -> None:
    sandbox.topo("apply", example("02"))
    # web1 (:1111) and web2 (:2222) are processes the example starts in the shared `pod`
    for port in (1111, 2222):
        wait_http(sandbox, "pod", f"http://127.0.0.1:{port}/")
    # web1 and web2 share the pod namespace: each reaches the other on localhost
    assert curl(sandbox, "pod", "http://localhost:2222/").stdout == "200"
    assert curl(sandbox, "pod", "http://localhost:1111/").stdout == "200"
    # two separate namespaces: web2 cannot reach web1's port on its own localhost
    wait_http(sandbox, "web1-alone", "http://127.0.0.1:1111/")
    assert curl(sandbox, "web1-alone", "http://localhost:1111/").stdout == "200"
    refused = curl(sandbox, "web2-alone", "http://localhost:1111/")
    assert refused.returncode != 0 and refused.stdout == "000"


def test_veth_by_hand_reaches_bridge_gateway(sandbox: Sandbox) -> None:
    sandbox.topo("apply", example("03"))
    routes = sandbox.ip_json("route", "show", "default", netns="container")
    assert routes[0]["gateway"] == "172.17.42.1" and routes[0]["dev"] == "eth0"
    ports = sandbox.ip_json("link", "show", "master", "lab-docker0")
    assert [p["ifname"] for p in ports] == ["h6902"]
    assert ping(sandbox, "container", "172.17.42.1").returncode == 0


def test_flannel_pod_to_pod_over_cni0_mtu_1450(sandbox: Sandbox) -> None:
    sandbox.topo("apply", example("05"))
    members = sandbox.ip_json("link", "show", "master", "cni0")
    assert len(members) == 3 and all(m["mtu"] == 1450 for m in members)
    assert sandbox.ip_json("link", "show", "cni0")[0]["mtu"] == 1450
    for pod in ("pod-a", "pod-b", "pod-c"):
        assert sandbox.ip_json("link", "show", "eth0", netns=pod)[0]["mtu"] == 1450
    assert ping(sandbox, "pod-a", "10.42.0.7").returncode == 0
    assert ping(sandbox, "pod-b", "10.42.0.106").returncode == 0
    # a full-size frame for MTU 1450 passes, one byte more does not (DF set)
    assert sandbox.run(["ip", "netns", "exec", "pod-a", "ping", "-c1", "-W2", "-M", "do", "-s", "1422", "10.42.0.7"], check=False).returncode == 0
    assert sandbox.run(["ip", "netns", "exec", "pod-a", "ping", "-c1", "-W2", "-M", "do", "-s", "1423", "10.42.0.7"], check=False).returncode != 0


def test_kindnet_pod_to_pod_through_node_routes(sandbox: Sandbox) -> None:
    sandbox.topo("apply", example("04"))
    addrs = sandbox.ip_json("-4", "addr", "show")
    gw = [a["ifname"] for a in addrs for i in a.get("addr_info", []) if i["local"] == "10.244.3.1"]
    assert sorted(gw) == ["veth-a", "veth-b", "veth-c"]
    routes = {r["dst"]: r["dev"] for r in sandbox.ip_json("route", "show")}
    assert routes["10.244.3.3"] == "veth-b"
    assert sandbox.run(["cat", "/proc/sys/net/ipv4/ip_forward"]).stdout.strip() == "1"
    assert ping(sandbox, "cni-pod-a", "10.244.3.3").returncode == 0
    assert ping(sandbox, "cni-pod-c", "10.244.3.2").returncode == 0


def test_node_to_pod_and_names(sandbox: Sandbox, listeners: list[Listener]) -> None:
    sandbox.topo("apply", example("06"))
    assert sandbox.run(["getent", "hosts", "pod-nginx"]).stdout.split()[0] == "172.30.0.7"
    assert sandbox.run(["ip", "netns", "exec", "pod-httpd", "getent", "hosts", "pod-httpd"]).stdout.split()[0] == "172.30.0.6"
    wait_http(sandbox, "pod-nginx", "http://172.30.0.7:80/")  # the example's process
    assert curl(sandbox, None, "http://pod-nginx:80/").stdout == "200"  # node to pod, by name
    assert curl(sandbox, "pod-httpd", "http://pod-nginx:80/").stdout == "200"  # pod to pod, by name
    assert ping(sandbox, None, "172.30.0.6").returncode == 0
