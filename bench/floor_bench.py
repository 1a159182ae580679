"""The kernel's floor (bench/baselines/floor.c) and topo's phase profile, for apply_bench.py.

The floor program is built here with the system compiler into the bench's work directory
(never committed). Its build is timed from a clean machine, its read (best of REPEAT) and
teardown after the same SETTLE as topo's plan and destroy. topo's profile is a separate run of
each command with TOPO_PROFILE=1: phases from its stderr, start-up = wall time - its total."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "baselines" / "floor.c"
PHASES = ("start-up", "load+validate", "read", "plan", "execute", "verify", "other")


def build_floor(work: Path) -> str:
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        raise RuntimeError("no C compiler (cc/gcc) for bench/baselines/floor.c")
    binary = work / "floor"
    subprocess.run([cc, "-O2", "-Wall", "-o", str(binary), str(SOURCE)], check=True)
    return str(binary)


def profiled(argv: list[str], expect: tuple[int, ...] = (0,)) -> dict[str, float]:
    """One run of a topo command with TOPO_PROFILE=1: its phase times in seconds."""
    start = time.perf_counter()
    proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          env={**os.environ, "NO_COLOR": "1", "TOPO_PROFILE": "1"})
    wall = time.perf_counter() - start
    if proc.returncode not in expect:
        raise RuntimeError(f"{argv} exited {proc.returncode}: {proc.stderr[-2000:]}")
    line = next(x for x in proc.stderr.splitlines() if x.startswith("topo profile:"))
    phases = {k: float(v) for k, v in (item.split("=") for item in line.split(":", 1)[1].split())}
    phases["start-up"] = wall - phases.pop("total")
    phases["wall"] = wall
    return phases


def measure_floor(f: dict[str, float], n: int, floor: str, timed: Callable[[list[str]], float],
                  best: Callable[[list[str]], float], clean: Callable[[], None], settle: float) -> None:
    clean()
    f["floor_build"] = timed([floor, "build", str(n)])
    time.sleep(settle)
    f["floor_read"] = best([floor, "read"])
    time.sleep(settle)
    f["floor_teardown"] = timed([floor, "teardown"])


def profile_topo(topo: str, lab: Path, clean: Callable[[], None], settle: float) -> dict[str, dict[str, float]]:
    """apply (cold), plan (unchanged) and destroy of the lab, each once, profiled."""
    clean()
    out = {"apply": profiled([topo, "apply", "-q", str(lab)])}
    time.sleep(settle)
    out["plan"] = profiled([topo, "plan", "-q", str(lab)])
    time.sleep(settle)
    out["destroy"] = profiled([topo, "destroy", "-q", str(lab)])
    return out


def print_profiles(n: int, profiles: dict[str, dict[str, float]]) -> None:
    print(f"\n{'N':>5} {'topo profile (s)':16} " + " ".join(f"{p:>13}" for p in PHASES) + f" {'wall':>7}")
    for command, phases in profiles.items():
        print(f"{n:>5} {command:16} " + " ".join(f"{phases.get(p, 0.0):13.3f}" for p in PHASES) + f" {phases['wall']:7.2f}")


def small_example(topo: str, example: Path, clean: Callable[[], None], best: Callable[[list[str]], float]) -> dict[str, float]:
    """The 3-pod example's whole-process apply (cold, best of REPEAT: destroyed between) and plan."""
    applies = []
    for _ in range(3):
        clean()
        start = time.perf_counter()
        subprocess.run([topo, "apply", "-q", str(example)], check=True, capture_output=True)
        applies.append(time.perf_counter() - start)
    figures = {"example3_apply": min(applies), "example3_plan": best([topo, "plan", "-q", str(example)])}
    subprocess.run([topo, "destroy", "-q", str(example)], check=True, capture_output=True)
    return figures
