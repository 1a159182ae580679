"""The registry of kinds: each op belongs to one kind, ops run in the documented phase order,
and a registry with a cycle or an unknown dependency is refused."""

from __future__ import annotations

import pytest

from provisioner.core.plan import Op, Stage
from provisioner.core.registry import KindSpec, Registry
from provisioner.kinds.registry import REGISTRY

ORDER = ["netns", "link", "loopback", "bridge", "vxlan", "veth", "macvlan", "tap", "impair", "sysctl", "address", "route", "rule", "policy", "service", "hosts", "dns", "process", "check"]


def test_kinds_registry_order_puts_dependencies_first() -> None:
    names = [k.name for k in REGISTRY.kinds]
    assert sorted(names) == sorted(ORDER)
    for kind in REGISTRY.kinds:
        for dep in kind.depends:
            assert names.index(dep) < names.index(kind.name), (kind.name, dep)


def test_kinds_registry_every_op_belongs_to_exactly_one_kind() -> None:
    owners: dict[str, list[str]] = {}
    for kind in REGISTRY.kinds:
        for op in kind.ops:
            owners.setdefault(op.value, []).append(kind.name)
            assert (op.run is None) != (op.encode is None), f"{op.value}: run or encode, exactly one"
    assert all(len(v) == 1 for v in owners.values()), owners
    assert sorted(owners) == sorted(op.value for op in REGISTRY.ops())
    assert len({op.value for op in REGISTRY.ops()}) == len(REGISTRY.ops())


def test_kinds_registry_phase_order() -> None:
    """stop, rename, unscope, delete (reverse dependency order: a route before its address, an address
    before its link), scope, create, configure, connect, files, start."""
    ops = [op.value for op in REGISTRY.ops()]
    assert ops == [
        "stop-process",
        "rename-link",
        "delete-namespace",
        "delete-nftables-table", "delete-rule", "delete-route", "delete-address", "delete-loss-drop", "delete-qdisc", "delete-fdb", "delete-link",
        "create-namespace", "adopt-namespace",
        "create-bridge", "create-vxlan", "create-veth", "create-macvlan", "create-tap",
        "set-link", "set-qdisc", "set-loss-drop", "set-sysctl", "add-address", "set-route", "add-rule",
        "add-fdb", "apply-nftables",
        "write-hosts", "remove-hosts", "write-resolv", "remove-resolv",
        "start-process",
    ]
    stages = [REGISTRY.phase(op)[0] for op in REGISTRY.ops()]
    assert stages == sorted(stages) and set(stages) == {int(s) for s in Stage}


def _op(name: str, stage: Stage = Stage.CREATE) -> Op:
    return Op(name, stage, run=lambda ex, a: None)


def test_kinds_registry_delete_runs_in_reverse_dependency_order() -> None:
    a, b = _op("delete-a", Stage.DELETE), _op("delete-b", Stage.DELETE)
    c, d = _op("create-a"), _op("create-b")
    reg = Registry((KindSpec("b", depends=("a",), ops=(b, d)), KindSpec("a", ops=(a, c))))
    assert [k.name for k in reg.kinds] == ["a", "b"]
    assert reg.ops() == [b, a, c, d]


def test_kinds_registry_refuses_a_cycle() -> None:
    with pytest.raises(ValueError, match="kinds depend on each other: a -> b -> c -> a"):
        Registry((KindSpec("a", depends=("b",)), KindSpec("b", depends=("c",)), KindSpec("c", depends=("a",))))


def test_kinds_registry_refuses_a_kind_depending_on_itself() -> None:
    with pytest.raises(ValueError, match="a -> a"):
        Registry((KindSpec("a", depends=("a",)),))


def test_kinds_registry_refuses_an_unknown_dependency() -> None:
    with pytest.raises(ValueError, match="kind b depends on unknown kind nosuch"):
        Registry((KindSpec("a"), KindSpec("b", depends=("nosuch",))))


def test_kinds_registry_finds_ops_and_kinds_by_name() -> None:
    assert REGISTRY.op_named("set-route").stage is Stage.CONFIGURE
    assert REGISTRY.kind("vxlan").link is not None and [k.name for k in REGISTRY.links()] == [
        "loopback", "bridge", "vxlan", "veth", "macvlan", "tun"]
    with pytest.raises(KeyError):
        REGISTRY.op_named("nosuch")
