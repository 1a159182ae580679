"""netem's and tbf's TCA_OPTIONS, byte for byte as pyroute2's tc code encodes them (an
independent encoder), for a table of impairments; and the dump's options decoded back."""

from __future__ import annotations

from typing import Any

import pytest
from pyroute2.netlink.rtnl.tcmsg import sched_netem, sched_tbf

from provisioner.kinds.impair.model import Chance, Impairment
from provisioner.kinds.impair.ops import QdiscSpec, request
from provisioner.kinds.impair.read import RTM_NEWQDISC, TC_H_ROOT, TOPO_HANDLE, parse_qdisc
from provisioner.kinds.impair.tc import Netem, Tbf
from provisioner.rtnl import _HDR

NETEM_CASES: list[tuple[Impairment, dict[str, Any]]] = [
    (Impairment(delay=50_000), {"delay": 50_000}),
    (Impairment(delay=100_000, jitter=10_000), {"delay": 100_000, "jitter": 10_000}),
    (Impairment(loss=Chance(1.5)), {"loss": 1.5}),
    (Impairment(loss=Chance(5, 25)), {"loss": 5, "loss_corr": 25}),
    (Impairment(duplicate=Chance(2, 10)), {"duplicate": 2, "dup_corr": 10}),
    (Impairment(delay=10_000, reorder=Chance(25, 50)), {"delay": 10_000, "prob_reorder": 25, "corr_reorder": 50}),
    (Impairment(corrupt=Chance(0.1)), {"prob_corrupt": 0.1}),
    (Impairment(rate=10_000_000), {"rate": "10mbit"}),
    (Impairment(rate=512_000, limit=50), {"rate": "512kbit", "limit": 50}),
    (Impairment(rate=1_000_000_000, delay=20_000, jitter=2_000, loss=Chance(100), duplicate=Chance(3), reorder=Chance(10, 5),
                corrupt=Chance(0.5, 1), limit=10_000),
     {"rate": "1gbit", "delay": 20_000, "jitter": 2_000, "loss": 100, "duplicate": 3, "prob_reorder": 10,
      "corr_reorder": 5, "prob_corrupt": 0.5, "corr_corrupt": 1, "limit": 10_000}),
]


def _pyroute2(module: Any, params: dict[str, Any]) -> bytes:
    opts = module.options()
    opts.setvalue(module.get_parameters(params))
    opts.encode()
    return bytes(opts.data)[4:]  # pyroute2 encodes TCA_OPTIONS' own header too


@pytest.mark.parametrize("imp,params", NETEM_CASES)
def test_impair_netem_options_are_pyroute2s_bytes(imp: Impairment, params: dict[str, Any]) -> None:
    assert Netem.of(imp).encode() == _pyroute2(sched_netem, params)


@pytest.mark.parametrize("imp,params", NETEM_CASES)
def test_impair_netem_options_decode_to_the_impairment(imp: Impairment, params: dict[str, Any]) -> None:
    assert Netem.decode(Netem.of(imp).encode()).impairment() == Impairment(
        **{**imp.__dict__, "loss": imp.loss and Chance(imp.loss.percent, imp.loss.correlation)})


@pytest.mark.parametrize("rate,text", [(10_000_000, "10mbit"), (512_000, "512kbit"), (100_000_000, "100mbit"), (1_000_000_000, "1gbit")])
def test_impair_tbf_options_are_pyroute2s_bytes(rate: int, text: str) -> None:
    tbf = Tbf.of(Impairment(rate=rate))
    assert tbf.encode() == _pyroute2(sched_tbf, {"rate": text, "burst": max(rate // 800, 16384), "limit": tbf.limit})
    assert Tbf.decode(tbf.encode()) == tbf


def test_impair_request_is_a_root_qdisc_with_topos_handle() -> None:
    msg = request(QdiscSpec("eth0", Netem.of(Impairment(delay=1000))), 7)
    assert msg.type == RTM_NEWQDISC
    data = _HDR.pack(16 + len(msg.body), msg.type, msg.flags, 1, 0) + msg.body
    parent, q = parse_qdisc(data, 0, len(data))
    assert (parent, q.ifindex, q.handle, q.kind, q.ours) == (TC_H_ROOT, 7, TOPO_HANDLE, "netem", True)
    assert Netem.decode(q.options).impairment().delay == 1000
