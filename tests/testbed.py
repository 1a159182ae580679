"""A simulated multi-node test bed for the Ansible tests, built inside one Sandbox.

    controller (the sandbox's root netns)         underlay0 192.0.2.1/24 (a bridge)
      |-- tb-node1 (veth) -- node1: eth0 192.0.2.11/24, sshd on 192.0.2.11:22
      |-- tb-node2 (veth) -- node2: eth0 192.0.2.12/24, sshd on 192.0.2.12:22
      `-- tb-node3 (veth) -- node3: eth0 192.0.2.13/24, sshd on 192.0.2.13:22

Each node is one process tree: `nsenter --net=/run/netns/tb-nodeN` + `unshare --pid --fork
--kill-child --mount --uts --mount-proc`, whose PID 1 is a real `/usr/sbin/sshd -D`. The node has

- its own network stack (the netns `tb-nodeN` in the sandbox's private /run/netns): that is "the
  node's machine" for topo, which creates its namespaces and bridges there;
- its own mount namespace with private tmpfs mounts over /run/netns, /etc/netns, /var/lib/topo,
  /run/topo, /opt/topo and /run/sshd, a private /etc/hosts (a bind mount of NODE_DIR/hosts), and
  /sys and /proc remounted for its own netns and PID namespace;
- its own hostname (UTS namespace) and PID namespace: killing the node's sshd (PID 1) ends every
  process that was started on the node, so nothing outlives `stop()`.

Everything sshd spawns inherits all of that, so `topo` run over ssh on node1 sees node1's
/run/netns and /etc/hosts only. Root logs in with a generated ed25519 key only (no PAM, no
passwords); host keys, authorized_keys, configs, pid files and logs are in the work directory.
Host keys are pinned: the bed writes WORKDIR/known_hosts from the nodes' generated host keys,
and both `ssh()` and Ansible (the inventory's ansible_ssh_common_args) check every node
against it (StrictHostKeyChecking=yes); host-key checking stays on in ansible.cfg.

Nothing here touches the machine's network: the bridge, veths and namespaces live in the
sandbox. The traces on the real filesystem are the empty mount points /opt/topo and /run/sshd
(created if missing: /opt itself must stay visible, pip's find-links live there) and, while
the bed runs, a short /tmp/topo-tb-* directory for ssh control sockets.

Start-up takes ~0.2 s for three nodes. `ssh()` shares one connection per node (~10 ms a call
after the first, ~130 ms); node processes get SIGKILL if the test process dies, so a crashed
pytest leaves no sshd behind. Commands over ssh do not source the real machine's ~/.bashrc
(sshd sets SHLVL=1): PATH on a node is sshd's default, python3 is /usr/bin/python3.
"""

from __future__ import annotations

import ctypes
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from sandbox import VENV_BIN, Sandbox

SUBNET_PREFIX = "192.0.2."
CONTROLLER_IP = SUBNET_PREFIX + "1"
PREFIXLEN = 24
BRIDGE = "underlay0"
SSHD = "/usr/sbin/sshd"
PYTHON = "/usr/bin/python3"
# Directories that are private tmpfs mounts on every node.
PRIVATE_DIRS = ("/run/netns", "/etc/netns", "/var/lib/topo", "/run/topo", "/opt/topo", "/run/sshd")
START_TIMEOUT = 10.0  # seconds for every sshd to answer

# Runs in the sandbox: waits (bounded) until every sshd sends its banner; fails at once if a
# node's process died. argv: deadline-seconds ip:pid ...
_WAIT_SCRIPT = r"""
import socket, sys, time
deadline = time.monotonic() + float(sys.argv[1])
pending = dict(a.split(":") for a in sys.argv[2:])
def dead(pid):
    if pid == "0":
        return False  # not known here: the caller watches the node processes
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in "ZX"
    except OSError:
        return True
while pending:
    for ip, pid in list(pending.items()):
        if dead(pid):
            print(f"{ip}: node process {pid} died"); sys.exit(1)
        try:
            with socket.create_connection((ip, 22), timeout=0.5) as s:
                s.settimeout(1.0)
                if s.recv(64).startswith(b"SSH-"):
                    del pending[ip]
        except OSError:
            pass
    if not pending:
        break
    if time.monotonic() > deadline:
        print("no sshd banner from " + " ".join(pending)); sys.exit(1)
    time.sleep(0.02)
"""


