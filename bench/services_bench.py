"""Services benchmark: topo's nftables table for N Services of 3 endpoints each, against
nftables itself, measured in one run (bench/run services, inside a sandbox).

- cold: `topo apply` of the lab with its Services, once the same lab without them is up (so
  only the table and its sysctls are made), against one `nft -f` of the very ruleset topo
  made (listed back, deleted, loaded again: one transaction) and against one `nft add` per
  chain, rule and element (a process each, as a script of nft commands does it);
- no-op plan: `topo plan` of the applied lab, against `nft -j list table` alone;
- one endpoint less: the apply's plan lines, and which chains' rule handles changed.
Ratios only: every figure comes from this run."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from apply_bench import TOPO, best_of, timed
from labs import pods_lab, services_lab

HERE = Path(__file__).resolve().parent
TABLE = ["inet", "topo-svcbench"]


def nft(*args: str) -> str:
    return subprocess.run(["nft", *args], check=True, capture_output=True, text=True).stdout


def handles() -> dict[str, tuple[int, ...]]:
    out: dict[str, list[int]] = {}
    for item in json.loads(nft("-j", "-a", "list", "table", *TABLE))["nftables"]:
        if "rule" in item:
            out.setdefault(item["rule"]["chain"], []).append(item["rule"]["handle"])
    return {k: tuple(v) for k, v in out.items()}


def per_command_script(listing: dict) -> list[list[str]]:
    """`nft add` commands, one per chain, rule and map element, from the table's listing."""
    cmds: list[list[str]] = [["nft", "add", "table", *TABLE]]
    text = nft("list", "table", *TABLE)
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("chain "):
            chain = line.split()[1]
            cmds.append(["nft", "add", "chain", *TABLE, chain])
    for item in listing["nftables"]:
        if "map" in item:
            m = item["map"]
            cmds.append(["nft", "add", "map", *TABLE, m["name"], "{ type " + " . ".join(m["type"]) + " : verdict ; }"])
    # rules and elements as JSON commands, one process each
    for item in listing["nftables"]:
        if "rule" in item:
            r = {k: v for k, v in item["rule"].items() if k != "handle"}
            cmds.append(["nft", "-j", "-f", "-", json.dumps({"nftables": [{"add": {"rule": r}}]})])
        elif "map" in item:
            m = item["map"]
            for elem in m.get("elem") or []:
                e = {"family": m["family"], "table": m["table"], "name": m["name"], "elem": [elem]}
                cmds.append(["nft", "-j", "-f", "-", json.dumps({"nftables": [{"add": {"element": e}}]})])
    return cmds


def run_script(cmds: list[list[str]]) -> float:
    start = time.perf_counter()
    for cmd in cmds:
        if cmd[:4] == ["nft", "-j", "-f", "-"]:
            subprocess.run(cmd[:4], input=cmd[4], text=True, check=True, capture_output=True)
        else:
            subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--services", type=int, default=1000)
    parser.add_argument("--out", default=str(HERE / "results" / "services.json"))
    args = parser.parse_args()
    if os.environ.get("TOPO_IN_SANDBOX") != "1":
        sys.exit("run me through bench/run services (inside a sandbox), never on the machine's own network")
    work = Path(tempfile.mkdtemp(prefix="svcbench-", dir="/run/topo" if Path("/run/topo").is_dir() else None))
    base, full, less = work / "pods.yaml", work / "services.yaml", work / "less.yaml"
    base.write_text(pods_lab(30, "svcbench"))
    full.write_text(services_lab(args.services))
    less.write_text(services_lab(args.services, drop=args.services // 2))
    timed([TOPO, "apply", str(base)])
    fig: dict[str, float] = {}
    fig["topo_cold_apply"] = timed([TOPO, "apply", str(full)]).seconds
    fig["topo_noop_plan"] = best_of([TOPO, "plan", str(full)]).seconds
    fig["nft_list_table"] = best_of(["nft", "-j", "list", "table", *TABLE]).seconds
    listing = json.loads(nft("-j", "list", "table", *TABLE))
    ruleset = work / "ruleset.nft"
    ruleset.write_text(nft("list", "table", *TABLE))
    before = handles()
    plan = subprocess.run([TOPO, "plan", str(less)], capture_output=True, text=True).stdout
    changes = [line for line in plan.splitlines() if line[:1] in "+-~"]
    timed([TOPO, "apply", str(less)])
    after = handles()
    touched = sorted(c for c in set(before) | set(after) if before.get(c) != after.get(c))
    # baselines, on the same table: delete it, load it back
    nft("delete", "table", *TABLE)
    fig["nft_f_one_transaction"] = timed(["nft", "-f", str(ruleset)]).seconds
    cmds = per_command_script(listing)
    nft("delete", "table", *TABLE)
    fig["nft_add_per_rule"] = run_script(cmds)
    fig["nft_commands"] = float(len(cmds))
    rows = [
        ("topo cold apply / one nft -f", fig["topo_cold_apply"] / fig["nft_f_one_transaction"], 1.5),
        ("topo cold apply / nft add per rule", fig["topo_cold_apply"] / fig["nft_add_per_rule"], None),
        ("topo no-op plan / nft -j list table", fig["topo_noop_plan"] / fig["nft_list_table"], 2.0),
    ]
    print(f"\n{'figure':34} {'value':>10}")
    for key, value in fig.items():
        print(f"{key:34} {value:10.3f}")
    print(f"\n{'ratio':40} {'value':>7} {'target':>7}")
    for label, value, target in rows:
        ok = "" if target is None else ("yes" if value <= target else "NO")
        print(f"{label:40} {value:7.2f} {target if target is not None else '':>7}  {ok}")
    print(f"\none endpoint less: {len(changes)} plan lines; chains whose rules changed: {touched}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"services": args.services, "figures": fig,
                               "ratios": [{"ratio": r, "value": round(v, 3), "target": t} for r, v, t in rows],
                               "one_endpoint_less": {"plan": changes, "chains_changed": touched}}, indent=2) + "\n")
    print(f"written: {out}")


if __name__ == "__main__":
    main()
