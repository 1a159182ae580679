"""Macvlan interfaces (`macvlans:`): a device of its own MAC on a parent link of the node's
root namespace, living in a namespace (as the CNI macvlan plugin gives a pod) or in the root
namespace; modes bridge, private, vepa, passthru."""

from ...core.registry import KindSpec
from .link import CREATE_MACVLAN, MacvlanLink

KIND = KindSpec("macvlan", depends=("veth",), ops=(CREATE_MACVLAN,), link=MacvlanLink())
