"""The lab's namespaces' resolv.conf files (/etc/netns/NS/resolv.conf, what `ip netns exec NS`
shows as /etc/resolv.conf). Facts only."""

from __future__ import annotations

from typing import Any, Iterable

from ...hostsfile import read_netns_file

RESOLV = "resolv.conf"


def read(pool: Any, lab: str, namespaces: Iterable[str]) -> dict[str, str | None]:
    return {ns: read_netns_file(pool.roots.etc_netns, ns, RESOLV) for ns in sorted(namespaces)}
