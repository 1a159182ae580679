"""Kernel property run (issue: random topologies applied, verified, re-planned, changed,
destroyed). Runs INSIDE a sandbox (tests/test_property_kernel.py starts it there) and drives
the engine in process, so that hundreds of examples fit the CI budget.

For each example (a random valid topology A and a random edit B of it, tests/strategies.py):
  apply A (verified by apply itself) -> plan A is empty -> apply B (verified) -> plan B is
  empty -> destroy -> the machine (ip -j links, addresses, routes; /run/netns, /etc/netns,
  /etc/hosts) is as before A.
Prints one JSON line with the counts; exits 1 on a failure (hypothesis shrinks it and prints
the falsifying example).

    python tests/kernel_property.py EXAMPLES SEED
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import yaml  # noqa: E402
from hypothesis import HealthCheck, given, settings, seed  # noqa: E402

from provisioner.engine import apply_node, destroy_node, plan_node  # noqa: E402
from provisioner.loader import load_text  # noqa: E402
from provisioner.model import Topology  # noqa: E402
from provisioner.roots import Roots  # noqa: E402
from provisioner.validate import validate_document  # noqa: E402
from strategies import topology_pairs  # noqa: E402

COUNTS = {"examples": 0, "applies": 0, "actions": 0, "failed": 0}


def topology(data: dict[str, Any], name: str) -> Topology:
    result = validate_document(load_text(name, yaml.safe_dump(data, sort_keys=False)))
    assert result.topology is not None, [d.render() for d in result.diagnostics]
    return result.topology


def machine() -> dict[str, Any]:
    def ip(*args: str) -> Any:
        out = subprocess.run(["ip", "-j", *args], capture_output=True, text=True, check=True).stdout
        return json.loads(out or "[]")

    links = sorted((l["ifname"], l.get("mtu"), l.get("master"), tuple(l.get("flags", []))) for l in ip("link", "show"))
    addrs = sorted((a["ifname"], i["local"], i["prefixlen"]) for a in ip("addr", "show") for i in a.get("addr_info", []))
    routes = sorted(json.dumps(r, sort_keys=True) for r in ip("route", "show", "table", "all") + ip("-6", "route", "show", "table", "all"))
    files = subprocess.run(["sh", "-c", "ls -A /run/netns; find /etc/netns; cat /etc/hosts"], capture_output=True,
                           text=True).stdout
    return {"links": links, "addrs": addrs, "routes": routes, "files": files}


def one_example(roots: Roots, pair: tuple[dict[str, Any], dict[str, Any]]) -> None:
    a_data, b_data = pair
    a, b = topology(a_data, "a.yaml"), topology(b_data, "b.yaml")
    node = next(iter(a.nodes))
    before = machine()
    try:
        for topo in (a, b):
            done = apply_node(roots, topo, node)  # raises NotConverged unless the verification is clean
            COUNTS["applies"] += 1
            COUNTS["actions"] += len(done.done)
            again = plan_node(roots, topo, node)
            assert again.empty, [f"{x.change.value} {x.where}: {x.target}" for x in again.actions]
        destroy_node(roots, a.name, node)
        after = machine()
        assert after == before, {k: (before[k], after[k]) for k in before if before[k] != after[k]}
    except BaseException:
        COUNTS["failed"] += 1
        try:
            destroy_node(roots, a.name, node)  # leave the sandbox clean for the shrinking runs
        except Exception:  # noqa: BLE001
            pass
        raise
    finally:
        COUNTS["examples"] += 1


def main() -> int:
    examples, rng_seed = int(sys.argv[1]), int(sys.argv[2])
    roots = Roots.from_environ(os.environ)

    @seed(rng_seed)
    @settings(max_examples=examples, deadline=None, database=None, print_blob=True,
              suppress_health_check=list(HealthCheck))
    @given(topology_pairs(max_namespaces=4, max_bridges=2, max_edits=3))
    def prop(pair: tuple[dict[str, Any], dict[str, Any]]) -> None:
        one_example(roots, pair)

    code = 0
    try:
        prop()
    except BaseException as exc:  # noqa: BLE001 - reported, then the exit status says it
        print(f"FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
        import traceback

        for sub in getattr(exc, "exceptions", [exc]):  # hypothesis: each distinct (shrunk) failure
            print(f"--- {type(sub).__name__}: {sub}", file=sys.stderr)
            for note in getattr(sub, "__notes__", []):
                print(note, file=sys.stderr)
            if isinstance(sub, AssertionError):
                traceback.print_exception(sub, file=sys.stderr, limit=-2)
        code = 1
    print(json.dumps(COUNTS))
    return code


if __name__ == "__main__":
    sys.exit(main())
