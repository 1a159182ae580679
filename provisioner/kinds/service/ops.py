"""The steps on the lab's nftables table: every change of an apply in one transaction (one
libnftables call, which nftables commits or refuses whole), and deleting the table."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from ...core.plan import Action, Op, Stage
from .nftjson import TableChange, commands, delete_table


@dataclass(frozen=True)
class TableAction:
    lab: str
    change: TableChange


def _transaction(cmds: list[dict[str, Any]]) -> None:
    from .read import nft

    ctx = nft()
    if ctx is None:
        raise OSError(2, "libnftables is not installed (Debian: nftables, python3-nftables)")
    rc, _, err = ctx.json_cmd({"nftables": cmds})
    if rc != 0:
        raise OSError(rc if rc > 0 else 22, " ".join((err or "nftables refused the transaction").split()))


def _apply_all(ex: Any, actions: list[Action]) -> list[Action]:
    """All of the phase's table changes as one transaction; each action counted done."""
    payloads = [a.payload for a in actions]
    assert all(isinstance(p, TableAction) for p in payloads)
    change = functools.reduce(TableChange.plus, (p.change for p in payloads), TableChange())
    try:
        _transaction(commands(payloads[0].lab, change))
    except OSError as exc:
        from ...core.plan import ActionFailed

        raise ActionFailed(actions[0], exc) from exc
    for a in actions:
        ex.finish(a)
    return []


def _apply_one(ex: Any, a: Action) -> None:
    assert isinstance(a.payload, TableAction)
    _transaction(commands(a.payload.lab, a.payload.change))


def _delete(ex: Any, a: Action) -> None:
    assert isinstance(a.payload, TableAction)
    _transaction(delete_table(a.payload.lab))


APPLY_TABLE = Op("apply-nftables", Stage.CONNECT, run=_apply_one, prepare=_apply_all)
DELETE_TABLE = Op("delete-nftables-table", Stage.DELETE, run=_delete)
