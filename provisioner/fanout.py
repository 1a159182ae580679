"""Ansible fan-out: plan, apply or destroy a lab on many nodes at once through ansible-runner.

The controller validates and renders the file, then runs playbooks/topo.yml: one task per
node, the `topo.lab.lab` module, whose action plugin copies topo's node-side engine (a zipapp,
provisioner/payload.py) into Ansible's remote temporary directory; the module runs it there
with the validated document (check mode = plan), and Ansible removes the directory. The per-node plans come back in the module results and
are put together into one set of plans, printed and scored like the local command's.

Ansible checks every node's SSH host key: topo sets ANSIBLE_HOST_KEY_CHECKING=True (ansible-runner
would turn checking off) unless asked not to with `--insecure-skip-host-key-check` or by the
user's own ANSIBLE_HOST_KEY_CHECKING environment variable.
"""

from __future__ import annotations

import base64
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .model import Topology
from .names import hostname_problem, hosts_name_problem, lab_name_problem, printable, user_problem
from .planner import Plan

TOPO_TASK = "topo lab"
INVENTORY_GROUP = "topo_nodes"


def playbook_dir() -> Path:
    """playbooks/ of the checkout (or of the installed package's data)."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "playbooks", here / "playbooks"):
        if (candidate / "topo.yml").exists():
            return candidate
    raise FileNotFoundError("topo's playbooks are not installed next to the package")


@dataclass
class NodeResult:
    node: str
    plan: Plan | None = None
    changed: bool = False
    error: str | None = None  # set when the node failed or was unreachable
    failed_task: str | None = None
    unreachable: bool = False
    started: float | None = None  # time.monotonic() of its first task
    seconds: float = 0.0  # from its first task to its result


@dataclass
class FanoutResult:
    nodes: list[NodeResult] = field(default_factory=list)
    changed_tasks: dict[str, int] = field(default_factory=dict)  # per node, from Ansible's stats

    @property
    def failed(self) -> list[NodeResult]:
        return [n for n in self.nodes if n.error is not None]

    @property
    def plans(self) -> list[Plan]:
        return [n.plan for n in self.nodes if n.plan is not None]


@dataclass(frozen=True)
class AnsibleKnobs:
    """What users pass through to Ansible: --limit, --forks, -v (and whether to print progress)."""

    limit: str | None = None  # an Ansible host pattern, narrowing the lab's nodes
    forks: int | None = None
    verbosity: int = 0
    quiet: bool = False


@dataclass(frozen=True)
class FanoutRequest:
    topo: Topology
    rendered: str  # the file after templating: nodes receive this, never the template
    inventory: Path
    state: str = "present"  # or "absent"
    check: bool = False  # plan only
    adopt: bool = False
    fail_fast: bool = False
    skip_host_key_check: bool = False  # --insecure-skip-host-key-check: accept any node's host key
    knobs: AnsibleKnobs = field(default_factory=AnsibleKnobs)


def _ansible_tool(name: str) -> str:
    """An Ansible command from the environment topo runs in (its venv), else from PATH."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else name


def inventory_hosts(path: Path) -> set[str]:
    """Host names in an Ansible inventory (asks ansible-inventory, which reads every format)."""
    import json
    import subprocess

    res = subprocess.run([_ansible_tool("ansible-inventory"), "-i", str(path), "--list"], capture_output=True, text=True)
    if res.returncode != 0:
        raise ValueError(f"cannot read inventory {path}: {res.stderr.strip()[-500:]}")
    data = json.loads(res.stdout)
    return set(data.get("_meta", {}).get("hostvars", {})) | {h for g in data.values() if isinstance(g, dict) for h in g.get("hosts", [])}


