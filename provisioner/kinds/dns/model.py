"""The cluster DNS as the file declares it, and what it answers."""

from __future__ import annotations

from dataclasses import dataclass, field

from ...diagnostics import YamlPath
from ...model import IPAddress

SERVER = "cluster-dns"  # the process's name in its pod
K8S_NAMESPACE = "kube-system"
SERVICE = "kube-dns"


@dataclass(frozen=True)
class ClusterDns:
    pod: str
    cluster_ip: IPAddress
    domain: str
    records: tuple[tuple[str, tuple[IPAddress, ...]], ...]  # name -> addresses, as it answers them
    path: YamlPath = field(default=(), compare=False)

    def resolv_conf(self, lab: str, k8s_namespace: str = "default") -> str:
        """A pod's resolv.conf, as kubelet writes it (ClusterFirst)."""
        d = self.domain
        return (f"# topo lab {lab}: the cluster DNS\n"
                f"nameserver {self.cluster_ip}\n"
                f"search {k8s_namespace}.svc.{d} svc.{d} {d}\n"
                "options ndots:5\n")

    def server_config(self) -> str:
        """dnsmasq's configuration: only its own records; every other name is answered
        NXDOMAIN here (`local=/#/`), never forwarded; no resolv.conf, no /etc/hosts read."""
        lines = ["no-resolv", "no-hosts", "no-poll", "domain-needed", "local=/#/", "port=53", "pid-file=", "log-facility=-"]
        lines += [f"host-record={name},{','.join(str(a) for a in addrs)}" for name, addrs in self.records]
        return "\n".join(lines) + "\n"
