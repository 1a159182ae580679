"""Wheels of topo and its pinned dependencies for a node's Python, built on the controller.

Nodes never reach a package registry: the playbook asks the controller for the wheels
matching the node's Python version and machine (one tar file), copies it and installs from
it. The file's name carries a digest of its contents, so a node installs each set once.

    python -m provisioner.wheels --python 3.11 --machine x86_64 [--cache DIR]   # prints the tar file
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import shutil
import subprocess
import sys
import tarfile
import tempfile
from importlib import metadata
from pathlib import Path

PIP_VERSION = "25.3"  # bootstraps pip inside the node's venv (run from its wheel)
PLATFORMS = ("manylinux_2_28", "manylinux_2_17", "manylinux2014", "manylinux_2_5", "manylinux1")


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
    """A directory of wheels for CPython `python` (e.g. "3.11") on `machine` (e.g. x86_64)."""
    major, minor = python.split(".")[:2]
    deps_dir = cache / f"deps-cp{major}{minor}-{machine}"
    reqs = runtime_requirements() + [f"pip=={PIP_VERSION}"]
    stamp = deps_dir / ".requirements"
    if not stamp.exists() or stamp.read_text() != "\n".join(reqs):
        shutil.rmtree(deps_dir, ignore_errors=True)
        deps_dir.mkdir(parents=True)
        platform_args = [a for p in PLATFORMS for a in ("--platform", f"{p}_{machine}")]
        _pip("download", "--only-binary=:all:", "--python-version", f"{major}.{minor}", "--implementation", "cp",
             *platform_args, "--dest", str(deps_dir), *reqs)
        stamp.write_text("\n".join(reqs))
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        work = Path(tmp)
        # with the build backend at hand, no registry is needed (the controller may be offline)
        isolation = [] if importlib.util.find_spec("hatchling") is None else ["--no-build-isolation", "--no-index"]
        _pip("wheel", "--no-deps", *isolation, "--wheel-dir", str(work), str(project_root()))
        for wheel in deps_dir.glob("*.whl"):
            shutil.copy2(wheel, work)
        out = cache / f"topo-cp{major}{minor}-{machine}-{digest_of(work)}.tar"
        if not out.exists():
            # one file to copy (and to compare, on later runs) instead of one per wheel
            with tarfile.open(work / "wheels.tar", "w") as tar:
                for wheel in sorted(work.glob("*.whl")):
                    tar.add(wheel, arcname=wheel.name)
            (work / "wheels.tar").rename(out)
    for old in cache.glob(f"topo-cp{major}{minor}-{machine}-*.tar"):
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
    cache.mkdir(parents=True, exist_ok=True)
    print(build(args.python, args.machine, cache))


if __name__ == "__main__":
    main()
