"""Desired model builder: schema-valid data -> `Topology`.

Each kind builds its own part (`provisioner/kinds/<kind>/build.py`, the protocol is described
in `provisioner/kinds/buildctx.py`); this module runs them in the kinds' dependency order:
every kind's namespace part for each namespace the netns kind makes, then every kind's
`build`, then every kind's `finish`. Problems found on the way are reported to the sink with
their YAML path; the builder keeps going so that every problem of a file is reported at once.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from .diagnostics import DiagnosticSink
from .kinds.buildctx import (  # noqa: F401 - importable from here, where other code has them
    BuildContext,
    address_refusal,
    gateway_refusal,
    ip_address,
    ip_interface,
    valid_ifname,
    valid_nsname,
)
from .kinds.check.build import check_label, check_target_problem  # noqa: F401
from .kinds.link.build import IPV6_MIN_MTU  # noqa: F401
from .model import Topology

_check_label = check_label  # the old name, still imported by dump.py

def kinds() -> list[ModuleType]:
    """The kinds' builders (`provisioner/kinds/<kind>/build.py`), in registry order."""
    from .kinds.registry import REGISTRY

    return REGISTRY.modules("build")


def build_topology(data: dict[str, Any], sink: DiagnosticSink) -> Topology:
    """Build the desired model from schema-valid data, reporting problems to `sink`."""
    builders = kinds()
    parts = tuple(kind.in_netns for kind in builders if hasattr(kind, "in_netns"))
    ctx = BuildContext(data, sink, parts)
    topo = Topology(str(data["name"]), {}, implicit_node=not data.get("nodes"))
    for phase in ("build", "finish"):
        for kind in builders:
            step = getattr(kind, phase, None)
            if step is not None:
                step(ctx, topo)
    return topo
