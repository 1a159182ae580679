"""Generated labs shared by the benchmarks."""

from __future__ import annotations


def pods_lab(n: int, name: str = "bench") -> str:
    """The flannel-style lab scaled to n pods: cni0 (MTU 1450), a veth, an address, a default
    route and a hosts entry per pod; the same lab the baseline scripts build."""
    out = [f"name: {name}", "bridges:", "  cni0: {addresses: [10.0.0.1/16], mtu: 1450}", "namespaces:"]
    for i in range(n):
        a = i + 2
        ip = f"10.0.{a // 256}.{a % 256}"  # /16: room for 65,000 pods
        out.append(f"  pod-{i}:\n    interfaces: {{eth0: {{addresses: [{ip}/16]}}}}\n"
                   f"    routes: [{{to: default, via: 10.0.0.1}}]\n    hosts: {{pod-{i}: {ip}}}")
    out.append("links:")
    out += [f"  - {{a: pod-{i}:eth0, b: cni0:veth{i}, mtu: 1450}}" for i in range(n)]
    return "\n".join(out) + "\n"


def services_lab(services: int, pods: int = 30, per_service: int = 3, name: str = "svcbench", drop: int | None = None) -> str:
    """A pods lab with `services` ClusterIP Services of `per_service` endpoints each (taken in
    turn from the pods); `drop`: that Service has one endpoint fewer."""
    out = [pods_lab(pods, name)]
    out.append("services:")
    for s in range(services):
        eps = [f"pod-{(s + k) % pods}" for k in range(per_service)]
        if s == drop:
            eps = eps[:-1]
        ip = f"10.96.{s // 250}.{s % 250 + 2}"
        out.append(f"  svc-{s}: {{clusterIP: {ip}, ports: [{{port: 80, targetPort: 8080}}], endpoints: [{', '.join(eps)}]}}")
    return "\n".join(out) + "\n"
