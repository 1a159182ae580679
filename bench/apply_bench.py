"""Apply/plan/destroy benchmark: topo against shell baselines, measured side by side in one run.

Run it with `bench/run` (which enters a sandbox). Every figure is a wall time of a whole
command (a fresh process, as a user runs it); ratios compare topo with the baselines of the
same run. Results: a table on stdout and JSON in bench/results/apply.json.

After a lab comes up the kernel keeps busy for seconds with IPv6 autoconfiguration of its
2,000 links (duplicate address detection, router solicitations), and that slows every netlink
reader, topo and `ip` alike. So the reads and teardowns of both sides are measured after the
same pause (SETTLE) after their apply; cold applies are measured from a clean machine, and
what can run again unchanged (no-op apply, plans, the shell state read) is the best of
REPEAT runs on both sides, as timeit does: the kernel's background work still comes in bursts.

The kernel's own part of a destroy is measured too, with no start-up, file, plan or record,
until the root namespace's veths are gone (as topo's verification waits): `kernel_teardown_unpin`
unpins every namespace on 16 threads, as topo does; `kernel_teardown_group` first deletes the
root veths in one request by link group (one batch in the kernel, the fastest way found), then
unpins. No tool that waits for the kernel to finish can take less than the smaller of the two;
the `ip netns del` loop returns before the kernel is done.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from floor_bench import build_floor, measure_floor, print_profiles, profile_topo, small_example
from labs import pods_lab

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
TOPO = str(Path(sys.executable).parent / "topo")
BASE = HERE / "baselines"
SETTLE = 3.0  # seconds after an apply before reads and teardowns are measured (see above)
REPEAT = 3
RSS_TARGET_MB = 400  # topo's peak RSS at 10,000 pods


@dataclass
class Run:
    seconds: float
    max_rss_mb: float
    exit: int


def best_of(argv: list[str], expect: tuple[int, ...] = (0,)) -> Run:
    """The fastest of REPEAT runs of a command that changes nothing (peak RSS: the largest)."""
    runs = [timed(argv, expect) for _ in range(REPEAT)]
    return Run(min(r.seconds for r in runs), max(r.max_rss_mb for r in runs), runs[0].exit)


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
    for bridge in cni_bridges():
        subprocess.run(["ip", "link", "del", bridge], check=False, capture_output=True)
    shutil.rmtree("/var/lib/topo/labs", ignore_errors=True)
    while veths_left():  # let the kernel finish removing the namespaces' links
        time.sleep(0.1)
    time.sleep(0.5)


def cni_bridges() -> list[str]:
    """The lab's bridges left in the root namespace (cni0, cni1, ...)."""
    links = json.loads(subprocess.run(["ip", "-j", "link", "show", "type", "bridge"], capture_output=True, text=True).stdout or "[]")
    return [link["ifname"] for link in links if link["ifname"].startswith("cni")]


def veths_left() -> bool:
    return "veth" in subprocess.run(["ip", "-o", "link", "show", "type", "veth"], capture_output=True, text=True).stdout


def kernel_teardown(group: bool) -> float:
    """Seconds from the start of the teardown until the root namespace has no veth left:
    unpin every namespace (16 threads, MNT_DETACH, as topo and `ip netns del` do), with
    `group` after deleting the root veths in one request by link group (set beforehand)."""
    libc = ctypes.CDLL(None, use_errno=True)
    names = os.listdir("/run/netns")
    if group:
        veths = subprocess.run(["ip", "-o", "link", "show", "type", "veth"], capture_output=True, text=True).stdout
        batch = "".join(f"link set dev {line.split(':')[1].strip().split('@')[0]} group 77\n" for line in veths.splitlines())
        subprocess.run(["ip", "-batch", "-"], input=batch, text=True, check=True)

    def unpin(name: str) -> None:
        path = f"/run/netns/{name}"
        if libc.umount2(path.encode(), 2) != 0:
            raise OSError(ctypes.get_errno(), f"umount {path}")
        os.unlink(path)

    start = time.perf_counter()
    if group:
        subprocess.run(["ip", "link", "delete", "group", "77"], check=True)
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(unpin, names))
    while veths_left():
        time.sleep(0.02)
    return time.perf_counter() - start


@dataclass
class Result:
    n: int
    figures: dict[str, float] = field(default_factory=dict)
    topo_peak_rss_mb: float = 0.0
    rss_mb: dict[str, float] = field(default_factory=dict)  # topo's peak RSS per command (largest of its runs)
    notes: list[str] = field(default_factory=list)
    profiles: dict[str, dict[str, float]] = field(default_factory=dict)


