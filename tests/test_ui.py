"""`topo ui` in a real browser: Debian's chromium driven by Playwright (never `playwright
install`), against a lab applied in a sandbox. The browser runs in the sandbox's network
namespace (this process enters it to start Playwright's driver, whose children inherit it), so
the page, its server and all traffic stay inside the sandbox.

Screenshots go to the test's directory; with TOPO_UI_DOCS_SCREENSHOT=1 also to docs/ui.png."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
import yaml

from conftest import example
from sandbox import REPO, TOPO, Sandbox
from test_capture import settled_snapshot

playwright_sync = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LAB = example("05")  # flannel: three pods on cni0
DRIFT_WITHIN = 1.0  # seconds from `ip link set ... down` to the page showing the drift

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")


@contextmanager
def netns_of(pid: int) -> Iterator[None]:
    """This thread in the network namespace of process PID for the block (and back after)."""
    from provisioner.netns import setns

    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    target = os.open(f"/proc/{pid}/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    try:
        setns(target)
        try:
            yield
        finally:
            setns(home)
    finally:
        os.close(target)
        os.close(home)


@contextmanager
def served(sandbox: Sandbox, *args: str, lab: str = LAB) -> Iterator[str]:
    """`topo ui LAB ARGS` running in the sandbox; yields its printed URL."""
    proc = sandbox.popen([TOPO, "ui", lab, "--port", "0", *args])
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:\d+/", line)
        assert found, f"no URL in {line!r}; stderr: {proc.stderr.read() if proc.poll() is not None and proc.stderr else ''}"
        yield found.group()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@contextmanager
def browser(sandbox: Sandbox, tmp_path: Path) -> Iterator["playwright_sync.Page"]:
    with netns_of(sandbox.pid):
        pw = playwright_sync.sync_playwright().start()
    try:
        context = pw.chromium.launch_persistent_context(str(tmp_path / "chromium-profile"), executable_path=CHROMIUM,
                                                        args=CHROMIUM_ARGS, headless=True,
                                                        viewport={"width": 1500, "height": 900})
        try:
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()
    finally:
        pw.stop()


def _file_links() -> list[tuple[str, str]]:
    """The lab's veth pairs as the file writes them, each end as NS:IF with the root's ends (a
    bridge's ports) as (root):IF."""
    doc = yaml.safe_load((REPO / LAB).read_text())
    bridges = set(doc.get("bridges", {}))

    def end(text: str) -> str:
        ns, _, ifname = text.partition(":")
        return f"(root):{ifname}" if ns in bridges else text

    return [(end(link["a"]), end(link["b"])) for link in doc["links"]]


def _link_row(a: str) -> str:
    return f'#links tr.link[data-a="{a}"]'


def _tx_packets(page: "playwright_sync.Page", a: str) -> int:
    return int(page.inner_text(f"{_link_row(a)} td.tx_packets") or 0)


def _kernel_tx_packets(sandbox: Sandbox, netns: str, ifname: str) -> int:
    (link,) = sandbox.ip_json("-s", "link", "show", "dev", ifname, netns=netns)
    return int(link["stats64"]["tx"]["packets"])


def test_the_page_shows_the_lab_its_drift_and_its_counters(sandbox: Sandbox, tmp_path: Path) -> None:
    sandbox.topo("apply", LAB)
    sandbox.topo("check", LAB)
    with served(sandbox) as url, browser(sandbox, tmp_path) as page:
        page.goto(url)
        page.wait_for_selector("#conn.live", timeout=10_000)
        page.wait_for_selector("#links tr.link", timeout=5_000)
        # every namespace and every link of the file, in the DOM and in the drawing
        doc = yaml.safe_load((REPO / LAB).read_text())
        for ns in doc["namespaces"]:
            assert page.locator(f'#namespaces li.netns[data-name="{ns}"]').count() == 1, ns
        for a, b in _file_links():
            row = page.locator(_link_row(a))
            assert row.count() == 1, a
            assert row.get_attribute("data-b") == b and "state-up" in (row.get_attribute("class") or "")
        drawn = page.evaluate("() => window.topoCy.nodes('.cluster').map(n => n.data('label'))")
        assert all(any(label.startswith(ns) for label in drawn) for ns in doc["namespaces"]), drawn
        assert page.evaluate("() => window.topoCy.edges('.veth').length") == len(doc["links"])
        # the last checks, as `topo check` left them
        for check in page.locator("#checks li.check").all():
            assert "passed" in (check.get_attribute("class") or "")
        assert page.locator("#checks li.check").count() == len(doc["checks"])
        page.screenshot(path=str(tmp_path / "ui-in-sync.png"))

        # behind topo's back: a pod's veth down; the page names the drift as the plan does, within 1 s
        sandbox.run(["ip", "-n", "pod-a", "link", "set", "eth0", "down"])
        started = time.monotonic()
        page.wait_for_selector(f"{_link_row('pod-a:eth0')}.state-drift", timeout=DRIFT_WITHIN * 1000)
        took = time.monotonic() - started
        plan = sandbox.topo("plan", LAB, check=False)
        assert plan.returncode == 2
        wording = [line for line in plan.stdout.splitlines() if line.startswith("~ pod-a: link eth0")]
        assert wording, plan.stdout
        shown = page.locator(f"{_link_row('pod-a:eth0')} ul.drift li").all_inner_texts()
        assert wording[0] in shown, (wording, shown)
        assert set(page.locator("#plan li").all_inner_texts()) == {
            line for line in plan.stdout.splitlines() if line[:2] in ("+ ", "~ ", "- ")}
        edge = page.evaluate("() => window.topoCy.edges('.veth').filter(e => e.hasClass('state-drift')).length")
        assert edge == 1
        page.screenshot(path=str(tmp_path / "ui-drift.png"))
        assert took < DRIFT_WITHIN

        # back in sync, then traffic: pod-a pings pod-c, the counters rise on the page
        sandbox.topo("apply", LAB)
        page.wait_for_selector(f"{_link_row('pod-a:eth0')}.state-up", timeout=5_000)
        before = _tx_packets(page, "pod-a:eth0")
        pinger = sandbox.popen(["ip", "netns", "exec", "pod-a", "ping", "-c", "15", "-i", "0.2", "10.42.0.7"])
        try:
            page.wait_for_function(
                f"() => Number(document.querySelector('{_link_row('pod-a:eth0')} td.tx_packets').textContent) >= {before + 5}",
                timeout=5_000)
            during = _tx_packets(page, "pod-a:eth0")
            page.screenshot(path=str(tmp_path / "ui-traffic.png"))
            if os.environ.get("TOPO_UI_DOCS_SCREENSHOT") == "1":
                page.screenshot(path=str(REPO / "docs" / "ui.png"))
        finally:
            assert pinger.wait(timeout=20) == 0
        assert before + 5 <= during <= _kernel_tx_packets(sandbox, "pod-a", "eth0")
        page.wait_for_function(
            f"() => Number(document.querySelector('{_link_row('pod-a:eth0')} td.tx_packets').textContent) >= {before + 15}",
            timeout=3_000)


def test_read_only_page_refuses_changes(sandbox: Sandbox, tmp_path: Path) -> None:
    sandbox.topo("apply", LAB)
    state_before = settled_snapshot(sandbox)
    with served(sandbox) as url, browser(sandbox, tmp_path) as page:
        page.goto(url)
        page.wait_for_selector("#conn.live", timeout=10_000)
        assert page.inner_text("#mode") == "read-only"
        assert page.locator("#actions button").count() == 0
        token = page.evaluate("() => window.TOPO_CONFIG.token")
        for what in ("apply", "destroy", "check"):
            res = page.request.post(f"{url}api/{what}", headers={"X-Topo-Token": token})
            assert res.status == 403, (what, res.status)
            assert "--allow-changes" in res.json()["error"]
        assert "not run" in page.inner_text("#checks")
    assert settled_snapshot(sandbox) == state_before
    assert sandbox.topo("plan", LAB, check=False).returncode == 0  # the lab as it was: nothing to do
    assert sandbox.run(["test", "-e", "/var/lib/topo/checks"], check=False).returncode == 1  # no check ran


def test_changes_show_the_plan_first(sandbox: Sandbox, tmp_path: Path) -> None:
    sandbox.topo("apply", LAB)
    sandbox.topo("check", LAB)
    results = json.loads(sandbox.run(["cat", "/var/lib/topo/checks/flannel.json"]).stdout)
    assert [c["result"] for c in results["checks"]] == ["passed"] * 3
    expected = [line for line in sandbox.topo("plan", LAB, "--destroy", check=False).stdout.splitlines()
                if line.startswith("- ")]
    assert expected
    with served(sandbox, "--allow-changes") as url, browser(sandbox, tmp_path) as page:
        page.goto(url)
        page.wait_for_selector("#conn.live", timeout=10_000)
        res = page.request.post(f"{url}api/destroy")  # without the page's token
        assert res.status == 403
        assert sandbox.run(["ls", "/run/netns"]).stdout.split()
        page.click("#button-destroy")
        page.wait_for_selector("#confirm[open] #confirm-lines li", timeout=5_000)
        assert page.locator("#confirm-lines li").all_inner_texts() == expected
        assert sandbox.run(["ls", "/run/netns"]).stdout.split(), "the plan alone changed the machine"
        page.click("#confirm-go")
        page.wait_for_function("() => document.getElementById('confirm-output').textContent.startsWith('exit 0')",
                               timeout=60_000)
    assert sandbox.run(["ls", "-A", "/run/netns"]).stdout.split() == []
    assert sandbox.run(["test", "-e", "/var/lib/topo/checks/flannel.json"], check=False).returncode == 1  # gone with the lab


def test_only_loopback_unless_asked(sandbox: Sandbox) -> None:
    res = sandbox.topo("ui", LAB, "--host", "0.0.0.0", check=False)
    assert res.returncode == 1
    assert "not a loopback address" in res.stderr and "--allow-remote" in res.stderr


def test_graph_writes_the_same_drawing(sandbox: Sandbox, tmp_path: Path) -> None:
    html, svg, png = tmp_path / "lab.html", tmp_path / "lab.svg", tmp_path / "lab.png"
    for fmt, out in (("html", html), ("svg", svg), ("png", png)):
        subprocess.run([TOPO, "graph", LAB, "--format", fmt, "-o", str(out)], check=True, cwd=REPO)
    assert svg.read_text().lstrip().startswith("<?xml") and "10.42.0.106/24" in svg.read_text()
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = html.read_text()
    data = json.loads(re.search(r"window\.TOPO_STATIC = (\{.*?\});</script>", text, re.S).group(1).replace("<\\/", "</"))
    assert data["placed"]  # Graphviz placed it, as in the svg
    with browser(sandbox, tmp_path) as page:  # the file alone draws the lab: nothing else is loaded
        requested: list[str] = []
        page.on("request", lambda r: requested.append(r.url))
        page.goto(html.as_uri())
        page.wait_for_selector("#namespaces li.netns")
        drawn = page.evaluate("() => window.topoCy.nodes().map(n => n.id()).sort()")
        assert drawn == sorted(e["data"]["id"] for e in data["elements"] if e["group"] == "nodes")
        assert page.locator("#links tr.link").count() == sum(1 for e in data["elements"] if e["group"] == "edges")
        assert requested == [html.as_uri()]
        page.screenshot(path=str(tmp_path / "graph-html.png"))


def test_the_capture_link_of_a_pods_eth0_downloads_the_pings(sandbox: Sandbox, tmp_path: Path) -> None:
    """Read-only page, a 2-pod lab: the capture link of pod-httpd's eth0, clicked while it pings
    pod-nginx, downloads a pcap in which `tcpdump -r` finds the echo requests and replies."""
    lab = example("06")
    sandbox.topo("apply", lab)
    with served(sandbox, lab=lab) as url, browser(sandbox, tmp_path) as page:
        page.goto(url)
        page.wait_for_selector("#conn.live", timeout=10_000)
        link = page.locator('#ifaces tr.iface[data-name="pod-httpd:eth0"] a.capture')
        href = link.get_attribute("href") or ""
        assert "seconds=" in href and "count=" in href
        page.evaluate("() => { window.TOPO_CONFIG.captureSeconds = 3; }")
        pinger = sandbox.popen(["ip", "netns", "exec", "pod-httpd", "ping", "-c", "20", "-i", "0.2", "172.30.0.7"])
        try:
            page.wait_for_function("() => document.querySelector('#ifaces a.capture').textContent === 'pcap 3 s'",
                                   timeout=5_000)  # the next state redraws the links with 3 s
            with page.expect_download(timeout=15_000) as got:
                page.locator('#ifaces tr.iface[data-name="pod-httpd:eth0"] a.capture').click()
            download = got.value
            saved = tmp_path / "capture.pcap"
            download.save_as(str(saved))
        finally:
            assert pinger.wait(timeout=20) == 0
        assert download.suggested_filename == "pod-httpd_eth0.pcap"
        # the page's other guards: an interface not of the lab, bounds outside 1..60 s and 1..10000 packets
        for query, status in (("iface=n_host_root_lo", 404), ("iface=../../etc/passwd", 404),
                              (f"iface={_iface_id(page, 'pod-httpd:eth0')}&seconds=61", 400),
                              (f"iface={_iface_id(page, 'pod-httpd:eth0')}&count=0", 400),
                              (f"iface={_iface_id(page, 'pod-httpd:eth0')}&seconds=1%3Brm", 400)):
            res = page.request.get(f"{url}api/capture?{query}")
            assert res.status == status, (query, res.status)
            assert "error" in res.json()
    text = subprocess.run(["tcpdump", "-n", "-r", str(saved)], capture_output=True, text=True, check=True).stdout
    requests = re.findall(r"IP 172\.30\.0\.6 > 172\.30\.0\.7: ICMP echo request", text)
    replies = re.findall(r"IP 172\.30\.0\.7 > 172\.30\.0\.6: ICMP echo reply", text)
    assert len(requests) >= 5 and len(replies) >= 5, text


def _iface_id(page: "playwright_sync.Page", name: str) -> str:
    return page.locator(f'#ifaces tr.iface[data-name="{name}"]').get_attribute("data-id") or ""


def test_a_multi_node_lab_is_drawn_with_its_nodes_as_boxes(sandbox: Sandbox, tmp_path: Path) -> None:
    """Every node of the file is a compound box holding its namespaces; the page says its live
    state is this machine's node only."""
    lab = example("08")
    with served(sandbox, "--node", "node1", lab=lab) as url, browser(sandbox, tmp_path) as page:
        page.goto(url)
        page.wait_for_selector("#conn.live", timeout=10_000)
        nodes = page.evaluate("() => window.topoCy.nodes('.node').map(n => n.data('label'))")
        assert sorted(label.split(" ")[0] for label in nodes) == ["node1", "node2"]
        children = page.evaluate("() => window.topoCy.nodes('.node').map(n => n.children('.cluster').length)")
        assert all(c >= 1 for c in children), children
        note = page.locator("#nodes-note")
        assert note.is_visible() and note.inner_text() == "live state: node node1 only; node2 drawn from the file"
        page.screenshot(path=str(tmp_path / "ui-multi-node.png"))
