"""The filesystem roots topo works under on a node, made once by an entry point and passed down.

Nothing in the library reads them from the environment: the CLI makes a `Roots` with
`Roots.from_environ(os.environ)` at the top of each command that touches the node and hands
it to the engine, which hands it to the namespace pool (`pool.roots`), the live reader, the
executor's steps and the record, lock, hosts file and process code.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Mapping

from .diagnostics import TopoError

ENVIRONMENT = {
    "state": ("TOPO_STATE_DIR", "/var/lib/topo"),
    "etc_netns": ("TOPO_ETC_NETNS", "/etc/netns"),
    "etc_hosts": ("TOPO_ETC_HOSTS", "/etc/hosts"),
    "run_dir": ("TOPO_RUN_DIR", "/run/topo"),
    "netns_run": ("TOPO_NETNS_DIR", "/run/netns"),
}
"""Each root: the environment variable that may move it (tests, a sandbox) and its default."""


def _absolute(value: Path, what: str) -> Path:
    if not value.is_absolute():
        raise TopoError(f"error: {what} must be an absolute path, not {str(value)!r}")
    return value


@dataclass(frozen=True)
class Roots:
    state: Path  # records, checkpoints, process records and logs (/var/lib/topo)
    etc_netns: Path  # namespaces' own hosts files, ETC_NETNS/NS/hosts (/etc/netns)
    etc_hosts: Path  # the node's hosts file with the labs' blocks (/etc/hosts)
    run_dir: Path  # the node lock (/run/topo)
    netns_run: Path  # pinned namespaces, as iproute2 keeps them (/run/netns)

    def __post_init__(self) -> None:
        for f in fields(self):
            _absolute(getattr(self, f.name), f"the {f.name} root")

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> "Roots":
        """The roots the TOPO_* variables of `environ` name, the system's paths for the others;
        a TopoError names a variable that is not an absolute path."""
        return cls(**{name: _absolute(Path(environ.get(var, default)), var) for name, (var, default) in ENVIRONMENT.items()})