def measure_topo(res: Result, topo: str, lab: Path, prefix: str = "topo") -> float:
    """apply, no-op apply, plan, plan after one drift and destroy with the `topo` command at
    `topo`, as figures named PREFIX_... (and each command's peak RSS in res.rss_mb); returns
    the largest peak RSS."""
    def record(key: str, run: Run) -> None:
        res.figures[f"{prefix}_{key}"] = run.seconds
        res.rss_mb[f"{prefix}_{key}"] = round(run.max_rss_mb, 1)

    clean()
    record("cold_apply", timed([topo, "apply", "-q", str(lab)]))
    time.sleep(SETTLE)
    record("noop_apply", best_of([topo, "apply", "-q", str(lab)]))
    record("plan_unchanged", best_of([topo, "plan", "-q", str(lab)]))
    subprocess.run(["ip", "-n", "pod-0", "link", "set", "eth0", "down"], check=True)
    record("plan_one_drift", best_of([topo, "plan", "-q", str(lab)], (2,)))
    time.sleep(SETTLE)
    record("destroy", timed([topo, "destroy", "-q", str(lab)]))
    return max(v for k, v in res.rss_mb.items() if k.startswith(prefix))


def measure(n: int, lab: Path, mininet: bool, other: str | None = None, floor: str | None = None, shell: bool = True) -> Result:
    """Every figure at n pods; `shell`: the shell baselines (and Mininet) too."""
    res = Result(n)
    f = res.figures
    res.topo_peak_rss_mb = measure_topo(res, TOPO, lab)
    if floor is not None:
        measure_floor(f, n, floor, lambda argv: timed(argv).seconds, lambda argv: best_of(argv).seconds, clean, SETTLE)
        res.profiles = profile_topo(TOPO, lab, clean, SETTLE)
    if not shell:
        clean()
        return res
    if other is not None:  # another topo (an older release) in the same run, against the same baselines
        measure_topo(res, other, lab, "other")
    # baselines
    clean()
    f["ip_per_step_apply"] = timed(["bash", str(BASE / "ip-per-step.sh"), str(n)]).seconds
    clean()
    f["ip_batch_apply"] = timed(["bash", str(BASE / "ip-batch.sh"), str(n)]).seconds
    time.sleep(SETTLE)
    f["ip_read_state"] = best_of(["bash", str(BASE / "read-state.sh")]).seconds
    time.sleep(SETTLE)
    start = time.perf_counter()
    f["ip_netns_del_loop"] = timed(["bash", str(BASE / "netns-del.sh")]).seconds
    while veths_left():
        time.sleep(0.02)
    f["ip_netns_del_loop_until_links_gone"] = time.perf_counter() - start
    for group in (False, True):
        clean()
        subprocess.run(["bash", str(BASE / "ip-batch.sh"), str(n)], check=True, capture_output=True)
        time.sleep(SETTLE)
        f["kernel_teardown_group" if group else "kernel_teardown_unpin"] = kernel_teardown(group)
    clean()
    if mininet and shutil.which("mn"):
        try:
            f["mininet_start_stop"] = timed(["bash", str(BASE / "mininet.sh"), str(n)]).seconds
        except RuntimeError as exc:
            res.notes.append(f"mininet failed: {exc}")
        clean()
    return res


TARGETS = (
    ("cold apply / floor build", "topo_cold_apply", "floor_build", 1.5),
    ("plan unchanged / floor read", "topo_plan_unchanged", "floor_read", 2.0),
    ("destroy / floor teardown", "topo_destroy", "floor_teardown", 1.2),
    ("cold apply / ip -batch", "topo_cold_apply", "ip_batch_apply", 0.5),
    ("cold apply / ip per step", "topo_cold_apply", "ip_per_step_apply", 0.25),
    ("plan unchanged / ip state read", "topo_plan_unchanged", "ip_read_state", 0.2),
    ("no-op apply / ip state read", "topo_noop_apply", "ip_read_state", 0.2),
    ("destroy / ip netns del loop", "topo_destroy", "ip_netns_del_loop", 0.5),
)


def per_pod_scaling(small: Result, large: Result) -> list[dict[str, object]]:
    """Per-pod time of the larger size over the smaller's, for apply, plan and destroy (<= 1.3x)."""
    rows: list[dict[str, object]] = []
    for label, key in (("apply", "topo_cold_apply"), ("plan", "topo_plan_unchanged"), ("destroy", "topo_destroy")):
        if key not in small.figures or key not in large.figures:
            continue
        scale = (large.figures[key] / large.n) / (small.figures[key] / small.n)
        shown = f"per-pod {label}, N={large.n} / N={small.n}"
        rows.append({"n": large.n, "ratio": shown, "value": round(scale, 3), "target": 1.3, "ok": scale <= 1.3})
        print(f"{large.n:>5} {shown:34} {scale:7.2f} {1.3:7.2f}  {'yes' if scale <= 1.3 else 'NO'}")
        fkey = {"apply": "floor_build", "plan": "floor_read", "destroy": "floor_teardown"}[label]
        if fkey in small.figures and fkey in large.figures:
            fscale = (large.figures[fkey] / large.n) / (small.figures[fkey] / small.n)
            shown = f"(floor's per-pod {fkey.split('_')[1]}, same sizes)"
            rows.append({"n": large.n, "ratio": shown, "value": round(fscale, 3), "target": None, "ok": None})
            print(f"{large.n:>5} {shown:34} {fscale:7.2f}")
    return rows


