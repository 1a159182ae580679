"""Per-node progress of a fan-out run, from ansible-runner's events.

ansible-runner calls `EventHandler` with every event of the run as it happens; the handler keeps
each node's state (waiting, running, done, failed) in its `NodeResult` and tells a reporter, which
prints one line per node as it starts, as its result (plan, changes) comes in, and as it fails
(at once, named with its error), then one line when the run is over. On a terminal the reporter
is one rich progress row per node instead. Nothing here is keyed on Ansible's message texts:
a node's result is the task result that carries what the caller asks for (`is_result`).
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Protocol, TextIO

if TYPE_CHECKING:
    from .fanout import NodeResult

ResultPredicate = Callable[[dict[str, Any]], bool]
"""Whether a task result (Ansible's `res`) is the node's result (for topo's module: it carries a plan)."""
ResultReader = Callable[["NodeResult", dict[str, Any]], None]
"""Takes a node's result (ok or failed) into its NodeResult."""


def message(res: dict[str, Any]) -> str | None:
    """What a failed task says: its msg, else its stderr; when the module itself crashed (Ansible's
    msg is then a generic MODULE FAILURE), also the last line of what it wrote (the OS error)."""
    msg = res.get("msg") or res.get("stderr") or res.get("module_stderr")
    if not msg:
        return None
    text = str(msg).strip()
    crash = str(res.get("exception") or res.get("module_stderr") or "").strip().splitlines()
    if crash and crash[-1].strip() not in text:
        text += f": {crash[-1].strip()}"
    rc = res.get("rc")
    if isinstance(rc, int) and rc < 0:
        text += f" (killed by signal {-rc})"
    return text


class Reporter(Protocol):
    def started(self, node: "NodeResult", task: str) -> None: ...
    def task(self, node: "NodeResult", task: str, status: str) -> None: ...
    def result(self, node: "NodeResult", task: str) -> None: ...
    def failed(self, node: "NodeResult") -> None: ...
    def output(self, line: str) -> None: ...
    def finished(self, nodes: list["NodeResult"], seconds: float) -> None: ...


def outcome_text(node: "NodeResult", verb: str) -> str:
    """What a node did, in a few words: its plan's summary, or the run's outcome."""
    from .render.plan import summary_line

    if node.plan is None:
        return "done" if node.error is None else "failed"
    if verb == "plan":
        return summary_line(node.plan) if not node.plan.empty else "no changes"
    n = len(node.plan.actions)
    return "no changes" if n == 0 else f"{n} action{'s' if n != 1 else ''} done, verified"


def step_lines(node: "NodeResult") -> list[str]:
    """The steps the node's module returned: its plan's conflicts and actions, one line each."""
    from .render.plan import action_line

    if node.plan is None:
        return []
    return [f"! {c.netns or '(root)'}: {c.message}" for c in node.plan.conflicts] + \
        [action_line(a) for a in node.plan.actions]


@dataclass
class LineReporter:
    """One line per node event, on a stream (stderr): for logs, CI and pipes."""

    verb: str
    verbosity: int = 0
    stream: TextIO = field(default_factory=lambda: sys.stderr)

    def _say(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def started(self, node: "NodeResult", task: str) -> None:
        self._say(f"{node.node}: started")

    def task(self, node: "NodeResult", task: str, status: str) -> None:
        if self.verbosity >= 1 or status == "changed":
            self._say(f"{node.node}: {task}: {status}")

    def result(self, node: "NodeResult", task: str) -> None:
        if self.verbosity >= 1:  # -v: the node's Ansible task line, then every step of its plan
            self._say(f"{node.node}: {task}: {'changed' if node.changed else 'ok'}")
            for line in step_lines(node):
                self._say(f"{node.node}:   {line}")
        self._say(f"{node.node}: {self.verb}: {outcome_text(node, self.verb)} ({node.seconds:.1f}s)")

    def failed(self, node: "NodeResult") -> None:
        where = f" in task '{node.failed_task}'" if node.failed_task else ""
        first = (node.error or "").strip().splitlines()[:1]
        self._say(f"{node.node}: FAILED{where}: {first[0] if first else 'failed'}")

    def output(self, line: str) -> None:
        if self.verbosity >= 3:
            self._say(line)

    def finished(self, nodes: list["NodeResult"], seconds: float) -> None:
        failed = [n.node for n in nodes if n.error is not None]
        done = sum(1 for n in nodes if n.error is None and n.started is not None)
        self._say(f"{done} of {len(nodes)} nodes done" + (f", failed: {', '.join(failed)}" if failed else "")
                  + f" ({seconds:.1f}s)")


class RichReporter:
    """One rich progress row per node (a terminal): its state and last task, updated in place;
    failures are also printed above the rows as they happen."""

    def __init__(self, verb: str, nodes: list["NodeResult"], stream: TextIO) -> None:
        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.verb = verb
        self.progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                                 console=Console(file=stream, highlight=False), transient=False)
        self.rows = {n.node: self.progress.add_task(f"{n.node}: waiting", total=1) for n in nodes}
        self.progress.start()

    def _row(self, node: "NodeResult", text: str, done: bool = False) -> None:
        from rich.markup import escape

        self.progress.update(self.rows[node.node], description=escape(f"{node.node}: {text}"), completed=1 if done else 0)

    def started(self, node: "NodeResult", task: str) -> None:
        self._row(node, f"running {task}")

    def task(self, node: "NodeResult", task: str, status: str) -> None:
        self._row(node, f"{task}: {status}")

    def result(self, node: "NodeResult", task: str) -> None:
        self._row(node, f"{self.verb}: {outcome_text(node, self.verb)}", done=True)

    def failed(self, node: "NodeResult") -> None:
        first = (node.error or "").strip().splitlines()[:1]
        self._row(node, f"FAILED: {first[0] if first else 'failed'}", done=True)

    def output(self, line: str) -> None:
        pass

    def finished(self, nodes: list["NodeResult"], seconds: float) -> None:
        self.progress.stop()


def reporter_for(verb: str, nodes: list["NodeResult"], *, quiet: bool, verbosity: int,
                 stream: TextIO | None = None) -> Reporter | None:
    """Rows on a terminal, lines elsewhere (or with -v), nothing with --quiet."""
    out = stream or sys.stderr
    if quiet:
        return None
    if out.isatty() and verbosity == 0:
        return RichReporter(verb, nodes, out)
    return LineReporter(verb, verbosity, out)


@dataclass
class EventHandler:
    """ansible-runner's event_handler: fills each node's NodeResult and tells the reporter."""

    nodes: dict[str, "NodeResult"]
    is_result: ResultPredicate
    read_result: ResultReader
    reporter: Reporter | None = None
    started_at: float = field(default_factory=time.monotonic)
    _running: set[str] = field(default_factory=set)

    def __call__(self, event: dict[str, Any]) -> bool:
        kind = str(event.get("event", ""))
        data = event.get("event_data", {}) or {}
        if self.reporter is not None and event.get("stdout"):
            for line in str(event["stdout"]).splitlines():
                self.reporter.output(line)
        node = self.nodes.get(data.get("host") or "")
        if node is None:
            return True
        task = str(data.get("task") or "")
        if kind == "runner_on_start":
            self._start(node, task)
        elif kind in ("runner_on_ok", "runner_on_failed", "runner_on_unreachable"):
            self._done(node, kind, task, data)
        return True

    def _start(self, node: "NodeResult", task: str) -> None:
        if node.node not in self._running:
            self._running.add(node.node)
            node.started = time.monotonic()
            if self.reporter is not None:
                self.reporter.started(node, task)

    def _done(self, node: "NodeResult", kind: str, task: str, data: dict[str, Any]) -> None:
        res = data.get("res", {}) or {}
        node.seconds = time.monotonic() - (node.started or self.started_at)
        if kind == "runner_on_ok":
            if self.is_result(res):
                self.read_result(node, res)
                node.changed = bool(res.get("changed"))
                if self.reporter is not None:
                    self.reporter.result(node, task)
            elif self.reporter is not None:
                self.reporter.task(node, task, "changed" if res.get("changed") else "ok")
            return
        if data.get("ignore_errors"):
            return
        node.unreachable = kind == "runner_on_unreachable"
        node.error = message(res) or kind.removeprefix("runner_on_")
        node.failed_task = task or None
        if self.is_result(res):
            self.read_result(node, res)
        if self.reporter is not None:
            self.reporter.failed(node)

    def finish(self, results: list["NodeResult"]) -> None:
        if self.reporter is not None:
            self.reporter.finished(results, time.monotonic() - self.started_at)
