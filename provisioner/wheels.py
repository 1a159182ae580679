"""Wheels of topo and its pinned dependencies for a node's Python, built on the controller.

Nodes never reach a package registry: the playbook asks the controller for the wheels
matching the node's Python version and machine (one tar file), copies it and installs from
it. The file's name carries a digest of its contents, so a node installs each set once.

    python -m provisioner.wheels --python 3.11 --machine x86_64 [--cache DIR]   # prints the tar file

The Python version and machine come from the node (its own answer to the playbook): they are
untrusted. Only `3.N` and a machine of MACHINES are accepted, and every path under the cache
is built with names.inside (proven to stay in the cache).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from importlib import metadata
from pathlib import Path

from .names import inside, printable

PIP_VERSION = "25.3"  # bootstraps pip inside the node's venv (run from its wheel)
PLATFORMS = ("manylinux_2_28", "manylinux_2_17", "manylinux2014", "manylinux_2_5", "manylinux1")
MACHINES = ("x86_64", "aarch64", "i686", "armv7l", "ppc64le", "s390x", "riscv64", "loongarch64")
"""Linux machines (platform.machine()) that have manylinux wheel platform tags."""
PYTHON_VERSION = re.compile(r"3\.([0-9]{1,3})")


def target_problem(python: str, machine: str) -> str | None:
    """Why a node's reported Python version or machine is not one wheels can be built for."""
    if not PYTHON_VERSION.fullmatch(python):
        return f"the node's Python version {printable(python)} is not of the form 3.N (e.g. 3.11)"
    if machine not in MACHINES:
        return f"the node's machine {printable(machine)} is not one of {', '.join(MACHINES)}"
    return None


def project_root() -> Path:
    """The source tree topo runs from (an editable install or a checkout)."""
    root = Path(__file__).resolve().parent.parent
    if not (root / "pyproject.toml").exists():
        raise SystemExit("topo's source tree is not available here: install topo from a checkout (pip install -e .)")
    return root


def runtime_requirements() -> list[str]:
    """topo's pinned dependencies, without extras (tests, ansible)."""
    reqs = metadata.requires("topo") or []
    return [r.split(";")[0].strip() for r in reqs if "extra ==" not in r]


def _pip(*args: str) -> None:
    cmd = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet", *args]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        raise SystemExit(f"pip failed: {' '.join(cmd)}\n{res.stderr[-3000:]}")


def digest_of(directory: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(directory.glob("*.whl")):
        h.update(path.name.encode())
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()[:16]


def build(python: str, machine: str, cache: Path) -> Path:
    """A tar file of wheels for CPython `python` (e.g. "3.11") on `machine` (e.g. x86_64).
    Raises ValueError for a version or machine of the wrong shape, PathEscape for a cache path
    that would lead out of the cache."""
    if err := target_problem(python, machine):
        raise ValueError(err)
    tag = f"cp3{python.split('.')[1]}-{machine}"
    cache.mkdir(parents=True, exist_ok=True)
    deps_dir = inside(cache, f"deps-{tag}")
    reqs = runtime_requirements() + [f"pip=={PIP_VERSION}"]
    stamp = deps_dir / ".requirements"
    if not stamp.exists() or stamp.read_text() != "\n".join(reqs):
        shutil.rmtree(deps_dir, ignore_errors=True)
        deps_dir.mkdir(parents=True)
        platform_args = [a for p in PLATFORMS for a in ("--platform", f"{p}_{machine}")]
        _pip("download", "--only-binary=:all:", "--python-version", python, "--implementation", "cp",
             *platform_args, "--dest", str(deps_dir), *reqs)
        stamp.write_text("\n".join(reqs))
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        work = Path(tmp)
        # with the build backend at hand, no registry is needed (the controller may be offline)
        isolation = [] if importlib.util.find_spec("hatchling") is None else ["--no-build-isolation", "--no-index"]
        _pip("wheel", "--no-deps", *isolation, "--wheel-dir", str(work), str(project_root()))
        for wheel in deps_dir.glob("*.whl"):
            shutil.copy2(wheel, work)
        out = inside(cache, f"topo-{tag}-{digest_of(work)}.tar")
        if not out.exists():
            # one file to copy (and to compare, on later runs) instead of one per wheel
            with tarfile.open(work / "wheels.tar", "w") as tar:
                for wheel in sorted(work.glob("*.whl")):
                    tar.add(wheel, arcname=wheel.name)
            (work / "wheels.tar").rename(out)
    for old in cache.glob(f"topo-{tag}-*.tar"):
        if old != out:
            old.unlink(missing_ok=True)  # a concurrent run may have removed it already
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--python", required=True, help="the node's Python version, e.g. 3.11")
    parser.add_argument("--machine", required=True, help="the node's machine, e.g. x86_64")
    parser.add_argument("--cache", default="~/.cache/topo/wheels", help="where the wheels are kept")
    args = parser.parse_args()
    cache = Path(args.cache).expanduser()
    try:
        print(build(args.python, args.machine, cache))
    except (ValueError, OSError) as exc:  # names.PathEscape is a ValueError
        raise SystemExit(f"error: {exc}")


if __name__ == "__main__":
    main()
