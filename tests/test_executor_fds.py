"""The executor holds at most FD_CHUNK namespace fds at once within a phase (root-free): a phase
of 10,000 new veths, each holding its peer namespace's fd until its request is sent, would
otherwise pass a 20,000-file limit together with a socket per namespace (seen at 9,994 pods)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from provisioner.core.plan import Action, Change, Op, Stage
from provisioner.core.requests import Request
from provisioner.executor import FD_CHUNK, Executor


@dataclass
class _Socket:
    sent: list[int]

    def batch(self, msgs: list[Any]) -> list[None]:
        self.sent.append(len(msgs))
        return [None] * len(msgs)


@dataclass
class _Pool:
    sent: list[int] = field(default_factory=list)

    def socket(self, netns: str | None) -> _Socket:
        return _Socket(self.sent)


def test_a_phase_of_many_new_veths_sends_before_it_holds_more_than_fd_chunk_fds() -> None:
    held: list[int] = []

    def encode(ex: Executor, action: Action) -> tuple[list[Request], list[Request]]:
        ex.open_fds.append(os.open("/dev/null", os.O_RDONLY))  # as the veth op holds its peer's netns fd
        held.append(len(ex.open_fds))
        return [Request(None, object(), action)], []  # type: ignore[arg-type]

    op = Op("create-veth", Stage.CREATE, encode=encode)
    pool = _Pool()
    ex = Executor(pool, "lab")  # type: ignore[arg-type]
    n = FD_CHUNK * 2 + 5
    ex.run_phase([Action(op, Change.CREATE, None, f"veth {i}") for i in range(n)])
    assert max(held) == FD_CHUNK, "the fds of one chunk are open together, never more"
    assert pool.sent == [FD_CHUNK, FD_CHUNK, 5], "every request is sent, in chunks, in order"
    assert ex.open_fds == [] and len(ex.done) == n
