"""Network policies (`policies:`): Kubernetes NetworkPolicy semantics, reduced to what a lesson
needs, enforced by chains of the lab's nftables table (kinds/service makes and diffs the
table; this kind gives its policy chains)."""

from ...core.registry import KindSpec

KIND = KindSpec("policy", depends=("netns",))
