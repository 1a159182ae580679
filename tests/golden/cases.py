"""The golden plans: which labs, which machine states, and how each `topo plan --json` is made.

One `GoldenLab` is one sandbox's worth of cases, planned in this order:
  <name>.clean         the lab on a clean machine
  <name>.applied       after `topo apply` (an empty plan)
  <name>.drift-<case>  after `topo apply` and the commands of a drift case of tests/test_drift.py;
                       between two drift cases `topo apply` repairs the machine (and verifies it);
                       after the last one the plan must be the applied one again. A reused sandbox
                       gives what a fresh one gives: `make.py --check-reuse` compares the two ways.
Nothing in these plans varies between runs (no pids, inodes, ifindexes, paths or times: two
runs were diffed), so the files hold topo's output exactly, nothing normalized.
Both tests/test_golden_plans.py and tests/golden/make.py go through `plan_lab`.
"""

from __future__ import annotations

import json
import runpy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conftest import LOCAL_EXAMPLES, example
from sandbox import REPO, Sandbox
from test_drift import CASES, DriftCase

PLANS = Path(__file__).resolve().parent / "plans"
BENCH_PODS = 100
MULTI_NODE = example("08")
MULTI_NODE_UNDERLAYS = {"node1": "192.0.2.11/24", "node2": "192.0.2.12/24"}  # as in topologies/08-multi-node.yaml


@dataclass(frozen=True)
class GoldenLab:
    name: str  # the prefix of its golden files
    path: str = ""  # an example, relative to the repo (or empty: `text` is written to the workdir)
    text: str = ""
    node: str = ""  # `--node` for a node of a multi-node lab
    setup: tuple[str, ...] = ()  # commands that make the sandbox the machine the lab expects
    drifts: tuple[DriftCase, ...] = ()

    def plan_args(self, path: str) -> list[str]:
        return [path] + (["--node", self.node] if self.node else [])


def underlay_nic(cidr: str) -> tuple[str, ...]:
    """The node's underlay address on an `eth0` of its own (a veth: this kernel may have no dummy)."""
    return ("ip link add eth0 type veth peer name eth0-peer", f"ip addr add {cidr} dev eth0",
            "ip link set eth0-peer up", "ip link set eth0 up")


def golden_labs() -> list[GoldenLab]:
    labs = []
    for p in LOCAL_EXAMPLES:
        drifts = tuple(c for c in CASES if p.name.startswith(c.lab))
        labs.append(GoldenLab(p.stem, path=str(p.relative_to(REPO)), drifts=drifts))
    stem = Path(MULTI_NODE).stem
    labs += [GoldenLab(f"{stem}.{node}", path=MULTI_NODE, node=node, setup=underlay_nic(cidr))
             for node, cidr in MULTI_NODE_UNDERLAYS.items()]
    pods_lab = runpy.run_path(str(REPO / "bench" / "labs.py"))["pods_lab"]
    labs.append(GoldenLab(f"bench-pods-{BENCH_PODS}", text=pods_lab(BENCH_PODS)))
    return labs


def case_names(lab: GoldenLab) -> list[str]:
    return [f"{lab.name}.clean", f"{lab.name}.applied"] + [f"{lab.name}.drift-{c.name}" for c in lab.drifts]


def golden_file(case: str) -> Path:
    return PLANS / f"{case}.json"


def render(doc: Any) -> str:
    """The text a golden file holds: the plan as topo printed it (key order kept), 2-space indented."""
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def expected_exit(doc: dict[str, Any]) -> int:
    if any(n["conflicts"] for n in doc["nodes"]):
        return 1
    return 2 if doc["changes_present"] else 0


def plan(box: Sandbox, lab: GoldenLab, path: str) -> str:
    """`topo plan --json` of the lab as it is now, checked against its own exit status."""
    res = box.topo("plan", *lab.plan_args(path), "--json", check=False)
    try:
        doc = json.loads(res.stdout)
    except json.JSONDecodeError:
        raise AssertionError(f"topo plan {lab.name} printed no JSON (exit {res.returncode}):\n{res.stdout}\n{res.stderr}")
    if res.returncode != expected_exit(doc):
        raise AssertionError(f"topo plan {lab.name} exited {res.returncode} for this plan:\n{res.stdout}\n{res.stderr}")
    return render(doc)


def apply(box: Sandbox, lab: GoldenLab, path: str) -> None:
    box.topo("apply", *lab.plan_args(path), timeout=300)


def plan_lab(box: Sandbox, lab: GoldenLab, workdir: Path) -> dict[str, str]:
    """Every case of `lab`, planned in one sandbox, as case name -> golden file text."""
    path = lab.path
    if lab.text:
        workdir.mkdir(parents=True, exist_ok=True)
        file = workdir / f"{lab.name}.yaml"
        file.write_text(lab.text)
        path = str(file)
    for cmd in lab.setup:
        box.run(cmd)
    out = {f"{lab.name}.clean": plan(box, lab, path)}
    apply(box, lab, path)
    applied = out[f"{lab.name}.applied"] = plan(box, lab, path)
    for case in lab.drifts:
        for cmd in case.commands:
            box.run(cmd)
        out[f"{lab.name}.drift-{case.name}"] = plan(box, lab, path)
        apply(box, lab, path)  # apply verifies; what it might leave shows in the next case's plan
    if lab.drifts and (repaired := plan(box, lab, path)) != applied:
        raise AssertionError(f"{lab.name}: after the drift cases and apply the plan is not the applied one:\n{repaired}")
    return out
