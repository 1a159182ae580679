"""Validation benchmark: `topo validate` of generated N-pod labs (10,000 by default).

Validation never touches the machine, so this runs anywhere (bench/run runs it first).
Every figure is the wall time of a whole fresh process, as a user runs it, best of
`--repeat` runs; beside topo, baselines measured in the same run: Python start-up alone,
PyYAML's C loader parsing the same file (no checks at all), and the reference
`jsonschema` validator on the parsed data (schema only). Output: a table, and JSON in
bench/results/validate.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from labs import pods_lab

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PY = sys.executable
TOPO = str(Path(PY).parent / "topo")
TARGET_SECONDS = 2.0  # for 10,000 namespaces, on this project's 2-core machines

PYYAML = "import sys, yaml; yaml.load(open(sys.argv[1]).read(), Loader=yaml.CSafeLoader)"
JSONSCHEMA = (
    "import sys, json, yaml, jsonschema;"
    "data = yaml.load(open(sys.argv[1]).read(), Loader=yaml.CSafeLoader);"
    "schema = json.load(open(sys.argv[2]));"
    "jsonschema.Draft202012Validator(schema).validate(data)"
)


@dataclass
class Figure:
    n: int
    name: str
    seconds: float
    max_rss_mb: float


def best_of(argv: list[str], repeat: int) -> tuple[float, float]:
    best, rss = float("inf"), 0.0
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            err = proc.stderr.read().decode() if proc.stderr else ""
            raise RuntimeError(f"{argv} failed: {err[-2000:]}")
        best, rss = min(best, elapsed), max(rss, usage.ru_maxrss / 1024)
    return best, rss


def measure(n: int, work: Path, repeat: int) -> list[Figure]:
    lab = work / f"pods-{n}.yaml"
    lab.write_text(pods_lab(n))
    schema = str(REPO / "schemas" / "topology.schema.json")
    runs = {
        "topo validate": [TOPO, "validate", str(lab)],
        "python start-up": [PY, "-c", "pass"],
        "PyYAML C loader only": [PY, "-c", PYYAML, str(lab)],
        "PyYAML + jsonschema only": [PY, "-c", JSONSCHEMA, str(lab), schema],
    }
    out = []
    for name, argv in runs.items():
        seconds, rss = best_of(argv, repeat)
        out.append(Figure(n, name, round(seconds, 3), round(rss, 1)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000", help="comma-separated namespace counts")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", default=str(HERE / "results" / "validate.json"))
    args = parser.parse_args()
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="topo-bench-") as tmp:
        for n in (int(x) for x in args.sizes.split(",")):
            print(f"validate: measuring N={n} ...", file=sys.stderr)
            figures += measure(n, Path(tmp), args.repeat)
    print(f"\n{'N':>6} {'validation figure':28} {'seconds':>8} {'RSS MB':>7}")
    for f in figures:
        print(f"{f.n:>6} {f.name:28} {f.seconds:8.2f} {f.max_rss_mb:7.1f}")
    verdicts = []
    for f in figures:
        if f.name == "topo validate" and f.n >= 10000:
            ok = f.seconds < TARGET_SECONDS
            verdicts.append({"n": f.n, "seconds": f.seconds, "target": TARGET_SECONDS, "ok": ok})
            print(f"target: topo validate of {f.n} namespaces < {TARGET_SECONDS} s: {'yes' if ok else 'NO'} ({f.seconds:.2f} s)")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"figures": [asdict(f) for f in figures], "targets": verdicts}, indent=2) + "\n")
    print(f"written: {out}")


if __name__ == "__main__":
    main()
