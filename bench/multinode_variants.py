"""Variants of a multi-node run, measured side by side on one test bed (bench/multinode_bench.py's
lab and bed, 4 nodes unless told): whole-command wall seconds, best of 3.

    python bench/multinode_variants.py mitogen [--mitogen DIR]   # no-op plan: linear vs mitogen_linear
    python bench/multinode_variants.py strategy                 # no-op plan: linear vs free

`mitogen` needs mitogen unpacked or installed in DIR (not a dependency of topo): its strategy
plugin is taken from DIR/ansible_mitogen/plugins/strategy (see docs/architecture.md's
multi-node section for the result and what mitogen 0.3.54 needed to run topo's action plugin)."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from multinode_bench import lab  # noqa: E402
from sandbox import TOPO, Sandbox  # noqa: E402
from testbed import Testbed  # noqa: E402


def run(bed: Testbed, argv: list[str], env: dict[str, str], want_rc: int) -> float:
    t0 = time.monotonic()
    res = bed.sandbox.run(argv, check=False, timeout=900, env={**bed.ansible_env(), **env})
    seconds = time.monotonic() - t0
    if res.returncode != want_rc:
        raise SystemExit(f"{' '.join(argv[:3])} exited {res.returncode} (wanted {want_rc}):\n{res.stdout[-2000:]}\n{res.stderr[-3000:]}")
    return seconds


def best(bed: Testbed, argv: list[str], env: dict[str, str], want_rc: int, n: int = 3) -> float:
    return min(run(bed, argv, env, want_rc) for _ in range(n))


def compare(bed: Testbed, lab_file: Path, inv: str, variants: dict[str, dict[str, str]]) -> None:
    """A no-op plan under each variant's environment, best of 3, alternated twice so that the
    machine's load falls on all alike."""
    plan = [TOPO, "plan", str(lab_file), "-i", inv, "--forks", "10"]
    run(bed, [TOPO, "apply", str(lab_file), "-i", inv], {}, 0)
    rows: dict[str, float] = {}
    for _ in range(2):
        for name, env in variants.items():
            rows[name] = min(rows.get(name, 1e9), best(bed, plan, env, 0))
    for name, seconds in rows.items():
        print(f"| no-op plan, {bed.n} nodes | {name} | {seconds:.2f} |")


def variants(args: argparse.Namespace) -> dict[str, dict[str, str]]:
    linear = "linear (pipelining, ControlPersist)"
    if args.variant == "strategy":
        return {linear: {}, "free": {"ANSIBLE_STRATEGY": "free"}}
    return {linear: {}, "mitogen_linear": {
        "ANSIBLE_STRATEGY_PLUGINS": str(Path(args.mitogen) / "ansible_mitogen" / "plugins" / "strategy"),
        "ANSIBLE_STRATEGY": "mitogen_linear"}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("variant", choices=("mitogen", "strategy"))
    parser.add_argument("--nodes", type=int, default=4)
    parser.add_argument("--mitogen", default="/tmp/mitogen")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="topo-mnvar-") as tmp:
        work = Path(tmp)
        box = Sandbox(work / "sandbox").start()
        bed = Testbed(box, work / "bed", n=args.nodes)
        try:
            bed.start()
            lab_file = work / "lab.yaml"
            lab_file.write_text(lab(args.nodes))
            compare(bed, lab_file, str(bed.inventory_path()), variants(args))
        finally:
            bed.stop()
            box.close()


if __name__ == "__main__":
    main()
