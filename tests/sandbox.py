"""A private machine for one test: fresh network + mount namespaces (scripts/sandbox.sh).

A holder process (`scripts/sandbox.sh --hold`) owns the namespaces; inside them /run/netns,
/etc/netns, /var/lib/topo and /run/topo are private tmpfs mounts, and /etc/hosts and
/etc/resolv.conf are private copies. Commands run in it with `nsenter`. Nothing touches the
host's interfaces, namespaces or /etc/hosts, and everything vanishes when the holder dies.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
TOPO = str(VENV_BIN / "topo")

HOSTS_SEED = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n# a user's own line\n192.0.2.99\tusers-own-host\n"

SANDBOX_SCRIPT = REPO / "scripts" / "sandbox.sh"


@dataclass
class Sandbox:
    workdir: Path
    overlay: bool = False  # /etc, /var, /run and /tmp under private overlays (see `written`)
    hosts_file: Path = field(init=False)
    proc: subprocess.Popen[str] | None = field(default=None, init=False)
    _inner: int | None = field(default=None, init=False)

    def start(self) -> "Sandbox":
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.hosts_file = self.workdir / "etc-hosts"
        self.hosts_file.write_text(HOSTS_SEED)
        self.proc = subprocess.Popen(
            [str(SANDBOX_SCRIPT), "--hold"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
            env={**os.environ, "SANDBOX_HOSTS": str(self.hosts_file), "SANDBOX_OVERLAY": "1" if self.overlay else ""},
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if line.strip() != "ready":
            err = self.proc.stderr.read() if self.proc.stderr else ""
            raise RuntimeError(f"sandbox did not start: {line!r} {err}")
        return self

    @property
    def pid(self) -> int:
        """The sandbox's PID 1 (unshare's child), whose namespaces commands enter."""
        assert self.proc is not None
        if self._inner is None:
            children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
            self._inner = int(children[0])
        return self._inner

    def argv(self, cmd: list[str]) -> list[str]:
        return ["nsenter", "-t", str(self.pid), "--net", "--mount", "--pid", f"--wd={REPO}", "--", *cmd]

    def run(self, cmd: list[str] | str, *, check: bool = True, timeout: float = 120, env: dict[str, str] | None = None,
            input: str | None = None) -> subprocess.CompletedProcess[str]:
        argv = shlex.split(cmd) if isinstance(cmd, str) else cmd
        full_env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200", **(env or {})}
        res = subprocess.run(self.argv(argv), capture_output=True, text=True, timeout=timeout, env=full_env,
                             cwd=REPO, input=input)
        if check and res.returncode != 0:
            raise AssertionError(f"{argv} exited {res.returncode}\nstdout:\n{res.stdout}\nstderr:\n{res.stderr}")
        return res

    def popen(self, cmd: list[str]) -> subprocess.Popen[str]:
        return subprocess.Popen(self.argv(cmd), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                cwd=REPO, start_new_session=True)

    def topo(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return self.run([TOPO, *args], check=check, timeout=timeout)

    def ip_json(self, *args: str, netns: str | None = None) -> Any:
        cmd = ["ip", "-j"] + (["-n", netns] if netns else []) + list(args)
        out = self.run(cmd).stdout
        return json.loads(out) if out.strip() else []

    def snapshot(self) -> dict[str, Any]:
        """Everything destroy must restore: links, addresses, routes, namespaces, hosts files."""
        def strip(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [{k: v for k, v in i.items() if k not in ("stats", "stats64")} for i in items]

        etc_netns = self.run(["sh", "-c", "cd /etc/netns && find . | sort"]).stdout
        return {
            "links": strip(self.ip_json("link", "show")),
            "addrs": strip(self.ip_json("addr", "show")),
            "routes4": self.ip_json("-4", "route", "show", "table", "all"),
            "routes6": self.ip_json("-6", "route", "show", "table", "all"),
            "netns": self.run(["ls", "-A", "/run/netns"]).stdout,
            "etc_netns": etc_netns,
            "hosts": self.run(["cat", "/etc/hosts"]).stdout,
        }

    def written(self) -> dict[str, tuple[str, int, str]]:
        """With `overlay`: every file, directory or link written under /etc, /var, /run and /tmp
        outside the mounts of the sandbox's own (topo's roots), as path -> (type, size, digest)."""
        assert self.overlay, "a sandbox without overlays cannot tell what was written"
        script = (
            "import hashlib, os, stat, json\n"
            "out = {}\n"
            "for top in ('etc', 'var', 'run', 'tmp'):\n"
            "    base = f'/dev/shm/overlay/{top}/upper'\n"
            "    for root, dirs, files in os.walk(base):\n"
            "        for n in dirs + files:\n"
            "            p = os.path.join(root, n)\n"
            "            st = os.lstat(p)\n"
            "            kind = 'l' if stat.S_ISLNK(st.st_mode) else 'd' if stat.S_ISDIR(st.st_mode) else 'f'\n"
            "            digest = hashlib.sha256(open(p, 'rb').read()).hexdigest() if kind == 'f' and stat.S_ISREG(st.st_mode) else os.readlink(p) if kind == 'l' else ''\n"
            "            out['/' + top + p[len(base):]] = (kind, st.st_size if kind == 'f' else 0, digest)\n"
            "print(json.dumps(out))\n")
        return {k: tuple(v) for k, v in json.loads(self.run(["python3", "-c", script]).stdout).items()}

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.proc = None
        self._inner = None
