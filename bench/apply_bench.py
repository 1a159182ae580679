"""Apply/plan/destroy benchmark: topo against shell baselines, measured side by side in one run.

Run it with `bench/run` (which enters a sandbox). Every figure is a wall time of a whole
command (a fresh process, as a user runs it); ratios compare topo with the baselines of the
same run. Results: a table on stdout and JSON in bench/results/apply.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from labs import pods_lab

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
TOPO = str(Path(sys.executable).parent / "topo")
BASE = HERE / "baselines"


@dataclass
class Run:
    seconds: float
    max_rss_mb: float
    exit: int


def timed(argv: list[str], expect: tuple[int, ...] = (0,)) -> Run:
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, "NO_COLOR": "1"})
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in expect:
        err = proc.stderr.read().decode() if proc.stderr else ""
        raise RuntimeError(f"{argv} exited {code}: {err[-2000:]}")
    return Run(seconds, usage.ru_maxrss / 1024, code)


def clean() -> None:
    """Remove whatever a scenario left (inside the sandbox only)."""
    subprocess.run(["bash", str(BASE / "netns-del.sh")], check=False, capture_output=True)
    subprocess.run(["ip", "link", "del", "cni0"], check=False, capture_output=True)
    shutil.rmtree("/var/lib/topo/labs", ignore_errors=True)
    time.sleep(0.5)  # let the kernel finish removing the namespaces' links


@dataclass
class Result:
    n: int
    figures: dict[str, float] = field(default_factory=dict)
    topo_peak_rss_mb: float = 0.0
    notes: list[str] = field(default_factory=list)


def measure(n: int, lab: Path, mininet: bool) -> Result:
    res = Result(n)
    f = res.figures
    rss = 0.0
    # topo
    clean()
    for key, argv, expect in (
        ("topo_cold_apply", [TOPO, "apply", "-q", str(lab)], (0,)),
        ("topo_noop_apply", [TOPO, "apply", "-q", str(lab)], (0,)),
        ("topo_plan_unchanged", [TOPO, "plan", "-q", str(lab)], (0,)),
    ):
        run = timed(argv, expect)
        f[key], rss = run.seconds, max(rss, run.max_rss_mb)
    subprocess.run(["ip", "-n", "pod-0", "link", "set", "eth0", "down"], check=True)
    run = timed([TOPO, "plan", "-q", str(lab)], (2,))
    f["topo_plan_one_drift"], rss = run.seconds, max(rss, run.max_rss_mb)
    run = timed([TOPO, "destroy", "-q", str(lab)])
    f["topo_destroy"], rss = run.seconds, max(rss, run.max_rss_mb)
    res.topo_peak_rss_mb = rss
    # baselines
    clean()
    f["ip_per_step_apply"] = timed(["bash", str(BASE / "ip-per-step.sh"), str(n)]).seconds
    clean()
    f["ip_batch_apply"] = timed(["bash", str(BASE / "ip-batch.sh"), str(n)]).seconds
    f["ip_read_state"] = timed(["bash", str(BASE / "read-state.sh")]).seconds
    start = time.perf_counter()
    f["ip_netns_del_loop"] = timed(["bash", str(BASE / "netns-del.sh")]).seconds
    while "veth" in subprocess.run(["ip", "-o", "link", "show", "type", "veth"], capture_output=True, text=True).stdout:
        time.sleep(0.02)
    f["ip_netns_del_loop_until_links_gone"] = time.perf_counter() - start
    clean()
    if mininet and shutil.which("mn"):
        try:
            f["mininet_start_stop"] = timed(["bash", str(BASE / "mininet.sh"), str(n)]).seconds
        except RuntimeError as exc:
            res.notes.append(f"mininet failed: {exc}")
        clean()
    return res


TARGETS = (
    ("cold apply / ip -batch", "topo_cold_apply", "ip_batch_apply", 0.5),
    ("cold apply / ip per step", "topo_cold_apply", "ip_per_step_apply", 0.25),
    ("plan unchanged / ip state read", "topo_plan_unchanged", "ip_read_state", 0.2),
    ("no-op apply / ip state read", "topo_noop_apply", "ip_read_state", 0.2),
    ("destroy / ip netns del loop", "topo_destroy", "ip_netns_del_loop", 0.5),
)


def report(results: list[Result]) -> dict[str, object]:
    rows: list[dict[str, object]] = []
    print(f"\n{'N':>5} {'figure':32} {'seconds':>9}")
    for r in results:
        for key, value in r.figures.items():
            print(f"{r.n:>5} {key:32} {value:9.2f}")
        print(f"{r.n:>5} {'topo peak RSS (MB)':32} {r.topo_peak_rss_mb:9.1f}")
    print(f"\n{'N':>5} {'ratio':34} {'value':>7} {'target':>7}  ok")
    for r in results:
        for label, num, den, target in TARGETS:
            ratio = r.figures[num] / r.figures[den]
            ok = ratio <= target
            rows.append({"n": r.n, "ratio": label, "value": round(ratio, 3), "target": target, "ok": ok})
            print(f"{r.n:>5} {label:34} {ratio:7.2f} {target:7.2f}  {'yes' if ok else 'NO'}")
    by_n = {r.n: r for r in results}
    if len(by_n) >= 2:
        small, large = min(by_n), max(by_n)
        per_small = by_n[small].figures["topo_cold_apply"] / small
        per_large = by_n[large].figures["topo_cold_apply"] / large
        scale = per_large / per_small
        rows.append({"n": large, "ratio": f"apply time per pod, N={large} / N={small}", "value": round(scale, 3), "target": 1.3, "ok": scale <= 1.3})
        print(f"{large:>5} {'per-pod apply, N=' + str(large) + ' / N=' + str(small):34} {scale:7.2f} {1.3:7.2f}  {'yes' if scale <= 1.3 else 'NO'}")
    for r in results:
        ok = r.topo_peak_rss_mb <= 150
        rows.append({"n": r.n, "ratio": "topo peak RSS MB", "value": round(r.topo_peak_rss_mb, 1), "target": 150, "ok": ok})
        for note in r.notes:
            print(f"note: {note}")
    return {"results": [asdict(r) for r in results], "ratios": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100,1000", help="comma-separated pod counts")
    parser.add_argument("--no-mininet", action="store_true", help="skip the Mininet baseline")
    parser.add_argument("--out", default=str(HERE / "results" / "apply.json"))
    args = parser.parse_args()
    if os.environ.get("TOPO_IN_SANDBOX") != "1":
        sys.exit("run me through bench/run (inside a sandbox), never on the machine's own network")
    resource.setrlimit(resource.RLIMIT_NOFILE, resource.getrlimit(resource.RLIMIT_NOFILE)[1:] * 2)
    work = Path("/run/topo/bench")
    work.mkdir(parents=True, exist_ok=True)
    results = []
    for n in (int(x) for x in args.sizes.split(",")):
        lab = work / f"pods-{n}.yaml"
        lab.write_text(pods_lab(n))
        print(f"measuring N={n} ...", file=sys.stderr)
        results.append(measure(n, lab, not args.no_mininet))
    data = report(results)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=2) + "\n")
    print(f"\nwritten: {out}")


if __name__ == "__main__":
    main()
