"""Run one topo command (check, show, exec) on some nodes of a lab through Ansible, and collect
each node's exit status and output.

The play is generated here (one task per node: Ansible's command module with an argv, never a
shell) into the run's private directory. Every value that comes from the user or the file
reaches the node as base64 in an extra variable and is decoded there by a filter, so Ansible
never templates it; the rendered file goes to the node on stdin, where a small script (also
sent as data) writes it to a private temporary file, runs `python -m provisioner VERB FILE ...`
with the node's topo and removes the file again. The node's topo is its Python's: the
inventory variable `topo_python` (default /opt/topo/venv/bin/python, where the install tasks put it).
"""

from __future__ import annotations

import base64
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .fanout import FanoutRequest, NodeResult, not_run_error, runner_args

DEFAULT_NODE_PYTHON = "/opt/topo/venv/bin/python"

# Runs on the node with the node's topo Python. argv: NODE VERB ARGS...; stdin: the rendered
# file, run as `topo VERB FILE --node NODE ARGS...`, or nothing: `topo VERB ARGS...`. Exits with
# topo's exit status.
NODE_SCRIPT = """\
import os, subprocess, sys, tempfile
data = sys.stdin.buffer.read()
node, args = sys.argv[1], sys.argv[2:]
path = None
try:
    if data:
        fd, path = tempfile.mkstemp(prefix="topo-lab-", suffix=".yaml")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        args = [args[0], path, "--node", node, *args[1:]]
    sys.exit(subprocess.call([sys.executable, "-m", "provisioner", *args], env={**os.environ, "NO_COLOR": "1"}))
finally:
    if path:
        os.unlink(path)
"""

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
    """The generated play: one command task per node, with the values decoded from extra vars."""
    return [{
        "name": "topo command",
        "hosts": "all",  # the run's limit names the nodes
        "gather_facts": False,
        "become": "{{ (ansible_user | default('root')) != 'root' }}",
        "tasks": [{
            "name": _TASK,
            "ansible.builtin.command": {
                "argv": "{{ [topo_python | default('%s'), '-c', topo_script_b64 | b64decode, inventory_hostname] "
                        "+ (topo_args_b64 | b64decode | from_json) }}" % DEFAULT_NODE_PYTHON,
                "stdin": "{{ topo_content_b64 | b64decode }}",
                "stdin_add_newline": False,
            },
            "failed_when": False,
            "changed_when": False,
        }],
    }]


def run_command(req: FanoutRequest, nodes: list[str], args: list[str], *, send_file: bool, verb: str) -> list[CommandResult]:
    """Runs `topo VERB FILE --node NODE ARGS...` (`topo VERB ARGS...` without `send_file`) on
    `nodes` (see fanout.lab_nodes), FILE being the request's rendered lab. A node that Ansible could not reach, or where the command
    did not run, has its NodeResult's error set."""
    import ansible_runner
    import yaml

    from .fanout_events import EventHandler, reporter_for

    results = {n: CommandResult(NodeResult(n)) for n in nodes}

    def read(node: NodeResult, res: dict[str, Any]) -> None:
        got = results[node.node]
        got.rc, got.stdout, got.stderr = int(res["rc"]), str(res.get("stdout") or ""), str(res.get("stderr") or "")

    reporter = reporter_for(verb, [r.result for r in results.values()], quiet=req.knobs.quiet, verbosity=req.knobs.verbosity)
    handler = EventHandler({n: r.result for n, r in results.items()}, lambda res: "rc" in res, read, reporter)
    extravars = {"topo_script_b64": _b64(NODE_SCRIPT), "topo_args_b64": _b64(json.dumps(args)),
                 "topo_content_b64": _b64(req.rendered if send_file else "")}
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
