"""VXLAN segments (`vxlans:`): on each node a VXLAN device that is a port of a bridge, with a
forwarding entry towards every other node's underlay address."""

from ...core.registry import KindSpec
from .fdb import ADD_FDB, DELETE_FDB, diff
from .link import CREATE_VXLAN, VxlanLink

KIND = KindSpec("vxlan", depends=("bridge",), ops=(CREATE_VXLAN, ADD_FDB, DELETE_FDB), diff=diff, link=VxlanLink())