def lab_nodes(topo: Topology, inventory: Path, limit: str | None) -> list[str]:
    """The lab's nodes to run on: all of them, or those --limit's pattern selects; each must be
    a host of the inventory (ValueError naming what is wrong)."""
    nodes = sorted(topo.nodes)
    if problems := node_name_problems(topo):
        raise ValueError("; ".join(problems))
    known = inventory_hosts(inventory)
    missing = [n for n in nodes if n not in known]
    if missing:
        raise ValueError(f"inventory {inventory} has no host for node {', '.join(missing)} of lab {topo.name} "
                         "(inventory host names must be the lab's node names; `topo inventory FILE` writes one)")
    if limit is None:
        return nodes
    chosen = set(limit_hosts(inventory, limit))
    selected = [n for n in nodes if n in chosen]
    if not selected:
        raise ValueError(f"--limit {limit} selects none of lab {topo.name}'s nodes ({', '.join(nodes)})")
    return selected


def limit_hosts(inventory: Path, pattern: str) -> list[str]:
    """The inventory's hosts an Ansible host pattern selects (asks `ansible --list-hosts`)."""
    import subprocess

    res = subprocess.run([_ansible_tool("ansible"), "-i", str(inventory), "--list-hosts", "--", pattern],
                         capture_output=True, text=True, env={**os.environ, "ANSIBLE_NOCOLOR": "1"})
    if res.returncode != 0:
        raise ValueError(f"--limit {pattern}: {res.stderr.strip()[-300:]}")
    return [line.strip() for line in res.stdout.splitlines()[1:] if line.strip()]


def runner_args(req: FanoutRequest, nodes: list[str]) -> dict[str, Any]:
    """ansible-runner's arguments every fan-out run shares: inventory, nodes, knobs, environment."""
    args: dict[str, Any] = {"inventory": str(req.inventory.resolve()), "limit": ",".join(nodes), "envvars": _envvars(req),
                            "quiet": True, "suppress_env_files": True}
    if req.knobs.forks is not None:
        args["forks"] = req.knobs.forks
    if req.knobs.verbosity:
        args["verbosity"] = req.knobs.verbosity
    return args


def run(req: FanoutRequest, verb: str = "plan") -> FanoutResult:
    import ansible_runner

    from .fanout_events import EventHandler, reporter_for
    from .render.plan import plans_from_json

    nodes = lab_nodes(req.topo, req.inventory, req.knobs.limit)
    result = FanoutResult([NodeResult(n) for n in nodes])

    def read_plan(node: NodeResult, res: dict[str, Any]) -> None:
        node.plan = next((p for p in plans_from_json(res["plan"]) if p.node == node.node), None)

    reporter = reporter_for(verb, result.nodes, quiet=req.knobs.quiet, verbosity=req.knobs.verbosity)
    on_event = EventHandler({n.node: n for n in result.nodes}, lambda res: isinstance(res.get("plan"), dict), read_plan,
                            reporter)

    extravars = _extravars(req)
    with tempfile.TemporaryDirectory(prefix="topo-runner-") as tmp:
        try:
            runner = ansible_runner.run(
                private_data_dir=tmp,
                playbook=str(playbook_dir() / "topo.yml"),
                extravars=extravars,
                cmdline="--check --diff" if req.check else None,
                event_handler=on_event,
                **runner_args(req, nodes),
            )
        finally:
            on_event.finish(result.nodes)
        stats = runner.stats or {}
        output = runner.stdout.read() if runner.stdout is not None else ""
    result.changed_tasks = {n: int(stats.get("changed", {}).get(n, 0)) for n in nodes}
    for node in result.nodes:
        if node.error is None and node.plan is None:
            node.error = not_run_error(runner, output)
    return result


def _extravars(req: FanoutRequest) -> dict[str, Any]:
    """What the playbook sends every node: the validated document as data (base64 of JSON, so
    that Ansible never templates it), and the node payload the controller built (cached)."""
    import json

    from .payload import cached
    from .yamlpos import load_values

    extravars: dict[str, Any] = {
        "topo_document_b64": base64.b64encode(json.dumps(load_values(req.rendered)).encode()).decode(),
        "topo_state": req.state,
        "topo_adopt": req.adopt,
        "topo_payload": str(cached()),
    }
    if req.fail_fast:
        extravars["topo_preflight_hosts"] = "all"  # a node that cannot run a module stops all before any changes
    if req.state == "present" and not req.check:
        extravars["topo_checkpoint_b64"] = base64.b64encode(req.rendered.encode()).decode()
    return extravars


