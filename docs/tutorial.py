#!/usr/bin/env python3
"""Generate docs/tutorial.md: the seed lessons told again with topo, every output from a real run.

    python docs/tutorial.py            run every command, write docs/tutorial.md
    python docs/tutorial.py --check    run every command, exit 1 with a diff when docs/tutorial.md differs
    python docs/tutorial.py --stdout   run every command, print the tutorial instead of writing it

Needs root: all commands run in ONE throwaway sandbox (`scripts/sandbox.sh --hold`, entered with
`nsenter` for each command, as tests/sandbox.py does), so nothing touches this machine's network,
namespaces or /etc/hosts. The sandbox's /etc/hosts starts from HOSTS_SEED (two localhost lines),
not from a copy of this machine's file, so the node's `cat /etc/hosts` is the same everywhere.

Each command runs as `bash -c CMD` from the repository's top directory, with a clean environment:
PATH = topo's venv + the system directories, NO_COLOR=1, COLUMNS=100, LC_ALL=C.UTF-8,
PYTHONUNBUFFERED=1 (stdout and stderr are captured together, in the order a terminal shows
them). Every command declares its expected exit status; a different one stops the generator
(the tutorial must never tell a story the tool no longer tells).

Outputs are normalised so a re-run gives the same file byte for byte (see NORMALISATIONS, which
the tutorial lists too): MAC addresses, interface indexes, IPv6 link-local addresses and their
DAD state, ping/curl/progress timings; trailing spaces and trailing blank lines are dropped.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "docs" / "tutorial.md"
SANDBOX = REPO / "scripts" / "sandbox.sh"
HOSTS_SEED = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"


def _topo_bin() -> Path:
    here = Path(sys.executable).parent
    return here if (here / "topo").exists() else REPO / ".venv" / "bin"


ENV = {
    "PATH": f"{_topo_bin()}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "HOME": os.environ.get("HOME", "/root"),
    "NO_COLOR": "1",
    "COLUMNS": "100",
    "TERM": "dumb",
    "LC_ALL": "C.UTF-8",
    "PYTHONUNBUFFERED": "1",
}

# ---------------------------------------------------------------------------------------------
# normalisation (the tutorial lists these in "About the outputs")

_MAC = r"(?<![0-9a-f:])(?!00(?::00){5}(?![0-9a-f:]))(?!ff(?::ff){5}(?![0-9a-f:]))[0-9a-f]{2}(?::[0-9a-f]{2}){5}(?![0-9a-f:])"
# (pattern, replacement, a row of the tutorial's table "shown as | stands for", or None: covered by the row above)
def _same_width(token: str) -> Callable[[re.Match[str]], str]:
    """A replacement by TOKEN padded to the width of what it replaces (a table's cell keeps its borders)."""
    return lambda m: token.ljust(len(m.group()))


NORMALISATIONS: list[tuple[str, str | Callable[[re.Match[str]], str], tuple[str, str] | None]] = [
    (_MAC, "<mac>", ("`<mac>`", "a MAC address (veths and bridges get random ones; all-zero and broadcast ones are kept)")),
    (r"@if\d+", "@if<n>", ("`eth0@if<n>`", "the index of a veth's peer interface")),
    (r"(?m)^\d+(?=: (?!lo:)[^\s:]+: <)", "<n>", ("`<n>: eth0...`", "an interface index at the start of an `ip link` / `ip address` entry (`lo` keeps its 1)")),
    (r"fe80::[0-9a-f:]+", "fe80::<ll>", ("`fe80::<ll>`", "an IPv6 link-local address (derived from the random MAC)")),
    (r"(scope link) (?:tentative |optimistic |dadfailed )+", r"\1 ", ("(dropped)", "the DAD flag `tentative` on those addresses, there or not depending on timing")),
    (r"time=[\d.]+ ms", "time=<t> ms", ("`<t>`, `<rtt>`", "times: ping's `time=`, `time` and `rtt min/avg/max/mdev`, curl's `after ... ms`, the elapsed seconds in topo's progress lines")),
    (r"time \d+ms", "time <t>ms", None),
    (r"rtt min/avg/max/mdev = [\d./]+ ms", "rtt min/avg/max/mdev = <rtt> ms", None),
    (r"after \d+ ms", "after <t> ms", None),
    (r"\((\d+/\d+), [\d.]+s\)", r"(\1, <t>s)", None),
    (r"(?<=: )[\d.]+ Mbit/s", "<rate> Mbit/s", ("`<rate>`, `<loss>`", "what tools/linkmeter.py measured (its verdict, within the declared value's margin or not, is kept)")),
    (r": [\d.]+% lost", ": <loss>% lost", None),
    (r"(?<=│ )\d+ *(?=│ (?:running|exited) )", _same_width("<pid>"), ("`<pid>`", "a process's pid in `topo show`'s processes table")),
    (r"\b(?:REACHABLE|STALE|DELAY|PROBE)\b *(?=│)", _same_width("<nud>"),
     ("`<nud>`", "a neighbour's state in `topo show` (REACHABLE, STALE, DELAY or PROBE: it changes with time)")),
]


def normalise(text: str) -> str:
    for pattern, repl, _ in NORMALISATIONS:
        text = re.sub(pattern, repl, text)
    lines = [line.rstrip() for line in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# the document: prose, commands (run and shown), waits (run, not shown)

@dataclass
class P:
    """Markdown prose."""
    text: str


@dataclass
class Cmd:
    """A command a learner types, shown with its real output.

    rc: the expected exit status. status: show `$ echo $?` after the output (default: when rc is
    not 0, and always for `topo plan` and `topo check`, whose status is the point).
    fence: the language of the output's own block (`mermaid`, `yaml`); None puts command and
    output in one console block."""
    cmd: str
    rc: int = 0
    status: bool | None = None
    fence: str | None = None


@dataclass
class Wait:
    """Run until it succeeds (a server a lab just started may not listen yet); not shown."""
    cmd: str
    timeout: float = 15.0


Block = P | Cmd | Wait


def p(text: str) -> P:
    return P(textwrap.dedent(text).strip("\n"))


def lesson_lab(path: str, *extra: str) -> list[Block]:
    """The common opening of a lesson: the file, validate, graph, plan."""
    args = " ".join((path,) + extra)
    return [
        Cmd(f"grep -v '^#' {path}", fence="yaml"),
        Cmd(f"topo validate {args}"),
        Cmd(f"topo graph {args}", fence="mermaid"),
        Cmd(f"topo plan {args}", rc=2),
    ]


L1 = "topologies/01-loopback-pod.yaml"
L2 = "topologies/02-shared-pod-namespace.yaml"
L3 = "topologies/03-veth-by-hand.yaml"
L4 = "topologies/04-kindnet-routes.yaml"
L5 = "topologies/05-flannel-cni0.yaml"
L6 = "topologies/06-node-to-pod.yaml"
L7 = "topologies/07-templated-pods.yaml"
L8 = "topologies/08-multi-node.yaml"
L9 = "topologies/09-services.yaml"
L10 = "topologies/10-cluster-dns.yaml"
L11 = "topologies/11-network-policy.yaml"
L12 = "topologies/12-impairments.yaml"
L13 = "topologies/13-policy-routing.yaml"
L14 = "topologies/14-dual-stack.yaml"
L15 = "topologies/15-workshop-stages.yaml"

DOC: list[Block] = [
    p("""
    <!-- Generated by `python docs/tutorial.py` from a real run in a sandbox: edit the generator, not this file.
         `python docs/tutorial.py --check` (tests/test_tutorial.py) fails when the two differ. -->

    # Tutorial: the seed lessons, with topo

    The lessons this project started from teach Kubernetes networking by looking at it on real
    machines: the loopback inside a pod, the pause container's shared namespace, veth pairs and a
    docker0-like bridge, kindnet's /32 routes, flannel's `cni0`, node-to-pod traffic and hosts
    files. Each of them is an example lab in `topologies/`; this tutorial builds every one of them
    with topo, looks at it with the same `ip`, `ping`, `curl` and `getent` commands the lessons
    use, lets topo prove it (`topo check`) and removes it again.

    Every command below was run, in this order, in one throwaway sandbox, and every output is the
    real one (see [About the outputs](#about-the-outputs) for the few parts that change from run
    to run). Each lab follows the same cycle:

    | step | command | changes the machine? |
    |---|---|---|
    | check the file | `topo validate FILE` | no |
    | draw it | `topo graph FILE` (Mermaid; `--format dot` for Graphviz) | no |
    | see what would change | `topo plan FILE` (exit 2: changes to make, 0: none) | no |
    | build it | `topo apply FILE` | yes |
    | look at it | `topo show FILE`, `topo exec NAMESPACE -- COMMAND` | no |
    | prove the lesson | `topo check FILE` (the `checks:` of the file) | no |
    | remove it | `topo destroy FILE` | yes |

    ## Before you begin

    You need a Debian-like Linux machine and root. From the repository's top directory:

    ```sh
    sudo bash scripts/setup.sh            # Debian packages (iproute2, curl, ...) and .venv/ with topo
    sudo scripts/sandbox.sh               # a throwaway shell: its own network, mounts and processes
    export PATH="$PWD/.venv/bin:$PATH"    # inside the sandbox: topo on the PATH
    ```

    (`sudo bash scripts/demo.sh` does the same setup, then runs one lab end to end in a sandbox:
    a quick first look.)

    The sandbox (`scripts/sandbox.sh`) is a shell in fresh network, mount and PID namespaces with
    private `/run/netns`, `/etc/netns`, `/var/lib/topo` and a private copy of `/etc/hosts`: the
    labs you build there never touch your machine's interfaces, and everything (namespaces,
    bridges, the servers a lab starts) disappears when you `exit`. Type every command below in
    that shell; its prompt is `(topo sandbox) ...#`, shown here as `$ `.

    Two conventions in the outputs:

    - When the exit status matters it is shown the way you would ask for it, `$ echo $?`, right
      after the command. `topo plan` exits 2 when there is something to change and 0 when the
      machine matches the file; `topo check` exits 1 when a check fails.
    - `<mac>`, `<n>`, `<t>` and `fe80::<ll>` stand for values that differ on every run (MAC
      addresses, interface indexes, times, link-local addresses).
    """),

    # ---------------------------------------------------------------------------------- lesson 1
    p(f"""
    ## 1. The loopback interface inside a pod

    **The seed** (`000_d37d252ab63a4149.txt`, "Loopback Networking", and the first part of
    `001_8cefdbc16a9e893a.txt`): a pod has its own `lo` with `127.0.0.1/8` and `::1`, its hosts
    file maps `localhost`, and `curl http://localhost:80` inside the pod reaches the pod's own
    nginx: processes in one pod talk over the loopback, told apart by their ports.

    **The lab** (`{L1}`): one namespace, `jumpbox`, stands for the pod. It declares a
    process, a small web server on `127.0.0.1:80` in place of nginx, and two checks. Here is the
    file without its comments (every example starts with a comment saying what it reproduces and
    what to try):
    """),
    Cmd(f"grep -v '^#' {L1}", fence="yaml"),
    p("""
    `topo validate` checks the file against topo's JSON Schema and its rules (every problem as
    `FILE:LINE:COL`, lesson 7 shows one). `topo graph` prints the lab as Mermaid text, which
    GitHub draws as the diagram below: namespaces are boxes, interfaces circles, bridges
    hexagons (`topo graph FILE --format dot | dot -Tsvg > lab.svg` for Graphviz).
    """),
    Cmd(f"topo validate {L1}"),
    Cmd(f"topo graph {L1}", fence="mermaid"),
    p("""
    `topo plan` reads the kernel, compares it with the file and prints what `apply` would do; it
    never changes anything. Its exit status 2 means "there are changes to make":
    """),
    Cmd(f"topo plan {L1}", rc=2),
    p("""
    The plan lists what apply will do: `+` creates, `~` changes, `-` deletes. A new network
    namespace has its `lo` down; topo brings it up (`lo` is up unless the file says otherwise).
    `apply` prints the same plan, runs it phase by phase, then reads the kernel again and verifies
    that nothing is left to do:
    """),
    Cmd(f"topo apply {L1}"),
    Cmd(f"topo show {L1}"),
    p("""
    Now look inside the pod, as the seed does with `docker exec kind-worker ...`. `topo exec NS --
    COMMAND` is `ip netns exec NS COMMAND`: the command runs in the namespace, and sees the
    namespace's hosts file `/etc/netns/jumpbox/hosts` as `/etc/hosts`.
    """),
    Cmd("topo exec jumpbox -- ip address show lo"),
    Cmd("topo exec jumpbox -- getent hosts localhost"),
    Cmd("topo exec jumpbox -- cat /etc/hosts"),
    Wait("topo exec jumpbox -- curl -s -o /dev/null http://localhost:80"),
    p("""
    The pod's web server answers on the pod's loopback (`curl -I` asks for the headers only; the
    first line is enough here). Right after an apply the server may need a moment to start: if
    curl says it could not connect, run it again.
    """),
    Cmd("topo exec jumpbox -- curl -sI http://localhost:80 | head -n1"),
    p("""
    The same request from the node (the sandbox's root namespace) fails: the node's `localhost`
    is the node's own loopback, not the pod's.
    """),
    Cmd("curl -sS -I http://localhost:80", rc=7),
    p("""
    `topo check` runs the checks the file declares, from the namespaces they name, with real
    tools (`ping`, a TCP connection, `getent hosts`):
    """),
    Cmd(f"topo check {L1}"),
    Cmd(f"topo plan {L1}", rc=0),
    Cmd(f"topo destroy {L1}"),
    Cmd("ip netns list"),
    p("""
    **What to notice**

    - `lo` carries `127.0.0.1/8` and `::1/128`, state `UNKNOWN` with `UP,LOWER_UP`: exactly the
      seed's output from the kind worker.
    - The pod's hosts file is the Kubernetes-style one from the seed, plus the entry the file
      declares (`jumpbox: 127.0.1.1`); `getent hosts localhost` answers `::1`, as in the seed.
    - After the apply, `topo plan` exits 0: the machine matches the file. `destroy` stops the
      server, removes the namespace and its hosts file; `ip netns list` prints nothing.
    """),

    # ---------------------------------------------------------------------------------- lesson 2
    p(f"""
    ## 2. One shared pod namespace versus two separate ones

    **The seed** (`003_887590139cf81273.txt`, "How do Containers Communicate via localhost in a
    Kubernetes Pod?", and the intrapod part of `002_71c6d47a9dabefbb.txt`): two containers of a
    pod, web1 on port 1111 and web2 on 2222, reach each other on `localhost` because both join the
    network namespace of the pod's pause container; two containers started on their own cannot.

    **The lab** (`{L2}`): the namespace `pod` is the pause container's namespace, with two
    processes, `web1` and `web2`, in it. `web1-alone` and `web2-alone` are the same two servers,
    each in a namespace of its own. The checks include two that must fail (`expect: failure`).
    """),
    *lesson_lab(L2),
    p("""
    `-q` prints only the summary; the actions are the plan above:
    """),
    Cmd(f"topo apply -q {L2}"),
    Cmd(f"topo show {L2}"),
    Wait("topo exec pod -- curl -s -o /dev/null http://localhost:1111"),
    Wait("topo exec pod -- curl -s -o /dev/null http://localhost:2222"),
    Wait("topo exec web1-alone -- curl -s -o /dev/null http://localhost:1111"),
    Wait("topo exec web2-alone -- curl -s -o /dev/null http://localhost:2222"),
    p("""
    Both servers listen in the one `pod` namespace, as both containers do in the pause
    container's namespace; each of the `-alone` namespaces has one listener (`ss -H` leaves out
    the header; `sort`, because `ss` lists sockets in no fixed order):
    """),
    Cmd("topo exec pod -- ss -Hltn | sort"),
    Cmd("topo exec web2-alone -- ss -Hltn"),
    p("""
    So web1 reaches web2 on `localhost:2222` (and the other way round), like the seed's
    `curl -I localhost:2222` from the web1 container:
    """),
    Cmd("topo exec pod -- curl -sI localhost:2222 | head -n1"),
    Cmd("topo exec pod -- curl -sI localhost:1111 | head -n1"),
    p("""
    web1 on its own answers on its own loopback, but web2 on its own finds nothing on port 1111:
    its `localhost` is another loopback.
    """),
    Cmd("topo exec web1-alone -- curl -sI localhost:1111 | head -n1"),
    Cmd("topo exec web2-alone -- curl -sS -I localhost:1111", rc=7),
    Cmd(f"topo check {L2}"),
    Cmd(f"topo destroy {L2}"),
    p("""
    **What to notice**

    - The difference between the two cases is only *which namespace* a process runs in; the
      servers are the same.
    - A check with `expect: failure` passes when the connection is refused: the table shows the
      refusal as its detail, and the summary counts it as passed.
    - `destroy` stops the four servers before it removes their namespaces.
    """),

    # ---------------------------------------------------------------------------------- lesson 3
    p(f"""
    ## 3. A veth pair by hand, to a docker0-like bridge

    **The seed** (`001_8cefdbc16a9e893a.txt`, "Building Veth Pairs"): for a container with pid
    6902, create a veth pair `h6902`/`c6902`, move `c6902` into the container's network namespace,
    enslave `h6902` to `docker0` and bring it up; inside, bring `lo` up, rename `c6902` to `eth0`,
    give it `172.17.42.3/16` and a default route via `172.17.42.1`. (The seed then pings an
    address on the internet; a lab never leaves the machine, so here the container pings its
    gateway on the bridge.)

    **The lab** (`{L3}`): every one of those `ip` commands is a line of the file. The bridge is
    called `lab-docker0` so that it never collides with a real `docker0`; the link
    `{{a: container:eth0, b: lab-docker0:h6902}}` is the veth pair, its `eth0` end in the
    namespace and its `h6902` end a port of the bridge.
    """),
    *lesson_lab(L3),
    Cmd(f"topo apply {L3}"),
    Cmd(f"topo show {L3}"),
    Cmd("topo exec container -- ip address show eth0"),
    Cmd("topo exec container -- ip route"),
    Cmd("ip link show master lab-docker0"),
    Cmd("topo exec container -- ping -c1 172.17.42.1"),
    Cmd(f"topo check {L3}"),
    p("""
    In the outputs: `eth0@if<n>` is one end of a pair whose other end is `h6902@if<n>` in the
    root namespace (`link-netns container`); `h6902` is a port (`master lab-docker0`). The
    default route says `proto 151`: topo marks the routes it adds with protocol number 151, and
    every link it creates with the alias `topo:LAB` (`alias topo:veth-by-hand`): that is how it
    knows what it owns, and removes only that.

    ### Drift: change it by hand, let topo see and repair it

    Undo two of the seed's steps with `ip`: take `h6902` off the bridge and delete the
    container's default route.
    """),
    Cmd("ip link set h6902 nomaster"),
    Cmd("ip -n container route del default"),
    p("""
    The lab is broken: with its veth off the bridge, neither the container nor the node gets a
    reply. `topo check` says so and exits 1:
    """),
    Cmd(f"topo check {L3}", rc=1),
    p("""
    `topo plan` compares the file with the kernel, names both changes and exits 2. It never
    changes anything, so it can run as a drift check (`topo plan FILE --json` for CI):
    """),
    Cmd(f"topo plan {L3}", rc=2),
    p("""
    `topo apply` makes exactly those two changes, and nothing else:
    """),
    Cmd(f"topo apply {L3}"),
    Cmd(f"topo check {L3}"),
    Cmd(f"topo plan {L3}", rc=0),
    Cmd(f"topo destroy {L3}"),
    Cmd("ip link"),
    p("""
    **What to notice**

    - Each line of the seed's recipe has its place in the file; topo runs them in a safe order
      (namespace, bridge, veth, addresses, routes) and verifies the result.
    - The repair touched only what drifted: `~` the bridge port, `+` the route.
    - After `destroy` the root namespace has only `lo` again: the bridge and the veth are gone.
    """),

    # ---------------------------------------------------------------------------------- lesson 4
    p(f"""
    ## 4. kindnet: /32 addresses and one route per pod

    **The seed** (`001_8cefdbc16a9e893a.txt`, "Look at Existing veth Pairs"): on a kind worker
    every pod is a network namespace (`cni-...`) joined to the node by a veth pair. There is no
    bridge: every host-side veth carries the same address `10.244.3.1/32`, and the node has one
    route per pod, `10.244.3.x dev vethX`. Pods reach each other through the node's routing.

    **The lab** (`{L4}`): three pods `cni-pod-a`..`c`, each with a `/32` address and a default
    route to `10.244.3.1` `onlink` on `eth0` (there is no subnet to find the gateway in); three
    host-side ends each with `10.244.3.1/32`; three node routes; `net.ipv4.ip_forward=1` on the
    node. The file uses Jinja2 loops to write the three pods (lesson 7 is about templates).
    """),
    *lesson_lab(L4),
    Cmd(f"topo apply -q {L4}"),
    Cmd(f"topo show {L4}"),
    p("""
    The node's view, with the seed's own `grep`:
    """),
    Cmd("ip address | grep 'inet 10.244'"),
    Cmd("ip route"),
    Cmd("sysctl net.ipv4.ip_forward"),
    p("""
    And a pod's view:
    """),
    Cmd("topo exec cni-pod-a -- ip address show eth0"),
    Cmd("topo exec cni-pod-a -- ip route"),
    Cmd("topo exec cni-pod-a -- ping -c1 10.244.3.3"),
    Cmd(f"topo check {L4}"),
    Cmd(f"topo destroy {L4}"),
    Cmd("sysctl net.ipv4.ip_forward"),
    p("""
    **What to notice**

    - Three interfaces with the same `10.244.3.1/32`: an address on a veth does not make a subnet;
      the `/32` routes (`proto 151`, added by topo) decide which veth leads to which pod.
    - The pod has no subnet route at all, only `default via 10.244.3.1 dev eth0 onlink`.
    - The ping's `ttl=63`: the packet went through the node, which routed it (one hop). On a
      bridge (lessons 3, 5) the TTL stays 64.
    - `destroy` puts `net.ipv4.ip_forward` back to the value it had before the first apply (the
      plan of `destroy` counts it as `1 to change`).
    """),

    # ---------------------------------------------------------------------------------- lesson 5
    p(f"""
    ## 5. flannel: pods on the cni0 bridge, MTU 1450

    **The seed** (`002_71c6d47a9dabefbb.txt`, "Interpod communication"): with flannel, every
    pod's `eth0` is one end of a veth pair whose host end is a port of the bridge `cni0`; `cni0`
    has the gateway `10.42.0.1/24`, and everything has MTU 1450 (flannel keeps 50 bytes for its
    VXLAN header). The node has the route `10.42.0.0/24 dev cni0` and learns the pods' MACs in its
    neighbour table.

    **The lab** (`{L5}`): the seed's three pods with their addresses (`.106`, `.182`, `.7`) and
    the seed's veth names.
    """),
    *lesson_lab(L5),
    Cmd(f"topo apply -q {L5}"),
    Cmd(f"topo show {L5}"),
    Cmd("ip link show master cni0"),
    Cmd("ip route"),
    Cmd("topo exec pod-a -- ip address show eth0"),
    Cmd("topo exec pod-a -- ping -c1 10.42.0.7"),
    p("""
    MTU 1450 means 1450-byte IP packets: 1422 bytes of ping data + 8 (ICMP) + 20 (IP). With
    fragmentation forbidden (`-M do`) that fits, one byte more does not:
    """),
    Cmd("topo exec pod-a -- ping -c1 -M do -s 1422 10.42.0.7"),
    Cmd("topo exec pod-a -- ping -c1 -M do -s 1423 10.42.0.7", rc=1),
    p("""
    The node reaches the pods through its address on the bridge, and learns their MACs, as in the
    seed's `ip neigh show`:
    """),
    Cmd("ping -c1 10.42.0.182"),
    Cmd("ip neigh show dev cni0"),
    p("""
    `topo show` lists those neighbours too (the node's on the lab's bridge, and each pod's, learnt
    by the pings), with every namespace's routes:
    """),
    Cmd(f"topo show {L5}"),
    Cmd(f"topo check {L5}"),
    p("""
    `topo ui FILE` serves a live page of the lab (at the printed URL, on 127.0.0.1 only). Here is
    what it shows when pod-a's `eth0` is turned down behind topo's back (`ip -n pod-a link set
    eth0 down`): the link, the interface and the plan's lines in red, within a second. Each
    interface's `pcap 10 s` link downloads a capture of it.

    ![drift on the live page](ui-drift.png)
    """),
    Cmd(f"topo destroy {L5}"),
    p("""
    **What to notice**

    - `ip link show master cni0` lists the three host ends, each `mtu 1450 ... master cni0`, with
      `link-netns` naming the pod at the other end: the seed's `veth3b27737c@if3 ... master cni0`.
    - `10.42.0.0/24 dev cni0 proto kernel scope link src 10.42.0.1` is the seed's route, made by
      the kernel from the bridge's address.
    - `ping: local error: message too long, mtu=1450`: the pod itself refuses a packet larger than
      its MTU.
    """),

    # ---------------------------------------------------------------------------------- lesson 6
    p(f"""
    ## 6. Node to pod, pod to pod, and names

    **The seed** (`004_9739dfc6fc4d0a77.txt`, "Networking Basics"): from inside a pod, from
    another pod and from the node itself (`minikube ssh`, then `curl`), a pod's web server is
    reachable by its IP address; names come from the Kubernetes-managed hosts file (the seed's
    cluster DNS, kube-dns, is beyond a lab: topo writes hosts files instead).

    **The lab** (`{L6}`): `pod-httpd` and `pod-nginx`, each running a web server on its own
    address, on the bridge `br-minikube`; each pod's hosts file names both pods, and the node's
    `/etc/hosts` gets a marked block with both names (top-level `hosts:`).
    """),
    *lesson_lab(L6),
    Cmd(f"topo apply -q {L6}"),
    Cmd(f"topo show {L6}"),
    p("""
    The node's `/etc/hosts`: the lines that were there stay as they are, topo's entries are in a
    block of their own (in your sandbox the file starts as a copy of your machine's, so you will
    see your own lines above the block):
    """),
    Cmd("cat /etc/hosts"),
    Cmd("topo exec pod-httpd -- cat /etc/hosts"),
    Cmd("topo exec pod-httpd -- getent hosts pod-nginx"),
    Wait("curl -s -o /dev/null http://172.30.0.6/"),
    Wait("curl -s -o /dev/null http://172.30.0.7/"),
    p("""
    Node to pod, by name (the seed's `curl` from the minikube node), then pod to pod:
    """),
    Cmd("ping -c1 pod-nginx"),
    Cmd("curl -sI http://pod-httpd/ | head -n1"),
    Cmd("topo exec pod-httpd -- curl -sI http://pod-nginx/ | head -n1"),
    Cmd(f"topo check {L6}"),
    Cmd(f"topo destroy {L6}"),
    Cmd("cat /etc/hosts"),
    p("""
    **What to notice**

    - The same name works from the node and from the pods, but through different files: the
      node's `/etc/hosts` block, and each pod's `/etc/netns/POD/hosts`.
    - After `destroy`, `/etc/hosts` is exactly what it was before the first apply.
    """),

    # ---------------------------------------------------------------------------------- lesson 7
    p(f"""
    ## 7. A templated lab: N pods from one variable

    **The lesson**: the seeds' pods all look alike (an address, a default route, a hosts file
    naming the pod, a veth to `cni0`). Writing them by hand does not scale; the file is a Jinja2
    template, and its `vars:` can be set from the command line.

    **The lab** (`{L7}`): `pods` pods (3 unless told otherwise) on `cni0`, MTU 1450, `pod-i` at
    `10.88.0.(10+i)`. Every command that reads the file takes the same `--var pods=5`.
    """),
    Cmd(f"grep -v '^#' {L7}", fence="yaml"),
    p("""
    `topo render` shows the YAML the template produces; here the part for `pod-5`:
    """),
    Cmd(f"topo render {L7} --var pods=5 | grep -A3 '^  pod-5:'"),
    Cmd(f"topo validate {L7} --var pods=5"),
    p("""
    Validation sees the rendered file, so a variable that makes no sense is caught before
    anything is built. With 246 pods the last address would be `10.88.0.256`; the line numbers
    count lines of the rendered YAML (`topo render ... | sed -n 1245p` shows the line):
    """),
    Cmd(f"topo validate {L7} --var pods=246", rc=1),
    Cmd(f"topo graph {L7} --var pods=5", fence="mermaid"),
    Cmd(f"topo plan -q {L7} --var pods=5", rc=2),
    Cmd(f"topo apply -q {L7} --var pods=5"),
    Cmd(f"topo show {L7} --var pods=5"),
    Cmd("ip netns list"),
    Cmd("topo exec pod-5 -- ping -c1 10.88.0.11"),
    Cmd("topo exec pod-3 -- getent hosts pod-3"),
    Cmd(f"topo check {L7} --var pods=5"),
    p("""
    The variables are part of the desired state. Forget `--var pods=5` and the file means 3 pods:
    `topo plan` would delete pods 4 and 5 (and exits 2):
    """),
    Cmd(f"topo plan {L7}", rc=2),
    p("""
    `topo destroy --lab NAME` removes a lab by its name, without the file or its variables:
    topo keeps a record of what it created in `/var/lib/topo/labs/`.
    """),
    Cmd("topo destroy --lab templated-pods"),
    Cmd("ip netns list"),
    p("""
    **What to notice**

    - `--var NAME=VALUE` overrides the file's `vars:` (`--vars-file FILE` reads several from a
      YAML file); `topo render` is the way to see what topo will actually read.
    - A plan without the right variables is not a harmless typo: it shows deletions. Read the plan
      before `apply`.
    """),

    # ---------------------------------------------------------------------------------- lesson 8
    p(f"""
    ## 8. Across machines: the multi-node example (not run here)

    `{L8}` spreads the seeds over two Kubernetes-like nodes: each node has its own `cni0` and two
    pods; each node routes the other node's pod prefix via that node's underlay address (flannel
    host-gw or kindnet style), and a VXLAN segment (`vx-l2`, VNI 42) joins a second bridge,
    `br-l2`, on both nodes. The file names the machines under `nodes:` (`host` is where Ansible
    reaches a node, `underlay` its address between the nodes) and puts each namespace on a
    node (`node: node1`).

    Reading the file changes nothing, so validate, graph and inventory work anywhere:
    """),
    Cmd(f"topo validate {L8}"),
    Cmd(f"topo graph {L8}", fence="mermaid"),
    Cmd(f"topo inventory {L8}"),
    p(f"""
    `topo inventory` writes an Ansible inventory whose host names are the node names (`-o
    inventory.yml` writes it to a file). With it, `plan`, `apply` and `destroy` take `-i` and run
    on every node through Ansible: topo validates and renders the file here, sends each node
    its share of the lab as data with a self-contained payload of topo's engine (the nodes need
    only SSH, sudo and Python 3; nothing is installed or left on them), and runs it there; the per-node plans come back as one plan, and a failing node is named while the
    others converge (unless `--fail-fast`):

    ```sh
    topo inventory {L8} -o inventory.yml
    topo plan {L8} -i inventory.yml        # every node, in Ansible's check mode; exit 2: changes to make
    topo apply {L8} -i inventory.yml
    ssh root@192.0.2.11 /opt/topo/venv/bin/topo exec pod-1a -- ping -c1 10.244.2.2   # routed, node1 -> node2
    topo plan {L8} -i inventory.yml        # exit 0: no drift on any node
    topo destroy {L8} -i inventory.yml
    ```

    These need real machines at `192.0.2.11` and `192.0.2.12` (a documentation range), so this
    tutorial does not run them. The test suite does, on a simulated three-node bed (three network
    namespaces on an underlay bridge, each with a real sshd; `tests/testbed.py`):
    `tests/test_multinode.py` applies the example through Ansible, pings across the nodes (routed
    and over VXLAN), deletes a route on node2 and sees `plan` name it, makes one node fail, and
    checks that `destroy` leaves the nodes as they were.
    """),

    # ---------------------------------------------------------------------------------- lesson 9
    p(f"""
    ## 9. Services: a ClusterIP and a NodePort in front of two pods

    Seed 002 ends with Services: a virtual ClusterIP that kube-proxy translates, on the node, to
    one of the pods behind it. `{L9}` declares one (`services:`), with a NodePort, in front of two
    web pods that each answer with their name; their bridge ports are in hairpin mode, so a pod
    can reach itself through its own Service.
    """),
    *lesson_lab(L9),
    Cmd(f"topo apply {L9}"),
    p("""
    topo made the lab's own nftables table, as kube-proxy's nftables mode would: a verdict map
    from (ClusterIP, protocol, port) to a chain per Service port, which picks an endpoint at
    random and jumps to its chain, which DNATs to the pod:
    """),
    Cmd("nft list chain inet topo-services service-default/web/tcp/80"),
    Cmd("nft list chain inet topo-services endpoint-default/web/tcp/80/web-a"),
    p("""
    The checks prove it: 30 connections to the ClusterIP from the client pod, to the NodePort
    from the node, and from web-a to its own Service are each answered by both pods:
    """),
    Cmd(f"topo check {L9}"),
    p("""
    On the live page (`topo ui`) the Service is a box with a line to each endpoint, next to the
    processes and the last checks' results:

    ![the Services lab on the live page](ui-services.png)
    """),
    p("""
    The table is drift-checked like the rest: flush a chain behind topo's back and `plan` names
    it; `apply` sets only that chain again.
    """),
    Cmd("nft flush chain inet topo-services service-default/web/tcp/80"),
    Cmd(f"topo plan {L9}", rc=2),
    Cmd(f"topo apply {L9}"),
    Cmd(f"topo destroy {L9}"),
    Cmd("nft list ruleset"),

    # ---------------------------------------------------------------------------------- lesson 10
    p(f"""
    ## 10. The cluster DNS

    Seed 004 ends with kube-dns: every pod's `/etc/resolv.conf` points at the cluster DNS, whose
    search list finds a Service by its short name. `{L10}` turns it on with `dns:`: topo runs a
    DNS server (dnsmasq) in the `coredns` pod behind a `kube-dns` Service at 10.96.0.10 and
    writes each other pod's resolv.conf as kubelet does.
    """),
    Cmd(f"grep -v '^#' {L10}", fence="yaml"),
    Cmd(f"topo apply {L10}"),
    Wait("ip netns exec client getent hosts web"),
    Cmd("topo exec client -- cat /etc/resolv.conf"),
    Cmd("topo exec client -- getent hosts web"),
    Cmd("topo exec client -- getent hosts web.default.svc.cluster.local"),
    p("""
    A name that is not the lab's is refused at once: the server knows only the lab's Services and
    hosts entries, and never asks anyone else.
    """),
    Cmd("topo exec client -- getent hosts example.com", rc=2),
    Cmd(f"topo check {L10}"),
    Cmd(f"topo destroy {L10}"),

    # ---------------------------------------------------------------------------------- lesson 11
    p(f"""
    ## 11. A network policy

    `{L11}` selects the web pod with a NetworkPolicy-style `policies:` entry: it accepts only
    pods labelled `role: frontend`, on port 8080. Pods no policy selects stay open; replies of
    allowed connections pass.
    """),
    Cmd(f"grep -v '^#' {L11}", fence="yaml"),
    Cmd(f"topo apply {L11}"),
    Cmd(f"topo check {L11}"),
    Cmd("nft list chain inet topo-network-policy ingress/web"),
    Cmd(f"topo destroy {L11}"),

    # ---------------------------------------------------------------------------------- lesson 12
    p(f"""
    ## 12. A slow, lossy link

    Impairments are declared state like the rest: `{L12}` joins two pods by a link on which each
    end sends at most 10 Mbit/s and 30% of what the server sends is lost. topo puts its own
    root qdisc on each end (one netem qdisc where the kernel has sch_netem; on a kernel without
    it, as here, `rate` is a tbf qdisc and `loss` a random drop in the lab's own nftables table,
    on the receiving side). `tools/linkmeter.py` measures the link: a bulk TCP transfer from
    the client to the server, and 1,000 pings.
    """),
    *lesson_lab(L12),
    Cmd(f"topo apply {L12}"),
    Cmd("topo exec client -- tc qdisc show dev eth0"),
    Cmd("topo exec client -- nft list ruleset"),
    Cmd("python3 tools/linkmeter.py loss client 10.70.0.2 --expect 30"),
    Cmd("python3 tools/linkmeter.py rate client server 10.70.0.2"),
    p("""
    Lost acknowledgements slow TCP down too. Take the loss away (the plan shows exactly that
    one change), and the transfer runs at the declared rate, and no ping is lost:
    """),
    Cmd(f"sed 's/, loss: 30//' {L12} > /tmp/slow.yaml"),
    Cmd("topo apply /tmp/slow.yaml"),
    Cmd("python3 tools/linkmeter.py rate client server 10.70.0.2 --expect 10mbit"),
    Cmd("python3 tools/linkmeter.py loss client 10.70.0.2 --expect 0"),
    p("""
    A qdisc changed behind topo's back is drift like any other: `plan` names it, `apply` puts
    topo's back.
    """),
    Cmd("ip netns exec client tc qdisc replace dev eth0 root tbf rate 1mbit burst 32kbit latency 400ms"),
    Cmd("topo plan /tmp/slow.yaml", rc=2),
    Cmd("topo apply /tmp/slow.yaml"),
    Cmd("topo destroy /tmp/slow.yaml"),

    # ---------------------------------------------------------------------------------- lesson 13
    p(f"""
    ## 13. Policy routing: answer on the interface the request came in on

    A multi-homed server has two uplinks, `isp-a` (eth1) and `isp-b` (eth2), and one default
    route, via isp-a. A client behind isp-b reaches the server's eth2 address, but the answer
    would leave by eth1, to an uplink that does not know the client. `{L13}` gives each uplink
    a routing table of its own (`tables:`, routes with `table:`) and a rule per source address
    (`rules:`): what the server sends from eth2's address looks up isp-b's table.
    """),
    Cmd(f"grep -v '^#' {L13}", fence="yaml"),
    Cmd(f"topo apply {L13}"),
    Cmd("ip -n server rule show"),
    Cmd("ip -n server route show table 200"),
    p("""
    From the far side of isp-b (its address 10.20.0.1), the server's eth2 answers, and the
    answer goes back by eth2:
    """),
    Cmd("topo exec isp-b -- ping -c1 -I 10.20.0.1 10.2.0.2"),
    p("""
    Rules are the lab's like its routes (marked with topo's protocol number, so that rules
    other tools made are never touched): delete one behind topo's back, and the answer is lost
    and `plan` names the rule; `apply` puts it back.
    """),
    Cmd("ip -n server rule del priority 200"),
    Cmd("topo exec isp-b -- ping -c1 -W1 -I 10.20.0.1 10.2.0.2", rc=1),
    Cmd(f"topo plan {L13}", rc=2),
    Cmd(f"topo apply {L13}"),
    Cmd(f"topo destroy {L13}"),

    # ---------------------------------------------------------------------------------- lesson 14
    p(f"""
    ## 14. Dual stack: IPv4 and IPv6 pods

    `{L14}` gives each pod an IPv4 and an IPv6 address on one bridge, a default route for each
    (`to: "::/0"` for IPv6), hosts entries for both, and a web server on a dual-stack socket.
    topo adds IPv6 addresses without duplicate address detection (`nodad`), so they are usable
    at once.
    """),
    Cmd(f"grep -v '^#' {L14}", fence="yaml"),
    Cmd(f"topo apply {L14}"),
    Cmd("topo exec pod-a -- ip -6 addr show dev eth0 scope global"),
    Cmd("topo exec pod-a -- getent ahosts pod-b"),
    Cmd("topo exec pod-a -- ping -6 -c1 pod-b"),
    Wait("topo exec pod-a -- curl -s -o /dev/null http://[fd00:70::3]:8080/"),
    Cmd(f"topo check {L14}"),
    Cmd(f"topo destroy {L14}"),

    # ---------------------------------------------------------------------------------- lesson 15
    p(f"""
    ## 15. One lab, taught in stages

    A workshop goes step by step. `{L15}` is lessons 1, 2, 3 and 5 as one lab: its top level is
    the first step (the base), and each entry of `stages:` adds, changes or removes objects of
    the step before it, with checks of its own. `topo stages` lists them; the one the lab is at
    is marked with `*`.
    """),
    Cmd(f"sed -n '/^stages:/,$p' {L15}", fence="yaml"),
    Cmd(f"topo stages {L15}"),
    p("""
    `apply --stage` brings the lab to a stage from wherever it is: the plan is the difference.
    `check --stage` runs the checks of that stage's lab (the base's and those of every stage up
    to it); the checks of a later stage fail, since what they prove is not there yet:
    """),
    Cmd(f"topo apply {L15} --stage veth"),
    Cmd(f"topo stages {L15}"),
    Cmd(f"topo check {L15} --stage veth"),
    Cmd(f"topo check {L15} --stage pod-to-pod", rc=1),
    p("""
    Going back is the same: the plan removes what the later stages added, and the machine is as a
    fresh apply of the earlier stage makes it. `--reset` destroys the lab first and builds the
    stage from nothing.
    """),
    Cmd(f"topo plan {L15} --stage pause", rc=2),
    Cmd(f"topo apply {L15} --stage pause"),
    Cmd("ip link show veth-pod", rc=1),
    Cmd(f"topo apply {L15} --stage pod-to-pod --reset"),
    Cmd(f"topo check {L15} --stage pod-to-pod"),
    Cmd(f"topo destroy {L15}"),

    # ---------------------------------------------------------------------------------- about
    p("""
    ## About the outputs

    `docs/tutorial.py` runs every command above in one sandbox (`scripts/sandbox.sh`), from the
    repository's top directory, with `NO_COLOR=1`, `COLUMNS=100` and `LC_ALL=C.UTF-8`; stdout and
    stderr are shown together. The sandbox's `/etc/hosts` starts with the two `localhost` lines
    you see in lesson 6. Where a server a lab started may not listen yet, the generator waits for
    it before the `curl` (that wait is not shown). The parts of the outputs that differ from run
    to run are replaced, so that a new run gives the same file:
    """),
]

DOC.append(P("| shown as | stands for |\n|---|---|\n" + "\n".join(f"| {shown} | {what} |" for _, _, row in NORMALISATIONS if row for shown, what in [row])
             + "\n\nTrailing spaces at the ends of lines and blank lines at the end of an output are dropped. "
             "Regenerate this file with `sudo .venv/bin/python docs/tutorial.py`; with `--check` it exits 1 and "
             "shows a diff when the file no longer matches what topo prints."))


# ---------------------------------------------------------------------------------------------
# the sandbox

class Sandbox:
    """One `scripts/sandbox.sh --hold`; commands enter its namespaces with nsenter."""

    def __init__(self, workdir: Path) -> None:
        hosts = workdir / "hosts"
        hosts.write_text(HOSTS_SEED)
        self.proc = subprocess.Popen([str(SANDBOX), "--hold"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, start_new_session=True,
                                     env={**ENV, "SANDBOX_HOSTS": str(hosts)})
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if line.strip() != "ready":
            err = self.proc.stderr.read() if self.proc.stderr else ""
            self.close()
            raise SystemExit(f"tutorial: the sandbox did not start ({line.strip()!r}): {err.strip()}")
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        self.pid = int(children[0])

    def run(self, cmd: str, timeout: float = 120) -> tuple[int, str]:
        argv = ["nsenter", "-t", str(self.pid), "--net", "--mount", "--pid", f"--wd={REPO}", "--", "bash", "-c", cmd]
        res = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=ENV, cwd=REPO,
                             timeout=timeout, stdin=subprocess.DEVNULL)
        return res.returncode, res.stdout

    def close(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


class StepFailed(Exception):
    pass


def _show_status(c: Cmd) -> bool:
    if c.status is not None:
        return c.status
    return c.rc != 0 or c.cmd.startswith(("topo plan", "topo check"))


def generate(log=None) -> tuple[str, int]:
    """Run every command in a fresh sandbox; return (markdown, number of commands run)."""
    parts: list[str] = []
    count = 0
    with tempfile.TemporaryDirectory(prefix="topo-tutorial-") as tmp:
        box = Sandbox(Path(tmp))
        try:
            for block in DOC:
                if isinstance(block, P):
                    parts.append(block.text)
                    continue
                if isinstance(block, Wait):
                    deadline = time.monotonic() + block.timeout
                    while (rc := box.run(block.cmd)[0]) != 0:
                        if time.monotonic() > deadline:
                            raise StepFailed(f"waited {block.timeout}s, still failing (exit {rc}): {block.cmd}")
                        time.sleep(0.05)
                    continue
                count += 1
                t0 = time.monotonic()
                rc, out = box.run(block.cmd)
                if log:
                    log(f"[{rc}] {time.monotonic() - t0:5.2f}s $ {block.cmd}")
                if rc != block.rc:
                    raise StepFailed(f"`{block.cmd}` exited {rc}, the tutorial expects {block.rc}; its output:\n{out}")
                out = normalise(out)
                if block.fence:
                    parts.append(f"```console\n$ {block.cmd}\n```\n\n```{block.fence}\n{out}\n```")
                    continue
                lines = [f"$ {block.cmd}"] + ([out] if out else [])
                if _show_status(block):
                    lines += ["$ echo $?", str(rc)]
                parts.append("```console\n" + "\n".join(lines) + "\n```")
        finally:
            box.close()
    return "\n\n".join(parts) + "\n", count


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="exit 1 with a diff when docs/tutorial.md differs from a fresh run")
    mode.add_argument("--stdout", action="store_true", help="print the tutorial instead of writing docs/tutorial.md")
    ap.add_argument("-v", "--verbose", action="store_true", help="print each command and its exit status as it runs")
    args = ap.parse_args(argv)
    if os.geteuid() != 0:
        print("tutorial: needs root (it runs the labs in a sandbox: sudo .venv/bin/python docs/tutorial.py)", file=sys.stderr)
        return 1
    start = time.monotonic()
    log = (lambda msg: print(msg, file=sys.stderr)) if args.verbose else None
    try:
        text, count = generate(log)
    except StepFailed as e:
        print(f"tutorial: {e}", file=sys.stderr)
        return 1
    took = f"{count} commands in {time.monotonic() - start:.1f}s"
    rel = OUT.relative_to(REPO)
    if args.stdout:
        sys.stdout.write(text)
        return 0
    if args.check:
        old = OUT.read_text() if OUT.exists() else ""
        if old == text:
            print(f"{rel} is up to date ({took})")
            return 0
        sys.stdout.writelines(difflib.unified_diff(old.splitlines(keepends=True), text.splitlines(keepends=True),
                                                   f"{rel} (committed)", f"{rel} (fresh run)"))
        print(f"\n{rel} differs from a fresh run ({took}): run `python docs/tutorial.py` and review the diff", file=sys.stderr)
        return 1
    OUT.write_text(text)
    print(f"wrote {rel} ({took})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
