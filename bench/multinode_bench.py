"""Multi-node benchmark (bench/run multinode): topo -i on 2, 4 and 8 nodes of the test bed
(tests/testbed.py: network namespaces each running a real sshd, reached over real SSH), each
node a cni0 and 10 pods with host-gw routes to every other node's pods, forks=10.

Per size, in one run: the baseline `ansible -m ping` to the same nodes with the same forks and
connection settings (the bed's ansible.cfg: pipelining, ControlPersist), then whole-command
wall seconds of `topo plan` on fresh nodes, plan (clean: nodes reached once before), apply
(cold), plan (no-op), apply (no-op) and destroy, and the time to topo's first line of output.
Prints a Markdown table of seconds and one of ratios to the ping; growth per added node is
the slope between the smallest and the largest size. Every figure comes from this run.
Runs as root; makes its own sandbox (nothing touches the machine's network)."""

from __future__ import annotations

import argparse
import json
import platform
import select
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from sandbox import TOPO, Sandbox  # noqa: E402
from testbed import PYTHON, Testbed  # noqa: E402

STEPS = ("plan (fresh)", "plan (clean)", "apply (cold)", "plan (no-op)", "apply (no-op)", "destroy")
EXPECTED_RC = {"plan (fresh)": 2, "plan (clean)": 2, "apply (cold)": 0, "plan (no-op)": 0, "apply (no-op)": 0, "destroy": 0}


def lab(nodes: int, pods: int = 10) -> str:
    """N nodes, each a cni0 10.244.N.1/24 with `pods` pods and a route to every other node's pods."""
    out = [f"name: mnbench{nodes}", "nodes:"]
    for n in range(1, nodes + 1):
        routes = ", ".join(f"{{to: 10.244.{m}.0/24, via: 192.0.2.{10 + m}}}" for m in range(1, nodes + 1) if m != n)
        out += [f"  node{n}:", f"    host: 192.0.2.{10 + n}", f"    underlay: 192.0.2.{10 + n}/24",
                "    sysctls: {net.ipv4.ip_forward: 1}", f"    routes: [{routes}]",
                f"    bridges: {{cni0: {{addresses: [10.244.{n}.1/24]}}}}"]
    out.append("namespaces:")
    for n in range(1, nodes + 1):
        for p in range(pods):
            out.append(f"  pod-{n}-{p}: {{node: node{n}, interfaces: {{eth0: {{addresses: [10.244.{n}.{p + 2}/24]}}}}, "
                       f"routes: [{{to: default, via: 10.244.{n}.1}}]}}")
    out.append("links:")
    out += [f"  - {{a: pod-{n}-{p}:eth0, b: cni0:veth-{n}-{p}}}" for n in range(1, nodes + 1) for p in range(pods)]
    return "\n".join(out) + "\n"


def timed(bed: Testbed, argv: list[str], want_rc: int | None = None) -> float:
    t0 = time.monotonic()
    res = bed.sandbox.run(argv, check=False, timeout=900, env=bed.ansible_env())
    seconds = time.monotonic() - t0
    if want_rc is not None and res.returncode != want_rc:
        raise SystemExit(f"{' '.join(argv[:3])}... exited {res.returncode} (wanted {want_rc}):\n"
                         f"{res.stdout[-2000:]}\n{res.stderr[-2000:]}")
    return seconds


def first_output(bed: Testbed, argv: list[str]) -> float:
    """Seconds from the start of `argv` to its first byte on stdout or stderr."""
    env = [f"{k}={v}" for k, v in bed.ansible_env().items()]
    t0 = time.monotonic()
    proc = bed.sandbox.popen(["env", *env, *argv])
    assert proc.stdout is not None and proc.stderr is not None
    select.select([proc.stdout, proc.stderr], [], [], 120)
    seconds = time.monotonic() - t0
    proc.communicate(timeout=900)
    return seconds


def measure(nodes: int, forks: int, work: Path) -> dict[str, float]:
    """One size, on a test bed of its own (in a sandbox of its own: the bed's bridge has one name)."""
    box = Sandbox(work / f"sandbox{nodes}").start()
    bed = Testbed(box, work / f"bed{nodes}", n=nodes)
    try:
        bed.start()
        path = work / f"lab{nodes}.yaml"
        path.write_text(lab(nodes))
        inv = str(bed.inventory_path())
        ping = min(timed(bed, [str(Path(sys.executable).parent / "ansible"), "-i", inv, "all", "-m", "ping",
                               "--forks", str(forks)], 0) for _ in range(3))
        row = {"ping": ping}
        argv = {"plan": [TOPO, "plan", str(path), "-i", inv, "--forks", str(forks)],
                "apply": [TOPO, "apply", str(path), "-i", inv, "--forks", str(forks)],
                "destroy": [TOPO, "destroy", str(path), "-i", inv, "--forks", str(forks)]}
        for step in STEPS:
            row[step] = timed(bed, argv[step.split()[0]], EXPECTED_RC[step])
            if step == "plan (no-op)":
                row["first output"] = first_output(bed, argv["plan"])
        return row
    finally:
        bed.stop()
        box.close()


def prebuild_wheels() -> None:
    """The node Python's wheels of topo's dependencies, fetched outside the sandbox (as the tests
    do) when this topo still installs from wheels; a payload-based topo needs none."""
    ver = subprocess.run([PYTHON, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], capture_output=True,
                         text=True, check=True).stdout.strip()
    subprocess.run([sys.executable, "-m", "provisioner.wheels", "--python", ver, "--machine", platform.machine()],
                   capture_output=True, cwd=REPO)


def tables(rows: dict[int, dict[str, float]]) -> str:
    cols = [*STEPS, "first output"]
    out = ["| nodes | ping | " + " | ".join(cols) + " |", "|---" * (len(cols) + 2) + "|"]
    out += [f"| {n} | {r['ping']:.2f} | " + " | ".join(f"{r[c]:.2f}" for c in cols) + " |" for n, r in rows.items()]
    out += ["", "ratio to `ansible -m ping`:", "", "| nodes | " + " | ".join(STEPS) + " |", "|---" * (len(STEPS) + 1) + "|"]
    out += [f"| {n} | " + " | ".join(f"{r[c] / r['ping']:.1f}x" for c in STEPS) + " |" for n, r in rows.items()]
    lo, hi = min(rows), max(rows)
    if hi > lo:
        slope = {c: (rows[hi][c] - rows[lo][c]) / (hi - lo) for c in ("ping", *STEPS)}
        out += ["", "growth per added node (s): " + ", ".join(f"{c} {v:.2f}" for c, v in slope.items())]
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--nodes", default="2,4,8", help="comma-separated node counts (default 2,4,8)")
    ap.add_argument("--forks", type=int, default=10)
    ap.add_argument("--json", dest="json_out", type=Path, default=None, help="also write the figures here")
    args = ap.parse_args()
    prebuild_wheels()
    rows: dict[int, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="topo-mnbench-") as tmp:
        for n in (int(x) for x in args.nodes.split(",")):
            rows[n] = measure(n, args.forks, Path(tmp))
            print(f"{n} nodes: " + ", ".join(f"{k} {v:.2f}s" for k, v in rows[n].items()), file=sys.stderr, flush=True)
    print(tables(rows))
    if args.json_out is not None:
        args.json_out.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