def not_run_error(runner: Any, output: str) -> str:
    """Why a node has no result although Ansible did not report it failed: the run's last lines."""
    tail = "\n".join(line for line in output.strip().splitlines()[-12:] if line.strip())
    return f"Ansible did not run topo on this node ({runner.status}, exit {runner.rc}):\n{tail}"


def _envvars(req: FanoutRequest) -> dict[str, str]:
    # the collection topo.lab ships inside the package (provisioner/ansible_collections);
    # pipelining and ControlPersist (Ansible's default ssh_args): one SSH session per node;
    # the remote temporary directory under /tmp, unless the user or the inventory says
    # otherwise: a fresh node gets no ~/.ansible (and Ansible removes its ansible-tmp-* dir)
    collections = ":".join(p for p in (str(Path(__file__).resolve().parent), os.environ.get("ANSIBLE_COLLECTIONS_PATH")) if p)
    env = {"ANSIBLE_COLLECTIONS_PATH": collections,
           "ANSIBLE_PIPELINING": os.environ.get("ANSIBLE_PIPELINING", "True"),
           "ANSIBLE_REMOTE_TMP": os.environ.get("ANSIBLE_REMOTE_TMP", "/tmp"),"ANSIBLE_RETRY_FILES_ENABLED": "False", "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0",
           "ANSIBLE_ANY_ERRORS_FATAL": str(req.fail_fast),
           "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}",
           "ANSIBLE_PYTHON_INTERPRETER": os.environ.get("ANSIBLE_PYTHON_INTERPRETER", "auto_silent")}
    # ansible-runner turns host-key checking off unless the variable is set: set it, on, unless
    # asked (--insecure-skip-host-key-check) or the user's own environment says otherwise
    env["ANSIBLE_HOST_KEY_CHECKING"] = "False" if req.skip_host_key_check else os.environ.get("ANSIBLE_HOST_KEY_CHECKING", "True")
    return env


def node_name_problems(topo: Topology) -> list[str]:
    """Node names are inventory host names (and --limit patterns): plain host names only."""
    return [f"node name: {err}" for name in sorted(topo.nodes) if (err := hosts_name_problem(name))]


def inventory_problems(topo: Topology) -> list[str]:
    """Why the lab's name, node names, hosts or users cannot go into an inventory. Ansible
    templates inventory values and takes connection settings from them: only plain host names,
    addresses and POSIX user names are written, whatever validated the file before."""
    problems = [err] if (err := lab_name_problem(topo.name)) else []
    problems += node_name_problems(topo)
    for name, node in sorted(topo.nodes.items()):
        if hosts_name_problem(name):
            continue
        problems += [f"node {name}: {err}" for err in (hostname_problem(node.host or name), user_problem(node.user or "root"))
                     if err]
    return problems


def inventory_document(topo: Topology) -> dict[str, Any]:
    """The YAML inventory of the lab's nodes (host names are the node names), as data.
    Raises ValueError naming every value that is not safe to write."""
    if problems := inventory_problems(topo):
        raise ValueError(f"cannot write an inventory for lab {printable(topo.name)}:\n  " + "\n  ".join(problems))
    hosts: dict[str, dict[str, str]] = {}
    for name, node in sorted(topo.nodes.items()):
        hosts[name] = {"ansible_host": node.host or name, "ansible_user": node.user or "root"}
        if node.underlay is not None:
            hosts[name]["underlay_ip"] = str(node.underlay.ip)
    return {"all": {"children": {INVENTORY_GROUP: {"hosts": hosts}}}}


def write_inventory(topo: Topology) -> str:
    """A YAML inventory for the lab's nodes, written by a YAML serializer (every value a quoted
    or plain YAML string, never a line of its own). Raises ValueError as inventory_document."""
    import yaml

    doc = inventory_document(topo)
    return (f"# Ansible inventory for lab {topo.name} (written by `topo inventory`)\n"
            + yaml.safe_dump(doc, sort_keys=False, default_flow_style=False, allow_unicode=False))
