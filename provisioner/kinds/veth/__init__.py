"""Veth pairs (`links:`): two ends, each in a namespace or a node's root namespace (where it
may be a bridge's port)."""

from ...core.registry import KindSpec
from .link import CREATE_VETH, Veth

KIND = KindSpec("veth", depends=("bridge",), ops=(CREATE_VETH,), link=Veth())
