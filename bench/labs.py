"""Generated labs shared by the benchmarks."""

from __future__ import annotations

PORTS = 1000  # pods per bridge: a Linux bridge holds at most 1,024 ports (BR_MAX_PORTS)


def bridges(n: int) -> int:
    """How many cni bridges n pods need (cni0, cni1, ...); bench/baselines/floor.c and the
    shell baselines count them the same way."""
    return max(1, -(-n // PORTS))


def pod_ip(i: int) -> str:
    """Pod i's address: bridge b = i // PORTS owns 10.b.0.0/16 (its own address 10.b.0.1)."""
    b, a = divmod(i, PORTS)
    a += 2
    return f"10.{b}.{a // 256}.{a % 256}"


def pods_lab(n: int, name: str = "bench") -> str:
    """The flannel-style lab scaled to n pods: cni bridges of at most PORTS ports (MTU 1450), a
    veth, an address, a default route and a hosts entry per pod; the same lab the baselines
    build. Up to PORTS pods it is one bridge cni0 on 10.0.0.0/16, as it always was."""
    out = [f"name: {name}", "bridges:"]
    out += [f"  cni{b}: {{addresses: [10.{b}.0.1/16], mtu: 1450}}" for b in range(bridges(n))]
    out.append("namespaces:")
    for i in range(n):
        ip = pod_ip(i)
        out.append(f"  pod-{i}:\n    interfaces: {{eth0: {{addresses: [{ip}/16]}}}}\n"
                   f"    routes: [{{to: default, via: 10.{i // PORTS}.0.1}}]\n    hosts: {{pod-{i}: {ip}}}")
    out.append("links:")
    out += [f"  - {{a: pod-{i}:eth0, b: cni{i // PORTS}:veth{i}, mtu: 1450}}" for i in range(n)]
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
