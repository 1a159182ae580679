"""Linux bridges (`bridges:`), in a node's root namespace; veth ends attached become ports."""

from ...core.registry import KindSpec
from .link import CREATE_BRIDGE, Bridge

KIND = KindSpec("bridge", depends=("link",), ops=(CREATE_BRIDGE,), link=Bridge())
