#!/usr/bin/env python3
"""Take the live page's screenshots in docs/: the drift of a link turned down behind topo's back
(docs/ui-drift.png, topologies/05-flannel-cni0.yaml) and a Services lab with its checks run
(docs/ui-services.png, topologies/09-services.yaml).

    scripts/sandbox.sh .venv/bin/python docs/screenshots.py      # from the repository's top

Run it in the sandbox (it refuses otherwise): it applies the labs, serves `topo ui` on the
sandbox's loopback and opens the page in Debian's chromium driven by Playwright (as
tests/test_ui.py does), then destroys the labs. docs/ui.png comes from tests/test_ui.py
(TOPO_UI_DOCS_SCREENSHOT=1)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

REPO = Path(__file__).resolve().parent.parent
TOPO = str(REPO / ".venv" / "bin" / "topo")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1500, "height": 900}
FLANNEL = "topologies/05-flannel-cni0.yaml"
SERVICES = "topologies/09-services.yaml"


def topo(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run([TOPO, *args], cwd=REPO, capture_output=True, text=True, check=check,
                          env={**os.environ, "NO_COLOR": "1"})


@contextmanager
def served(lab: str) -> Iterator[str]:
    """`topo ui LAB` on a free loopback port; yields its URL."""
    proc = subprocess.Popen([TOPO, "ui", lab, "--port", "0"], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        found = re.search(r"http://127\.0\.0\.1:\d+/", proc.stdout.readline())
        if found is None:
            raise SystemExit(f"topo ui {lab} printed no URL")
        yield found.group()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@contextmanager
def page() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser.new_page(viewport=VIEWPORT)
        finally:
            browser.close()


def drift(out: Path) -> None:
    """pod-a's eth0 down behind topo's back: the link and its plan line in red."""
    topo("apply", FLANNEL)
    try:
        with served(FLANNEL) as url, page() as p:
            p.goto(url)
            p.wait_for_selector("#conn.live", timeout=10_000)
            subprocess.run(["ip", "-n", "pod-a", "link", "set", "eth0", "down"], check=True)
            p.wait_for_selector('#links tr.link[data-a="pod-a:eth0"].state-drift', timeout=5_000)
            time.sleep(0.5)  # the diagram's redraw
            p.screenshot(path=str(out))
    finally:
        topo("destroy", FLANNEL, check=False)


def services(out: Path) -> None:
    """The Services lab after `topo check`: the Service's box, its endpoints, the checks passed."""
    topo("apply", SERVICES)
    try:
        topo("check", SERVICES)
        with served(SERVICES) as url, page() as p:
            p.goto(url)
            p.wait_for_selector("#conn.live", timeout=10_000)
            p.wait_for_selector("#checks li.check", timeout=5_000)
            time.sleep(0.5)
            p.screenshot(path=str(out))
    finally:
        topo("destroy", SERVICES, check=False)


def main() -> int:
    if os.environ.get("TOPO_IN_SANDBOX") != "1":
        print("run it in the sandbox: scripts/sandbox.sh .venv/bin/python docs/screenshots.py", file=sys.stderr)
        return 1
    drift(REPO / "docs" / "ui-drift.png")
    services(REPO / "docs" / "ui-services.png")
    print("wrote docs/ui-drift.png and docs/ui-services.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
