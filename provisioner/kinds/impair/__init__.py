"""Link impairments (`impair:`): rate, delay, jitter, loss, duplication, reordering, corruption
and queue length of what an interface sends, as topo's own root qdisc on it (netem; without
sch_netem, `rate` alone as tbf), read back, drift-checked and removed with the lab."""

from ...core.registry import KindSpec
from .diff import diff
from .ops import DELETE_QDISC, SET_QDISC
from .read import read

KIND = KindSpec("impair", depends=("veth", "macvlan", "vxlan", "bridge"), ops=(DELETE_QDISC, SET_QDISC), diff=diff, facts=read)
