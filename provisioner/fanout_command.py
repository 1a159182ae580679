"""Run one topo command (check, show, exec) on some nodes of a lab through Ansible, and collect
each node's exit status and output.

The play is generated here into the run's private directory: on each node a private temporary
directory, the node payload (provisioner/payload.py: the zipapp plan and apply run too) copied
into it, the payload run once with the request on stdin (provisioner/node.py: `command` check,
show or exec, the node from `--node` on its command line), and the directory removed whatever
happened; Ansible's command module with an argv, never a shell. The request (the validated
document, or exec's namespace and argv) reaches the node as base64 in an extra variable, so
Ansible never templates it. Nothing is installed on the node and nothing is left behind.
"""

from __future__ import annotations

import base64
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .fanout import FanoutRequest, NodeResult, not_run_error, runner_args

_TASK = "topo command"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@dataclass
class CommandResult:
    """What the command did on one node: its exit status and output (None: it did not run)."""

    result: NodeResult
    rc: int | None = None
    stdout: str = ""
    stderr: str = ""

    def json(self) -> Any:
        """The command's stdout as JSON (ValueError naming the node when it is not)."""
        try:
            return json.loads(self.stdout)
        except ValueError:
            said = (self.stderr or self.stdout).strip()[-500:] or f"exit status {self.rc}, no output"
            raise ValueError(f"node {self.result.node}: {said}") from None


def play(nodes: list[str]) -> list[dict[str, Any]]:
    """The generated play: per node, the payload in a private temporary directory, run once, removed."""
    python = "{{ ansible_facts.discovered_interpreter_python | default(ansible_python_interpreter) | default('/usr/bin/python3') }}"
    return [{
        "name": "topo command",
        "hosts": "all",  # the run's limit names the nodes
        "gather_facts": False,
        "become": "{{ (ansible_user | default('root')) != 'root' }}",
        "tasks": [{
            "block": [
                {"name": "topo | a private directory", "ansible.builtin.tempfile": {"state": "directory", "prefix": "topo-"},
                 "register": "topo_tmp", "changed_when": False},
                {"name": "topo | the node payload", "ansible.builtin.copy": {
                    "src": "{{ topo_payload }}", "dest": "{{ topo_tmp.path }}/topo-node.pyz", "mode": "0600"},
                 "changed_when": False},
                {"name": _TASK, "ansible.builtin.command": {
                    "argv": ["%s" % python, "{{ topo_tmp.path }}/topo-node.pyz", "--node", "{{ inventory_hostname }}"],
                    "stdin": "{{ topo_request_b64 | b64decode }}",
                    "stdin_add_newline": False},
                 "failed_when": False, "changed_when": False},
            ],
            "always": [
                {"name": "topo | remove the directory", "ansible.builtin.file": {"path": "{{ topo_tmp.path }}", "state": "absent"},
                 "when": "topo_tmp.path is defined", "changed_when": False},
            ],
        }],
    }]


def run_command(req: FanoutRequest, nodes: list[str], request: dict[str, Any], *, send_file: bool, verb: str) -> list[CommandResult]:
    """Runs the node `request` (provisioner/node.py: a `command`) on `nodes` (see
    fanout.lab_nodes), with the request's lab as its document when `send_file`. A node that
    Ansible could not reach, or where the command did not run, has its NodeResult's error set."""
    import ansible_runner
    import yaml

    from .fanout_events import EventHandler, reporter_for

    results = {n: CommandResult(NodeResult(n)) for n in nodes}

    def read(node: NodeResult, res: dict[str, Any]) -> None:
        got = results[node.node]
        got.rc, got.stdout, got.stderr = int(res["rc"]), str(res.get("stdout") or ""), str(res.get("stderr") or "")

    reporter = reporter_for(verb, [r.result for r in results.values()], quiet=req.knobs.quiet, verbosity=req.knobs.verbosity)
    handler = EventHandler({n: r.result for n, r in results.items()}, lambda res: "rc" in res, read, reporter)
    from .payload import cached
    from .yamlpos import load_values

    sent = {**request, "document": load_values(req.rendered)} if send_file else dict(request)
    extravars = {"topo_request_b64": _b64(json.dumps(sent)), "topo_payload": str(cached())}
    with tempfile.TemporaryDirectory(prefix="topo-runner-") as tmp:
        project = Path(tmp) / "project"
        project.mkdir()
        (project / "command.yml").write_text(yaml.safe_dump(play(nodes), sort_keys=False))
        try:
            runner = ansible_runner.run(private_data_dir=tmp, playbook="command.yml", extravars=extravars,
                                        event_handler=handler, **runner_args(req, nodes))
        finally:
            handler.finish([r.result for r in results.values()])
        output = runner.stdout.read() if runner.stdout is not None else ""
    for got in results.values():
        if got.result.error is None and got.rc is None:
            got.result.error = not_run_error(runner, output)
    return list(results.values())