def _die_with_parent() -> None:
    """In the child before exec: SIGKILL when the test process dies (kept across nsenter's and
    unshare's exec), so a crashed or killed pytest does not leave nodes running."""
    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _kill(pid: int, *, group: bool = False) -> None:
    try:
        (os.killpg if group else os.kill)(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@dataclass
class Node:
    name: str  # node1
    index: int  # 1
    ip: str  # 192.0.2.11
    netns: str  # tb-node1: the node's network namespace, in the sandbox's /run/netns
    dir: Path  # the node's files: sshd_config, host key, hosts, sshd.pid, sshd.log
    proc: subprocess.Popen[bytes] | None = None

    @property
    def hosts_file(self) -> Path:
        """The file bind-mounted over the node's /etc/hosts."""
        return self.dir / "hosts"

    @property
    def log(self) -> Path:
        return self.dir / "sshd.log"


@dataclass
class Testbed:
    __test__ = False  # not a pytest test class
    sandbox: Sandbox
    workdir: Path
    n: int = 3
    nodes: list[Node] = field(default_factory=list, init=False)
    key_path: Path = field(init=False)
    control_dir: Path | None = field(default=None, init=False)  # ssh control sockets (a short path)
    startup_seconds: float = field(default=0.0, init=False)

    def __post_init__(self) -> None:
        if not 1 <= self.n <= 50:
            raise ValueError("a test bed has 1 to 50 nodes")
        self.workdir = Path(self.workdir).resolve()
        self.key_path = self.workdir / "id_ed25519"
        self.nodes = [Node(name=f"node{i}", index=i, ip=f"{SUBNET_PREFIX}{10 + i}", netns=f"tb-node{i}",
                           dir=self.workdir / f"node{i}") for i in range(1, self.n + 1)]

    # ---- life cycle -------------------------------------------------------------------------

    def start(self) -> "Testbed":
        t0 = time.monotonic()
        self.workdir.mkdir(parents=True, exist_ok=True)
        # Unix socket paths are limited to 107 bytes: pytest's tmp_path is too long for them.
        self.control_dir = Path(tempfile.mkdtemp(prefix="topo-tb-", dir="/tmp"))
        try:
            for node in self.nodes:
                node.dir.mkdir(exist_ok=True)
                (node.dir / "ansible-tmp").mkdir(exist_ok=True)
            self._keys()
            self.write_known_hosts(self.known_hosts_path())
            self._files()
            self.sandbox.run(["sh", "-ec", self._network_script()])
            for node in self.nodes:
                self._spawn(node)
            self._wait()
        except BaseException:
            self.stop()
            raise
        self.write_inventory(self.inventory_path())
        self._write_ansible_cfg()
        self.startup_seconds = time.monotonic() - t0
        return self

    def stop(self) -> None:
        """Kills every node: its sshd is PID 1 of the node's PID namespace, so everything that
        was started on the node (ssh sessions, commands) dies with it."""
        for node in self.nodes:
            proc = node.proc
            if proc is None:
                continue
            if proc.poll() is None:
                # Kill the node's PID 1 (sshd, unshare's child) first: its exit waits until the
                # kernel has ended every process of the node, and unshare exits after it, so once
                # wait() returns nothing of the node runs any more.
                for child in _children(proc.pid):
                    _kill(child)
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    pass
                _kill(proc.pid, group=True)  # unshare itself (or nsenter if it never got further)
                proc.wait(timeout=10)
            node.proc = None
        # The ssh masters (ControlPersist) have exited: their connections died with the nodes.
        if self.control_dir is not None:
            shutil.rmtree(self.control_dir, ignore_errors=True)
            self.control_dir = None

    def __enter__(self) -> "Testbed":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- access ---------------------------------------------------------------------------

    def node(self, name: str | Node) -> Node:
        if isinstance(name, Node):
            return name
        for node in self.nodes:
            if node.name == name:
                return node
        raise KeyError(name)

    def ssh_argv(self, node: str | Node, *, multiplex: bool = True) -> list[str]:
        """The ssh client command line (to run in the sandbox) that logs in to `node` as root;
        the command follows. With `multiplex`, calls share one connection per node (a master
        that ends with the node), which makes a call ~10 ms instead of ~150 ms."""
        target = self.node(node)
        mux = ["-o", "ControlMaster=no", "-o", "ControlPath=none"]
        if multiplex and self.control_dir is not None:
            mux = ["-o", "ControlMaster=auto", "-o", f"ControlPath={self.control_dir}/%C", "-o", "ControlPersist=120"]
        return ["ssh", "-F", "/dev/null", "-i", str(self.key_path), *self.ssh_opts(), *mux,
                "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none",
                "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=5", f"root@{target.ip}", "--"]

    def ssh(self, node: str | Node, command: str | list[str], *, check: bool = True, timeout: float = 120,
            input: str | None = None) -> subprocess.CompletedProcess[str]:
        """Runs `command` on `node` over real SSH (the client runs in the sandbox). A list is
        quoted for the remote shell; a string is passed to it as it is."""
        remote = command if isinstance(command, str) else shlex.join(command)
        return self.sandbox.run([*self.ssh_argv(node), remote], check=check, timeout=timeout, input=input)

    # ---- faults (seen and done from the test process: node processes are in its /proc) ---

    def pid1(self, node: str | Node) -> int | None:
        """The host PID of the node's sshd (its PID 1), None when the node is not running."""
        proc = self.node(node).proc
        pid = proc.pid if proc is not None and proc.poll() is None else None
        while pid is not None:  # the sandbox's nsenter, then unshare, then the node's PID 1 (sshd)
            try:
                if Path(f"/proc/{pid}/comm").read_text().strip() == "sshd":
                    return pid
            except OSError:
                return None
            kids = _children(pid)
            pid = kids[0] if kids else None
        return None

    def processes(self, node: str | Node) -> list[int]:
        """Host PIDs of every process running on `node` (its PID 1's descendants)."""
        first = self.pid1(node)
        found, todo = [], [first] if first else []
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo += _children(pid)
        return found

    def find_process(self, node: str | Node, *words: str, timeout: float = 60) -> int:
        """The first process on `node` whose argv contains every one of `words`, each a whole
        argument or the last component of one that is a path (the node payload runs as
        `python3 /tmp/.../ansible-tmp-*/topo-node.pyz`), waited for up to `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for pid in self.processes(node):
                try:
                    argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                except OSError:
                    continue
                names = set(argv) | {a.rsplit(b"/", 1)[-1] for a in argv}
                if all(w.encode() in names for w in words):
                    return pid
            time.sleep(0.01)
        raise TimeoutError(f"no process {' '.join(words)} on {self.node(node).name} within {timeout}s")

    def kill_ssh_sessions(self, node: str | Node, pid: int) -> list[int]:
        """SIGKILL the sshd session processes above `pid` on `node` (the listener, its PID 1, stays):
        the controller's connection dies under the running command, as when sshd dies mid-run."""
        listener, killed = self.pid1(node), []
        while pid and pid != listener:
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
            except OSError:
                break
            comm, rest = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:].split()
            if comm.startswith("sshd"):
                _kill(pid)
                killed.append(pid)
            pid = int(rest[1])
        return killed

    # ---- host keys ------------------------------------------------------------------------

    def known_hosts_path(self) -> Path:
        return self.workdir / "known_hosts"

    def host_key_line(self, node: str | Node) -> str:
        """The known_hosts line of `node`: its address and its generated host key."""
        target = self.node(node)
        kind, key = (target.dir / "ssh_host_ed25519_key.pub").read_text().split()[:2]
        return f"{target.ip} {kind} {key}\n"

    def write_known_hosts(self, path: Path, lines: dict[str, str] | None = None) -> Path:
        """A known_hosts file with every node's line (`lines` replaces some, by node name)."""
        given = lines or {}
        path.write_text("".join(given.get(n.name) or self.host_key_line(n) for n in self.nodes))
        return path

    def ssh_opts(self, known_hosts: Path | None = None) -> tuple[str, ...]:
        """Host-key checking against the bed's known_hosts (or `known_hosts`), never skipped."""
        return ("-o", f"UserKnownHostsFile={known_hosts or self.known_hosts_path()}", "-o", "StrictHostKeyChecking=yes")

    # ---- Ansible --------------------------------------------------------------------------

    def inventory_path(self) -> Path:
        return self.workdir / "inventory.yml"

    def inventory(self, known_hosts: Path | None = None) -> dict[str, object]:
        # ansible_remote_tmp: each node's own directory, not the real machine's ~/.ansible.
        hosts = {node.name: {"ansible_host": node.ip, "underlay_ip": node.ip,
                             "ansible_remote_tmp": str(node.dir / "ansible-tmp")} for node in self.nodes}
        return {"all": {
            "vars": {
                "ansible_user": "root",
                "ansible_ssh_private_key_file": str(self.key_path),
                "ansible_python_interpreter": PYTHON,
                "ansible_ssh_common_args": shlex.join(self.ssh_opts(known_hosts) + ("-o", "LogLevel=ERROR")),
                "underlay_prefixlen": PREFIXLEN,
                "controller_ip": CONTROLLER_IP,
            },
            "children": {"nodes": {"hosts": hosts}},
        }}

    def write_inventory(self, path: Path | str, inventory: dict[str, object] | None = None) -> Path:
        path = Path(path)
        path.write_text("# topo test bed (tests/testbed.py); nodes are network namespaces in a sandbox\n"
                        + yaml.safe_dump(inventory or self.inventory(), sort_keys=False))
        return path

    def ansible_env(self) -> dict[str, str]:
        """Environment for ansible/ansible-playbook run in the sandbox: its config, home, temp
        and ssh control sockets all in the work directory (nothing under ~/.ansible)."""
        return {"ANSIBLE_CONFIG": str(self.workdir / "ansible.cfg"), "ANSIBLE_HOME": str(self.workdir / "ansible-home"),
                "ANSIBLE_LOCAL_TEMP": str(self.workdir / "ansible-home" / "tmp"), "ANSIBLE_NOCOLOR": "1",
                "ANSIBLE_FORCE_COLOR": "0"}

    def ansible(self, tool: str, *args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """Runs a venv Ansible tool (`ansible`, `ansible-playbook`, ...) in the sandbox against
        the test bed's inventory."""
        argv = [str(VENV_BIN / tool), "-i", str(self.inventory_path()), *args]
        return self.sandbox.run(argv, check=check, timeout=timeout, env=self.ansible_env())

    # ---- internals ------------------------------------------------------------------------

    def _keys(self) -> None:
        """The client key and one host key per node, generated in parallel (no network)."""
        jobs = [(self.key_path, "topo-testbed-client")] + [(n.dir / "ssh_host_ed25519_key", n.name) for n in self.nodes]
        procs = []
        for path, comment in jobs:
            for stale in (path, path.with_suffix(".pub")):
                stale.unlink(missing_ok=True)
            procs.append(subprocess.Popen(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE))
        for proc, (path, _) in zip(procs, jobs):
            _, err = proc.communicate(timeout=30)
            if proc.returncode != 0:
                raise RuntimeError(f"ssh-keygen for {path} failed: {err.decode()}")
        pub = self.key_path.with_name(self.key_path.name + ".pub")
        (self.workdir / "authorized_keys").write_text(pub.read_text())

    def _files(self) -> None:
        names = "".join(f"{n.ip}\t{n.name}\n" for n in self.nodes)
        for node in self.nodes:
            node.hosts_file.write_text("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n" + names)
            (node.dir / "sshd_config").write_text(f"""\
# sshd of test bed node {node.name} (tests/testbed.py)
ListenAddress {node.ip}:22
HostKey {node.dir / 'ssh_host_ed25519_key'}
PidFile {node.dir / 'sshd.pid'}
AuthorizedKeysFile {self.workdir / 'authorized_keys'}
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
UseDNS no
PrintMotd no
PrintLastLog no
X11Forwarding no
AllowTcpForwarding no
AcceptEnv LANG LC_*
MaxSessions 20
# The post-quantum default (sntrup761) costs ~80 ms per connection here; tests open many.
KexAlgorithms curve25519-sha256,curve25519-sha256@libssh.org
MaxStartups 50
Subsystem sftp internal-sftp
# A node is a fresh machine: bash must not source the real machine's ~/.bashrc for every
# command over ssh (Debian's bash does when SSH_CLIENT is set and SHLVL < 2).
SetEnv SHLVL=1
""")

    def _network_script(self) -> str:
        # addrgenmode none: no IPv6 link-local address appearing later (stable `ip -j` snapshots).
        lines = [f"ip link add {BRIDGE} type bridge", f"ip link set {BRIDGE} addrgenmode none",
                 f"ip addr add {CONTROLLER_IP}/{PREFIXLEN} dev {BRIDGE}", f"ip link set {BRIDGE} up"]
        for node in self.nodes:
            ns = node.netns
            lines += [
                f"ip netns add {ns}",
                f"ip link add {ns} type veth peer name eth0 netns {ns}",
                f"ip link set {ns} addrgenmode none",
                f"ip link set {ns} master {BRIDGE} up",
                f"ip -n {ns} link set lo up",
                f"ip -n {ns} link set eth0 addrgenmode none",
                f"ip -n {ns} addr add {node.ip}/{PREFIXLEN} dev eth0",
                f"ip -n {ns} link set eth0 up",
            ]
        return "\n".join(lines)

    def _node_script(self, node: Node) -> str:
        """Runs as the node's first process (in its netns, new mount/UTS/PID namespaces), then
        becomes its sshd."""
        q = shlex.quote
        lines = ["set -e", f"hostname {q(node.name)}",
                 # /sys for the node's own netns (as `ip netns exec` does); /proc is already its own.
                 "umount -l /sys", "mount -t sysfs -o nosuid,nodev,noexec sysfs /sys"]
        for d in PRIVATE_DIRS:
            lines += [f"mkdir -p {d}", f"mount -t tmpfs -o mode=755 tb-{node.name} {d}"]
        lines += [f"mount --bind {q(str(node.hosts_file))} /etc/hosts",
                  f"exec {SSHD} -D -e -f {q(str(node.dir / 'sshd_config'))}"]
        return "\n".join(lines)

    def _spawn(self, node: Node) -> None:
        cmd = ["nsenter", f"--net=/run/netns/{node.netns}", "--",
               "unshare", "--pid", "--kill-child", "--mount", "--uts", "--propagation", "private", "--mount-proc",
               "--", "sh", "-c", self._node_script(node)]
        with node.log.open("wb") as log:
            # nsenter and unshare exec, so proc.pid is `unshare`, which waits for the node's PID 1
            # (sshd) and kills it (--kill-child) when it dies itself.
            node.proc = subprocess.Popen(self.sandbox.argv(cmd), stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_die_with_parent)

    def _wait(self) -> None:
        # the banner check runs in the sandbox (its network); whether a node's process died is
        # seen from here (the sandbox has its own PID namespace and /proc)
        pairs = [f"{n.ip}:0" for n in self.nodes if n.proc is not None]
        waiter = self.sandbox.popen([sys.executable, "-c", _WAIT_SCRIPT, str(START_TIMEOUT), *pairs])
        died = None
        deadline = time.monotonic() + START_TIMEOUT + 20
        while waiter.poll() is None and time.monotonic() < deadline:
            died = next((n for n in self.nodes if n.proc is not None and n.proc.poll() is not None), None)
            if died is not None:
                waiter.kill()
                break
            time.sleep(0.02)
        out, err = waiter.communicate(timeout=10)
        if died is not None or waiter.returncode != 0:
            logs = "\n".join(f"--- {n.name} sshd.log:\n{n.log.read_text(errors='replace')}" for n in self.nodes)
            what = f"{died.ip}: node process {died.proc.pid} died" if died is not None and died.proc else out + err
            raise RuntimeError(f"test bed did not start: {what}\n{logs}")

    def _write_ansible_cfg(self) -> None:
        home = self.workdir / "ansible-home"
        (home / "tmp").mkdir(parents=True, exist_ok=True)
        (self.workdir / "ansible.cfg").write_text(f"""\
[defaults]
inventory = {self.inventory_path()}
host_key_checking = True
interpreter_python = {PYTHON}
local_tmp = {home / 'tmp'}
forks = 10
retry_files_enabled = False

[ssh_connection]
pipelining = True
control_path_dir = {self.control_dir}/a
ssh_args = -o ControlMaster=auto -o ControlPersist=60s -o IdentitiesOnly=yes -o IdentityAgent=none
""")
