"""The steps on the lab's nftables table: every change of an apply in one transaction (one
libnftables call, which nftables commits or refuses whole), and deleting the table.

A table made from nothing is sent as one script in nft's own language (nfttext.py: cheaper
for libnftables to read than the same in JSON), every other change as JSON commands. When the
ruleset's generation moved by exactly one over that transaction, nothing else committed
between, and the table (made by `create`, which fails if one is there) is what the
transaction made: its fingerprint is then kept as verified (`Executor.verified`), so the
verification that follows takes the fingerprint, not a listing of the whole table."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from ...core.plan import Action, Op, Stage
from .nftjson import TableChange, commands, delete_table
from .ruleset import comment, table_name

VERIFIED_KEY = "service"  # the kind's entry in the record's `verified`


@dataclass(frozen=True)
class TableAction:
    lab: str
    change: TableChange
    built_from: str | None = None  # the fingerprint of what the file's table is built from (ruleset.inputs_fingerprint)


def _context(json_output: bool) -> Any:
    from .read import nft

    ctx = nft()
    if ctx is None:
        raise OSError(2, "libnftables is not installed (Debian: nftables, python3-nftables)")
    ctx.set_json_output(json_output)
    return ctx


def _refused(rc: int, err: str | None) -> OSError:
    return OSError(rc if rc > 0 else 22, " ".join((err or "nftables refused the transaction").split()))


def _transaction(cmds: list[dict[str, Any]]) -> None:
    rc, _, err = _context(True).json_cmd({"nftables": cmds})
    if rc != 0:
        raise _refused(rc, err)


def _script(lab: str, change: TableChange) -> str | None:
    """The transaction as nft's language when it makes the whole table, else None."""
    from .nfttext import Unwritable, create_script

    if not change.create or change.set_chains or change.delete_chains or change.delete_elements or change.delete_maps:
        return None
    try:
        return create_script(table_name(lab), change.add_chains, change.add_maps, comment(lab))
    except Unwritable:
        return None


def _commit(lab: str, change: TableChange) -> bool:
    """Send the change in one transaction; True when it made the table from nothing and
    nothing else committed alongside (the table is then exactly what it made)."""
    from .nfdigest import generation

    script = _script(lab, change)
    if script is None:
        _transaction(commands(lab, change))
        return False
    before = generation()
    rc, _, err = _context(False).cmd(script)
    if rc != 0:
        raise _refused(rc, err)
    return generation() == before + 1


def _apply_all(ex: Any, actions: list[Action]) -> list[Action]:
    """All of the phase's table changes as one transaction; each action counted done."""
    from .nfdigest import fingerprint, generation

    payloads = [a.payload for a in actions]
    assert all(isinstance(p, TableAction) for p in payloads)
    change = functools.reduce(TableChange.plus, (p.change for p in payloads), TableChange())
    lab = payloads[0].lab
    try:
        alone = _commit(lab, change)
    except OSError as exc:
        from ...core.plan import ActionFailed

        raise ActionFailed(actions[0], exc) from exc
    built_from = payloads[0].built_from if len(payloads) == 1 else None
    if alone and built_from is not None:
        kernel = fingerprint(table_name(lab), at_generation=generation())
        if kernel:
            ex.verified[VERIFIED_KEY] = f"{built_from}:{kernel}"
    for a in actions:
        ex.finish(a)
    return []


def _apply_one(ex: Any, a: Action) -> None:
    assert isinstance(a.payload, TableAction)
    _commit(a.payload.lab, a.payload.change)


def _delete(ex: Any, a: Action) -> None:
    assert isinstance(a.payload, TableAction)
    _transaction(delete_table(a.payload.lab))


APPLY_TABLE = Op("apply-nftables", Stage.CONNECT, run=_apply_one, prepare=_apply_all)
DELETE_TABLE = Op("delete-nftables-table", Stage.DELETE, run=_delete)
