"""Small labs for the tests of several labs on one machine: one pod on a shared bridge."""

from __future__ import annotations


def pod_on_bridge(name: str, host: int, bridge: str, net: str, *, route: bool = True, top: str = "", tail: str = "") -> str:
    """Lab `name`: its pod NAME-pod at NET.HOST/24 on `bridge` (NET.1/24, the gateway when
    `route`); `top` goes after the name, `tail` at the end (YAML lines)."""
    routes = f"    routes: [{{to: default, via: {net}.1}}]\n" if route else ""
    return (f"name: {name}\n{top}"
            f"bridges:\n  {bridge}: {{addresses: [{net}.1/24]}}\n"
            f"namespaces:\n  {name}-pod:\n    interfaces: {{eth0: {{addresses: [{net}.{host}/24]}}}}\n{routes}"
            f"links:\n  - {{a: {name}-pod:eth0, b: {bridge}:veth-{name}}}\n{tail}")
