"""Prepares `ansible-test sanity` for the topo.lab collection at setup time, so that the test
(tests/test_collection.py) needs no network: ansible-test runs every sanity test in a virtual
environment of its own, made under ~/.ansible/test/venv and pip-installed from its pinned
requirements. Here, with HOME set to ANSIBLE_TEST_HOME (inside .venv, never the user's home),
`ansible-test sanity --prime-venvs` makes those environments once, from PyPI; pip's own
bootstrap script (which ansible-test downloads from elsewhere) is replaced by get_pip.py, which
installs pip from the pip wheel fetched from PyPI.

    .venv/bin/python tests/ansible_sanity/prime.py      # scripts/setup.sh runs it
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ANSIBLE_TEST_HOME = REPO / ".venv" / "ansible-test-home"
COLLECTION = REPO / "provisioner" / "ansible_collections" / "topo" / "lab"
PIP_VERSION = "24.2"  # ansible-core 2.19's ansible-test bootstraps this pip (python_requirements.py)


def python_version() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def env() -> dict[str, str]:
    venv_bin = str(Path(sys.executable).parent)
    return {**os.environ, "HOME": str(ANSIBLE_TEST_HOME), "PATH": f"{venv_bin}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            "ANSIBLE_TEST_PREFER_PODMAN": "", "LC_ALL": "C.UTF-8"}


def collection_copy(into: Path) -> Path:
    """The collection where ansible-test wants it: a directory ansible_collections/topo/lab."""
    dest = into / "ansible_collections" / "topo" / "lab"
    shutil.copytree(COLLECTION, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return dest


def sanity(collection: Path, *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """`ansible-test sanity ARGS` in the collection copy, with the primed environments."""
    tool = str(Path(sys.executable).parent / "ansible-test")
    return subprocess.run([tool, "sanity", "--python", python_version(), "--color", "no", *args], cwd=collection,
                          capture_output=True, text=True, env=env(), timeout=timeout)


def prime() -> None:
    cache = ANSIBLE_TEST_HOME / ".ansible" / "test" / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
                    "-d", str(cache), f"pip=={PIP_VERSION}"], check=True)
    shutil.copy(Path(__file__).with_name("get_pip.py"), cache / f"get_pip_{PIP_VERSION.replace('.', '_')}.py")
    with tempfile.TemporaryDirectory(prefix="topo-ansible-test-") as tmp:
        res = sanity(collection_copy(Path(tmp)), "--prime-venvs")  # every sanity test's environment
    if res.returncode != 0:
        sys.exit(f"ansible-test sanity --prime-venvs failed:\n{res.stdout[-3000:]}{res.stderr[-3000:]}")


if __name__ == "__main__":
    prime()
