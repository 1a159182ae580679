"""The kinds topo knows, in the order their dependencies allow. Adding a kind: its folder,
and one line here."""

from ..core.registry import Registry
from . import address, bridge, check, dns, hosts, impair, link, loopback, macvlan, netns, policy, process, route, rule, service, sysctl, tap, veth, vxlan

REGISTRY = Registry((
    netns.KIND,
    link.KIND,
    loopback.KIND,
    bridge.KIND,
    vxlan.KIND,
    veth.KIND,
    macvlan.KIND,
    tap.KIND,
    impair.KIND,
    sysctl.KIND,
    address.KIND,
    route.KIND,
    rule.KIND,
    policy.KIND,
    service.KIND,
    hosts.KIND,
    dns.KIND,
    process.KIND,
    check.KIND,
))
