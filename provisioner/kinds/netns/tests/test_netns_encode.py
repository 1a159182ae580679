"""create-namespace: the pool makes it, then its lo is marked with the lab's alias (by name,
over netlink) so the kernel alone tells the lab's namespaces."""

from __future__ import annotations

from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg

from provisioner.core.plan import Action, Change
from provisioner.kinds.netns.ops import ADOPT_NETNS, CREATE_NETNS
from provisioner.kinds.testing import FakeExecutor, attr_names, decode
from provisioner.rtnl import RTM_NEWLINK


def test_netns_encode_create_marks_lo() -> None:
    ex = FakeExecutor({}, lab="lab")
    CREATE_NETNS.run(ex, Action(CREATE_NETNS, Change.CREATE, "pod1", "namespace pod1"))  # type: ignore[misc]
    assert ex.pool.created == ["pod1"]
    [sent] = ex.pool.socket("pod1").sent
    msg = decode(sent, ifinfmsg)
    assert (sent.type, sent.flags, msg["index"]) == (RTM_NEWLINK, 0, 0)
    assert {a: msg.get_attr(a) for a in attr_names(msg)} == {"IFLA_IFNAME": "lo", "IFLA_IFALIAS": "topo:lab"}


def test_netns_encode_adopt_changes_nothing_in_the_kernel() -> None:
    ex = FakeExecutor({})
    ADOPT_NETNS.run(ex, Action(ADOPT_NETNS, Change.UPDATE, "pod1", "namespace pod1"))  # type: ignore[misc]
    assert ex.pool.created == [] and ex.pool.sockets == {}
