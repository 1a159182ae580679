"""The cluster DNS (kinds/dns): a real dnsmasq in a lab pod behind the kube-dns Service, and
every other pod's resolv.conf. Real kernel, sandboxed; names resolved with `getent` through
the C library's resolver (resolv.conf, search list, ndots), inside the lab's namespaces only."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from conftest import example
from sandbox import REPO, Sandbox

pytestmark = pytest.mark.kernel

LAB = example("10")


def ahosts(box: Sandbox, netns: str, name: str) -> tuple[int, set[str], float]:
    start = time.monotonic()
    done = box.run(["ip", "netns", "exec", netns, "getent", "ahosts", name], check=False)
    return done.returncode, {line.split()[0] for line in done.stdout.splitlines()}, time.monotonic() - start


def test_pods_resolve_services_through_the_search_list(sandbox: Sandbox) -> None:
    applied = sandbox.topo("apply", LAB, check=False)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    resolv = sandbox.run(["ip", "netns", "exec", "client", "cat", "/etc/resolv.conf"]).stdout
    assert "nameserver 10.96.0.10\nsearch default.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n" in resolv
    for name in ("web", "web.default", "web.default.svc.cluster.local", "kube-dns.kube-system"):
        rc, addrs, _ = ahosts(sandbox, "client", name)
        assert rc == 0, name
        assert addrs == ({"10.96.0.20"} if name.startswith("web") else {"10.96.0.10"}), (name, addrs)
    # a name outside the lab: refused at once, nobody else asked
    rc, addrs, seconds = ahosts(sandbox, "client", "example.com")
    assert rc == 2 and not addrs and seconds < 1.0, (rc, addrs, seconds)
    # the DNS pod itself keeps the node's resolver (no resolv.conf of the lab's)
    assert sandbox.run("test -e /etc/netns/coredns/resolv.conf", check=False).returncode != 0
    assert sandbox.topo("check", LAB, check=False).returncode == 0


def test_a_killed_server_and_an_edited_resolv_conf_are_drift(sandbox: Sandbox, tmp_path: Path) -> None:
    sandbox.topo("apply", LAB)
    sandbox.run("pkill -x dnsmasq")
    plan = sandbox.topo("plan", LAB, check=False)
    assert plan.returncode == 2 and "process cluster-dns" in plan.stdout, plan.stdout
    sandbox.run(["sh", "-c", "printf 'nameserver 10.0.0.53\\n' > /etc/netns/client/resolv.conf"])
    plan = sandbox.topo("plan", LAB, check=False)
    assert plan.returncode == 1 and "was not written by lab cluster-dns" in plan.stdout + plan.stderr, plan.stdout
    sandbox.run(["sh", "-c", "printf '# topo lab cluster-dns: the cluster DNS\\nnameserver 10.0.0.53\\n' > /etc/netns/client/resolv.conf"])
    plan = sandbox.topo("plan", LAB, check=False)
    assert plan.returncode == 2 and "~ client: resolv.conf /etc/netns/client/resolv.conf: edited" in plan.stdout, plan.stdout
    sandbox.topo("apply", LAB)
    assert ahosts(sandbox, "client", "web")[1] == {"10.96.0.20"}
    # a new Service: the server is restarted with its record
    text = (REPO / LAB).read_text().replace("\ndns:\n", "\n  api:\n    clusterIP: 10.96.0.21\n    ports: [{port: 80, targetPort: 8080}]\n"
                                            "    endpoints: [web]\ndns:\n")
    path = tmp_path / "more.yaml"
    path.write_text(text)
    plan = sandbox.topo("plan", str(path), check=False)
    assert "process cluster-dns" in plan.stdout, plan.stdout
    sandbox.topo("apply", str(path))
    assert ahosts(sandbox, "client", "api")[1] == {"10.96.0.21"}


def test_destroy_leaves_no_server_and_no_file(sandbox: Sandbox) -> None:
    sandbox.run(["sh", "-c", "mkdir -p /etc/netns/elsewhere && echo 'nameserver 10.1.1.1' > /etc/netns/elsewhere/resolv.conf"])
    before = sandbox.run(["sh", "-c", "find /etc/netns -exec stat -c '%n %s %a' {} +"]).stdout
    sandbox.topo("apply", LAB)
    sandbox.topo("destroy", LAB)
    assert sandbox.run(["sh", "-c", "find /etc/netns -exec stat -c '%n %s %a' {} +"]).stdout == before
    assert sandbox.run("pgrep -x dnsmasq", check=False).returncode == 1
    assert sandbox.run(["find", "/var/lib/topo", "-name", "*.conf"]).stdout == ""  # the server's configuration went with it
