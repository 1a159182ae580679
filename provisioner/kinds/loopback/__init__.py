"""The loopback of each namespace (`interfaces: {lo: ...}`): made by the kernel with the
namespace; topo sets it up and gives it addresses."""

from ...core.registry import KindSpec
from ...live import LiveLink
from ...model import Interface, Kind
from ..link.diff import LinkDiff


class Loopback:
    name = Kind.LOOPBACK
    paired = False

    def plan(self, d: LinkDiff, netns: str | None, iface: Interface, link: LiveLink | None) -> None:
        """Nothing to make: the kernel makes lo with its namespace."""

    def pairs(self, d: LinkDiff) -> None:
        """Not paired."""


KIND = KindSpec("loopback", depends=("link",), link=Loopback())
