"""Rewrite the golden plans, tests/golden/plans/*.json (the cases: tests/golden/cases.py).

Regenerate them ONLY when a change of `topo plan --json` output is intended (and say so in the
commit); read `git diff tests/golden/plans` before committing. When the test
tests/test_golden_plans.py fails and the change was not meant, fix the code, not the files.

Run it as root from the repository, like pytest: NOT under scripts/sandbox.sh. It starts a
fresh sandbox per lab itself, with tests/sandbox.py (what the test's `sandbox` fixture uses),
and plans through the same `plan_lab` as the test:

    .venv/bin/python tests/golden/make.py                   # rewrite every file (stale ones go)
    .venv/bin/python tests/golden/make.py 05-flannel-cni0   # only the labs named
    .venv/bin/python tests/golden/make.py --check-reuse     # write nothing: plan every drift case
                                                            # in a fresh sandbox too and compare
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/: sandbox, conftest, test_drift

from golden.cases import PLANS, GoldenLab, golden_file, golden_labs, plan_lab  # noqa: E402
from sandbox import Sandbox  # noqa: E402


def plan_in_sandbox(lab: GoldenLab, workdir: Path) -> dict[str, str]:
    box = Sandbox(workdir / "sandbox").start()
    try:
        return plan_lab(box, lab, workdir / "lab")
    finally:
        box.close()


def write(labs: list[GoldenLab], workdir: Path, prune: bool) -> None:
    PLANS.mkdir(parents=True, exist_ok=True)
    written = set()
    for lab in labs:
        for case, text in plan_in_sandbox(lab, workdir / lab.name).items():
            golden_file(case).write_text(text)
            written.add(golden_file(case))
        print(f"{lab.name}: {len(lab.drifts) + 2} plans")
    for stale in sorted(set(PLANS.glob("*.json")) - written) if prune else []:
        stale.unlink()
        print(f"removed {stale.name}")


def check_reuse(labs: list[GoldenLab], workdir: Path) -> bool:
    """Each drift case alone in a fresh sandbox gives the plan it gives in the lab's shared one."""
    same = True
    for lab in [lab for lab in labs if lab.drifts]:
        shared = plan_in_sandbox(lab, workdir / lab.name)
        for case in lab.drifts:
            alone = plan_in_sandbox(dataclasses.replace(lab, drifts=(case,)), workdir / f"{lab.name}-{case.name}")
            for name, text in alone.items():
                if text != shared[name]:
                    same = False
                    print("".join(difflib.unified_diff(shared[name].splitlines(True), text.splitlines(True),
                                                       f"{name} (shared sandbox)", f"{name} (fresh sandbox)")))
        print(f"{lab.name}: {len(lab.drifts)} drift cases compared")
    return same


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("labs", nargs="*", help="lab names (file prefixes) to regenerate; default: all")
    parser.add_argument("--check-reuse", action="store_true", help="compare shared and fresh sandboxes; write nothing")
    args = parser.parse_args()
    if os.environ.get("TOPO_IN_SANDBOX") == "1":
        print("error: run make.py outside scripts/sandbox.sh (it starts its own sandboxes)", file=sys.stderr)
        return 1
    labs = [lab for lab in golden_labs() if not args.labs or lab.name in args.labs]
    unknown = set(args.labs) - {lab.name for lab in labs}
    if unknown:
        print(f"error: no golden lab named {', '.join(sorted(unknown))}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="topo-golden-") as tmp:
        if args.check_reuse:
            return 0 if check_reuse(labs, Path(tmp)) else 1
        write(labs, Path(tmp), prune=not args.labs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