def report(results: list[Result]) -> dict[str, object]:
    rows: list[dict[str, object]] = []
    print(f"\n{'N':>5} {'figure':32} {'seconds':>9}")
    for r in results:
        for key, value in r.figures.items():
            print(f"{r.n:>5} {key:32} {value:9.2f}")
        for key, mb in r.rss_mb.items():
            print(f"{r.n:>5} {key + ' peak RSS (MB)':32} {mb:9.1f}")
    print(f"\n{'N':>5} {'ratio':34} {'value':>7} {'target':>7}  ok")
    for r in results:
        for label, num, den, target in TARGETS:
            for who in ("topo", "other"):
                key = num.replace("topo_", f"{who}_", 1)
                if key not in r.figures or den not in r.figures:
                    continue
                shown = label if who == "topo" else f"{label} (--other-topo)"
                ratio = r.figures[key] / r.figures[den]
                ok = ratio <= target
                rows.append({"n": r.n, "ratio": shown, "value": round(ratio, 3), "target": target, "ok": ok})
                print(f"{r.n:>5} {shown:34} {ratio:7.2f} {target:7.2f}  {'yes' if ok else 'NO'}")
    by_n = {r.n: r for r in results}
    if len(by_n) >= 2:
        rows += per_pod_scaling(by_n[min(by_n)], by_n[max(by_n)])
    for r in results:
        if r.profiles:
            print_profiles(r.n, r.profiles)
    for r in results:
        if "kernel_teardown_unpin" not in r.figures:
            continue
        floor = min(r.figures["kernel_teardown_unpin"], r.figures["kernel_teardown_group"]) / r.figures["ip_netns_del_loop"]
        rows.append({"n": r.n, "ratio": "kernel teardown floor / ip netns del loop (no target: the lowest destroy ratio "
                     "a tool that waits for the kernel can reach)", "value": round(floor, 3), "target": None, "ok": None})
        print(f"{r.n:>5} {'(kernel floor / ip netns del loop)':34} {floor:7.2f}  {'':7}  (lowest any waiting destroy can get)")
    for r in results:
        target = RSS_TARGET_MB if r.n >= 10000 else None
        ok = None if target is None else r.topo_peak_rss_mb <= target
        rows.append({"n": r.n, "ratio": "topo peak RSS MB", "value": round(r.topo_peak_rss_mb, 1), "target": target, "ok": ok})
        verdict = "" if target is None else f"{target:7.0f}  {'yes' if ok else 'NO'}"
        print(f"{r.n:>5} {'topo peak RSS MB (all commands)':34} {r.topo_peak_rss_mb:7.1f} {verdict}")
        for note in r.notes:
            print(f"note: {note}")
    return {"results": [asdict(r) for r in results], "ratios": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100,1000", help="comma-separated pod counts")
    parser.add_argument("--no-mininet", action="store_true", help="skip the Mininet baseline")
    parser.add_argument("--other-topo", default=None,
                        help="another topo command (e.g. an older release's .venv/bin/topo) measured in the same run")
    parser.add_argument("--no-floor", action="store_true", help="skip the floor program and topo's profile")
    parser.add_argument("--no-shell", action="store_true", help="skip the shell baselines (and Mininet)")
    parser.add_argument("--shell-max", type=int, default=None,
                        help="run the shell baselines (and Mininet) only up to this many pods (one `ip` per step "
                             "takes minutes at 10,000)")
    parser.add_argument("--example", default=str(REPO / "topologies" / "05-flannel-cni0.yaml"),
                        help="the small example timed whole-process (apply, plan); '' to skip")
    parser.add_argument("--out", default=str(HERE / "results" / "apply.json"))
    args = parser.parse_args()
    if os.environ.get("TOPO_IN_SANDBOX") != "1":
        sys.exit("run me through bench/run (inside a sandbox), never on the machine's own network")
    resource.setrlimit(resource.RLIMIT_NOFILE, resource.getrlimit(resource.RLIMIT_NOFILE)[1:] * 2)
    work = Path("/run/topo/bench")
    work.mkdir(parents=True, exist_ok=True)
    floor = None if args.no_floor else build_floor(work)
    results = []
    for n in (int(x) for x in args.sizes.split(",")):
        lab = work / f"pods-{n}.yaml"
        lab.write_text(pods_lab(n))
        print(f"measuring N={n} ...", file=sys.stderr)
        shell = not args.no_shell and (args.shell_max is None or n <= args.shell_max)
        results.append(measure(n, lab, not args.no_mininet and shell, args.other_topo, floor, shell))
        partial = Path(args.out).with_suffix(".partial.json")  # what is measured so far, if a larger size fails
        partial.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text(json.dumps({"results": [asdict(r) for r in results]}, indent=2) + "\n")
    example = small_example(TOPO, Path(args.example), clean, lambda argv: best_of(argv).seconds) if args.example else {}
    data = report(results)
    for key, target in (("example3_apply", 0.2), ("example3_plan", 0.12)):
        if key in example:
            print(f"{'':>5} {key + ' (s, whole process)':34} {example[key]:7.3f} {target:7.2f}  {'yes' if example[key] <= target else 'NO'}")
    data["example"] = example
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=2) + "\n")
    print(f"\nwritten: {out}")


if __name__ == "__main__":
    main()
