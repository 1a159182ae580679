"""The namespace kind's steps: made and unpinned locally, not over netlink."""

from __future__ import annotations

from typing import Any

from ...core.plan import Action, Op, Stage
from ...hostsfile import remove_netns_dir
from ...state import alias_for


def _create(ex: Any, a: Action) -> None:
    from ..link.apply import LinkSpec, link_msg

    assert a.netns is not None
    ex.pool.create(a.netns)
    # the namespace's own mark: its lo carries the lab's alias, so that the kernel alone tells
    # the lab's namespaces (`destroy --from-kernel`, when the record is lost or corrupt)
    [err] = ex.pool.socket(a.netns).batch([link_msg(ex, a.netns, "lo", LinkSpec(alias=alias_for(ex.lab)))])
    if err is not None:
        raise err


def _adopt(ex: Any, a: Action) -> None:
    """Nothing to do in the kernel: the record says the namespace is the lab's now."""


def _delete(ex: Any, a: Action) -> None:
    assert a.netns is not None
    remove_netns_dir(ex.pool.roots.etc_netns, a.netns)  # first: killed in between, the namespace (recorded) is still there to delete
    ex.pool.delete(a.netns)


CREATE_NETNS = Op("create-namespace", Stage.SCOPE, run=_create)
ADOPT_NETNS = Op("adopt-namespace", Stage.SCOPE, run=_adopt)
DELETE_NETNS = Op("delete-namespace", Stage.UNSCOPE, run=_delete, parallel=True)
