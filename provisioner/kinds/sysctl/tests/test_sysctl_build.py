"""The sysctl builder (root-free)."""

from __future__ import annotations

import pytest

from provisioner.diagnostics import format_path
from provisioner.loader import load_text
from provisioner.validate import validate_document


def validated(sysctls: str):  # type: ignore[no-untyped-def]
    return validate_document(load_text("t.yaml", f"name: lab\nnamespaces: {{a: {{sysctls: {sysctls}}}}}\n"))


@pytest.mark.parametrize("sysctls,expected", [
    ("{net.ipv4.ip_forward: true}", {"net.ipv4.ip_forward": "1"}),
    ("{net.ipv6.conf.all.disable_ipv6: 0, net.core.somaxconn: '512'}",
     {"net.ipv6.conf.all.disable_ipv6": "0", "net.core.somaxconn": "512"}),
])
def test_values_as_the_kernel_reads_them(sysctls: str, expected: dict[str, str]) -> None:
    topo = validated(sysctls).topology
    assert topo is not None and topo.nodes["host"].namespaces["a"].sysctls == expected


@pytest.mark.parametrize("sysctls,path,fragment", [
    ("{kernel.hostname: x}", "namespaces.a.sysctls.kernel.hostname", ""),
    ("{net.ipv4.ip_forward: 1, net.ipv4.conf.all.forwarding: 0}", "namespaces.a.sysctls.net.ipv4.conf.all.forwarding",
     "net.ipv4.conf.all.forwarding is 0 but net.ipv4.ip_forward is 1: they are one setting of the kernel"),
])
def test_refused_sysctls(sysctls: str, path: str, fragment: str) -> None:
    found = [(format_path(d.path), d.message, d.hint) for d in validated(sysctls).diagnostics]
    assert len(found) == 1 and found[0][0] == path and fragment in found[0][1], found
    if not fragment:
        assert found[0][2] == "only net.* sysctls are per network namespace; others would change the whole machine"
