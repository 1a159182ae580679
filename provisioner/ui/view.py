"""What the page shows of a lab at one moment: the kernel's state of each drawn object, the
drift as `topo plan` words it (the planner's own plan for the lab, line for line), process
status, the last check results and each interface's counters."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..check_results import last_results
from ..core.keys import AddressKey, FdbKey, LinkKey, NetnsKey, ProcessKey
from ..core.plan import Action, Plan
from ..live import LiveState
from ..model import Topology
from ..names import escape
from ..render.graph import iface_id, netns_id
from ..render.graph_web import Drawing
from ..render.plan import action_line, summary_line
from ..render.table import inventory_rows
from ..roots import Roots
from .netlink import Counters


@dataclass(frozen=True)
class Lab:
    """The lab a page is about: its file, the topology read from it, and this machine's node of it."""

    file: Path
    topo: Topology
    node: str
    var_pairs: tuple[str, ...] = ()
    vars_files: tuple[Path, ...] = ()

    def argv(self, command: str) -> list[str]:
        """The arguments of a topo COMMAND on this lab (its file, variables and node)."""
        out = [command, str(self.file), "--node", self.node]
        for pair in self.var_pairs:
            out += ["--var", pair]
        for path in self.vars_files:
            out += ["--vars-file", str(path)]
        return out


def lab_interfaces(lab: Lab) -> dict[str, tuple[str | None, str]]:
    """Each drawn interface's id -> (namespace, name): the interfaces the file declares on this node."""
    return {iface_id(lab.node, ns.place.netns, name): (ns.place.netns, name)
            for ns in lab.topo.nodes[lab.node].all_netns() for name in ns.interfaces}


def element_of(lab: Lab, action: Action) -> str:
    """The id of the drawn object an action of the plan is about: its interface (a link, its
    addresses, its forwarding entries), else its namespace's box (routes, sysctls, hosts, processes)."""
    key = action.key
    if isinstance(key, LinkKey):
        return iface_id(lab.node, key.netns, key.name)
    if isinstance(key, (AddressKey, FdbKey)):
        return iface_id(lab.node, key.netns, key.ifname)
    if isinstance(key, NetnsKey):
        return netns_id(lab.node, key.name)
    return netns_id(lab.node, action.netns)


def _end_name(netns: str | None, ifname: str) -> str:
    return f"{netns or '(root)'}:{ifname}"


def _plan_part(lab: Lab, plan: Plan, ids: set[str]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The plan as the page shows it, and each drawn object's lines of it (the lines no drawn
    object takes are the lab's: shown with the plan only)."""
    drift: dict[str, list[str]] = {}
    for a in plan.actions:
        where = element_of(lab, a)
        if where in ids:
            drift.setdefault(where, []).append(escape(action_line(a)))
    doc = {"summary": summary_line(plan), "lines": [escape(action_line(a)) for a in plan.actions],
           "conflicts": [escape(f"! {c.netns or '(root)'}: {c.message}") for c in plan.conflicts], "empty": plan.empty}
    return doc, drift


def _objects(lab: Lab, live: LiveState, counters: dict[str | None, dict[str, Counters]],
             drift: dict[str, list[str]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for row in inventory_rows(lab.topo, lab.node, live):
        netns = None if row.namespace == "(root)" else row.namespace
        if row.kind == "namespace":
            continue
        eid = iface_id(lab.node, netns, row.interface)
        seen = counters.get(netns, {}).get(row.interface)
        out[eid] = {"name": _end_name(netns, row.interface), "state": row.state, "mtu": row.mtu,
                    "addresses": list(row.addresses), "drift": drift.get(eid, []),
                    "counters": seen.to_json() if seen else None}
    return out


def _namespaces(lab: Lab, live: LiveState, drift: dict[str, list[str]]) -> list[dict[str, Any]]:
    out = []
    for ns in lab.topo.nodes[lab.node].all_netns():
        eid = netns_id(lab.node, ns.place.netns)
        exists = ns.place.netns is None or live.netns(ns.place.netns) is not None
        out.append({"id": eid, "name": ns.place.netns or "(root)", "exists": exists, "drift": drift.get(eid, [])})
    return out


def _edge_state(ends: list[dict[str, Any] | None]) -> str:
    if any(e is not None and e["drift"] for e in ends):
        return "drift"
    if any(e is not None and e["state"] != "up" for e in ends):
        return "down"
    return "up"


def _links(drawing: Drawing, objects: dict[str, dict[str, Any]], labels: dict[str, str]) -> list[dict[str, Any]]:
    out = []
    for el in drawing.elements:
        if el["group"] != "edges":
            continue
        data = el["data"]
        ends = [objects.get(data["source"]), objects.get(data["target"])]
        first = ends[0] or ends[1]
        out.append({"id": data["id"], "kind": data["kind"], "label": data["label"],
                    "a": labels.get(data["source"], data["source"]), "b": labels.get(data["target"], data["target"]),
                    "state": _edge_state(ends), "drift": [line for e in ends if e for line in e["drift"]],
                    "counters": first["counters"] if first else None})
    return out


def _processes(lab: Lab, live: LiveState, plan: Plan) -> list[dict[str, Any]]:
    out = []
    for ns in lab.topo.nodes[lab.node].namespaces.values():
        for name in sorted(ns.processes):
            assert ns.place.netns is not None
            seen = live.processes.get((ns.place.netns, name))
            status = "running" if seen and seen.alive and seen.in_place else "not running"
            key = ProcessKey(ns.place.netns, name)
            lines = [escape(action_line(a)) for a in plan.actions if a.key == key]
            out.append({"namespace": ns.place.netns, "name": name, "status": status, "drift": lines})
    return out


def lab_view(roots: Roots, lab: Lab, drawing: Drawing, live: LiveState, plan: Plan,
             counters: dict[str | None, dict[str, Counters]]) -> dict[str, Any]:
    """The page's whole state document (`/api/state`, and each event of `/events`)."""
    ids = {el["data"]["id"] for el in drawing.elements}
    plan_doc, drift = _plan_part(lab, plan, ids)
    objects = _objects(lab, live, counters, drift)
    labels = {el["data"]["id"]: el["data"]["label"].split("\n")[0] for el in drawing.elements if el["group"] == "nodes"}
    labels.update({eid: _end_name(*end) for eid, end in lab_interfaces(lab).items()})  # a Service's box: its first line
    return {"lab": lab.topo.name, "node": lab.node, "file": str(lab.file), "time": time.time(), "plan": plan_doc,
            "objects": objects, "namespaces": _namespaces(lab, live, drift), "links": _links(drawing, objects, labels),
            "processes": _processes(lab, live, plan), "checks": last_results(roots, lab.topo.name)}
