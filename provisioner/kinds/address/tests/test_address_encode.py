"""The address ops' requests, decoded by pyroute2 (an independent decoder)."""

from __future__ import annotations

import ipaddress

import pytest
from pyroute2.netlink.rtnl.ifaddrmsg import ifaddrmsg

from provisioner.core.plan import Action, Change
from provisioner.kinds.address.ops import ADD_ADDRESS, DELETE_ADDRESS, AddressSpec
from provisioner.kinds.testing import FakeExecutor, attr_names, decode
from provisioner.rtnl import NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE, RTM_DELADDR, RTM_NEWADDR

EX = FakeExecutor({("pod1", "eth0"): 7})

CASES = {
    # case: (op, address, again, type, flags, family, IFA_FLAGS)
    "add IPv4": (ADD_ADDRESS, "10.9.0.2/24", False, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, 2, None),
    "add IPv6 without DAD": (ADD_ADDRESS, "fd00::2/64", False, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, 10, 0x02),
    "add again (replace)": (ADD_ADDRESS, "10.9.0.3/24", True, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, 2, None),
    "delete IPv4": (DELETE_ADDRESS, "10.9.0.2/24", False, RTM_DELADDR, 0, 2, None),
    "delete IPv6": (DELETE_ADDRESS, "fd00::2/64", False, RTM_DELADDR, 0, 10, None),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_address_encode(case: str) -> None:
    op, text, again, msg_type, flags, family, ifa_flags = CASES[case]
    addr = ipaddress.ip_interface(text)
    action = Action(op, Change.CREATE, "pod1", f"address {addr} on eth0", AddressSpec("eth0", addr, again))
    assert op.encode is not None
    requests, followups = op.encode(EX, action)
    assert followups == [] and len(requests) == 1
    req = requests[0]
    assert (req.netns, req.action, req.tolerate_gone) == ("pod1", action, op is DELETE_ADDRESS)
    assert (req.msg.type, req.msg.flags) == (msg_type, flags)
    msg = decode(req.msg, ifaddrmsg)
    assert (msg["family"], msg["prefixlen"], msg["index"]) == (family, addr.network.prefixlen, 7)
    assert msg.get_attr("IFA_LOCAL") == str(addr.ip) and msg.get_attr("IFA_ADDRESS") == str(addr.ip)
    assert msg.get_attr("IFA_FLAGS") == ifa_flags
    assert sorted(attr_names(msg)) == sorted(["IFA_LOCAL", "IFA_ADDRESS"] + (["IFA_FLAGS"] if ifa_flags else []))


def test_address_encode_unknown_link_is_an_os_error() -> None:
    action = Action(ADD_ADDRESS, Change.CREATE, "pod1", "x", AddressSpec("eth9", ipaddress.ip_interface("10.0.0.1/8")))
    with pytest.raises(OSError, match="no interface eth9"):
        ADD_ADDRESS.encode(EX, action)  # type: ignore[misc]
