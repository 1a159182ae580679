"""The plan: actions in phases, conflicts, and what is left alone.

An `Op` is declared by the kind that owns it, with the `Stage` of an apply it belongs to and
how the executor carries it out; the registry gives each op its phase from its stage and its
kind's place in the dependency order (`registry.Registry.phase`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum, IntEnum
from typing import TYPE_CHECKING, Any, Callable, Optional

from .keys import LinkKey, ObjectKey

if TYPE_CHECKING:
    from ..state import LabRecord


class Stage(IntEnum):
    """The stages of an apply, in order. Within a stage, ops run in their kinds' dependency
    order, except in DELETE, where they run in the reverse order (a route goes before its
    address, an address before its link)."""

    STOP = 0  # processes stop before what they use goes
    RENAME = 1  # links renamed in place: every later step names them by their new names
    UNSCOPE = 2  # namespaces are deleted: the kernel removes their contents with them
    DELETE = 3  # everything else that goes
    SCOPE = 4  # namespaces are made (or adopted)
    CREATE = 5  # devices are made
    CONFIGURE = 6  # settings inside one namespace each: one netlink batch per namespace
    CONNECT = 7  # entries towards other nodes, once the node itself is set up
    FILES = 8  # hosts files
    START = 9  # processes, last


class Change(str, Enum):
    CREATE = "+"
    UPDATE = "~"
    DELETE = "-"


@dataclass(frozen=True, eq=False)
class Op:
    """One kind of step. `run(executor, action)` does it locally (files, namespaces), or
    `encode(executor, action)` returns its netlink requests (sent in batches). `parallel`: its
    actions are independent local steps, run on threads. `prepare(executor, actions)` may take
    some of a phase's actions over before they run (and returns the rest); `after(executor,
    actions)` follows up once the kernel has done them (it must not fail the run)."""

    value: str  # its name in plans (JSON `action`)
    stage: Stage
    run: Optional[Callable[[Any, "Action"], None]] = None
    encode: Optional[Callable[[Any, "Action"], Any]] = None
    parallel: bool = False
    prepare: Optional[Callable[[Any, list["Action"]], list["Action"]]] = None
    after: Optional[Callable[[Any, list["Action"]], None]] = None  # once its requests are sent (best effort)

    def __repr__(self) -> str:
        return f"Op({self.value})"


@dataclass(frozen=True)
class Action:
    op: Op
    change: Change
    netns: str | None  # where it happens; None: the node's root namespace
    target: str  # what it is about, for people: "veth pod-a:eth0 <-> cni0:veth1", "address 10.0.0.2/24 on eth0"
    payload: Any = None  # the op's own spec (a kind's dataclass)
    before: str | None = None
    after: str | None = None
    key: ObjectKey | None = field(default=None, compare=False)  # the object it is about (deduplication)
    links: tuple[LinkKey, ...] = field(default=(), compare=False)  # the links it changes (ownership)

    @property
    def where(self) -> str:
        return self.netns if self.netns is not None else "(root)"

    def describe(self) -> str:
        """`+ target (what)`, `~ target: before -> after` or `- target`."""
        text = f"{self.change.value} {self.target}"
        if self.change is Change.UPDATE and (self.before or self.after):
            text += f": {self.before or '(none)'} -> {self.after or '(none)'}"
        elif self.change is Change.CREATE and self.after and self.after not in self.target:
            text += f" ({self.after})"
        return text


@dataclass(frozen=True)
class Conflict:
    netns: str | None
    target: str
    message: str
    hint: str
    # where in the file the conflicting declaration is (a YAML path), when it is the file's part
    # that the node cannot carry (a kernel without a module): the CLI prints it as FILE:LINE:COL
    path: tuple[str | int, ...] | None = field(default=None, compare=False)

    def located(self, where: Callable[[tuple[str | int, ...]], str]) -> "Conflict":
        """This conflict with its place in the file (`where(path)`: FILE:LINE:COL) before its message."""
        if self.path is None:
            return self
        return Conflict(self.netns, self.target, f"{where(self.path)}: {self.message}", self.hint)


@dataclass(frozen=True)
class Unmanaged:
    """Something the file names that exists exactly as declared but was not made by the lab."""

    netns: str | None
    target: str


@dataclass
class Plan:
    lab: str
    node: str
    actions: list[Action] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    record: "LabRecord | None" = None  # what the record must say once the plan has run
    unmanaged: list[Unmanaged] = field(default_factory=list)  # in sync, left alone, not the lab's

    @property
    def empty(self) -> bool:
        return not self.actions and not self.conflicts

    def counts(self) -> dict[str, int]:
        out = {"create": 0, "change": 0, "delete": 0}
        for a in self.actions:
            out[{Change.CREATE: "create", Change.UPDATE: "change", Change.DELETE: "delete"}[a.change]] += 1
        return out


class ActionFailed(Exception):
    def __init__(self, action: Action, cause: BaseException):
        reason = cause.strerror if isinstance(cause, OSError) and cause.strerror else str(cause)
        super().__init__(f"{action.op.value} {action.target} in {action.where}: {reason}")
        self.action = action
        self.cause = cause
