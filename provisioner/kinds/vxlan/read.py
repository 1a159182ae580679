"""A VXLAN device's identity as the kernel reports it (IFLA_INFO_DATA)."""

from __future__ import annotations

import ipaddress
import struct

from ...model import IPAddress
from ...rtnl import RawLink, attributes, u32

IFLA_VXLAN_ID, IFLA_VXLAN_LOCAL, IFLA_VXLAN_LEARNING, IFLA_VXLAN_PORT, IFLA_VXLAN_LOCAL6 = 1, 4, 7, 15, 17

Identity = tuple[int, int, "IPAddress | None"]  # VNI, UDP port, local address


def read(raw: RawLink) -> Identity:
    vni = port = 0
    local: IPAddress | None = None
    for t, value in attributes(raw.info_data):
        if t == IFLA_VXLAN_ID:
            vni = u32(value)
        elif t == IFLA_VXLAN_PORT:
            port = struct.unpack(">H", value)[0]
        elif t in (IFLA_VXLAN_LOCAL, IFLA_VXLAN_LOCAL6):
            local = ipaddress.ip_address(value)
    return vni, port, local
