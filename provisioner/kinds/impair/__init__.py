"""Link impairments (`impair:`): rate, delay, jitter, loss, duplication, reordering, corruption
and queue length of what an interface sends, as topo's own root qdisc on it (netem; without
sch_netem, `rate` as tbf and `loss` as a random drop in the lab's netdev nftables table),
read back, drift-checked and removed with the lab."""

from ...core.registry import KindSpec
from .diff import diff
from .ops import DELETE_DROP, DELETE_QDISC, SET_DROP, SET_QDISC
from .read import read

KIND = KindSpec("impair", depends=("veth", "macvlan", "vxlan", "bridge"), ops=(DELETE_DROP, DELETE_QDISC, SET_QDISC, SET_DROP), diff=diff, facts=read)
