"""The node-side payload: a zipapp of topo's engine, built on the controller, run on a node.

What runs on a node is shipped the way Ansible ships modules: the action plugin of the
`topo.lab.lab` module copies this one file into Ansible's remote temporary directory, the
module runs it with the node's Python (`python3 topo-node.pyz < request.json`, see
provisioner/node.py) and Ansible removes the directory after the task. Nothing is installed on
the node and no file is left behind.

The zipapp holds the `provisioner` package without its tests, CLI and validation-only parts
(the controller validates and renders), and its one pure-Python dependency on the node,
pyroute2 (its message classes encode what apply sends the kernel; plan does not import it),
taken from the controller's own install. Nothing else is needed on the node but Python 3.11+,
and Debian's python3-nftables for labs with Services or impairments (a system package of the
libnftables the node's nft uses: `apt-get install python3-nftables`, found on the system
Python's path). It is built once per content (topo version and digest of the files in it) and
cached on the controller. The file is a zipapp (a zip with __main__.py, as the standard
library's zipapp writes it):

    python -m provisioner.payload [--cache DIR]      # prints the zipapp's path
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import os
import py_compile
import sys
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path

PACKAGE = "provisioner"
DEFAULT_CACHE = "~/.cache/topo/payload"
# not needed on a node: the controller loads, renders, validates and prints
LEFT_OUT_DIRS = frozenset({"tests", "__pycache__", "cli", "ansible_collections", "schemas"})
LEFT_OUT_FILES = frozenset({"_schema_fast.py", "validate.py", "loader.py", "template_env.py", "schema_build.py"})
DEPENDENCIES = ("pyroute2",)  # pure Python, imported from the zip
PRUNE_AFTER_SECONDS = 7 * 24 * 3600.0  # a payload no run used for a week is removed
MAIN = "import sys\nfrom provisioner.node import main\nsys.exit(main())\n"


def package_root() -> Path:
    """The installed (or checked-out) provisioner package."""
    return Path(__file__).resolve().parent


def payload_files(root: Path | None = None) -> list[Path]:
    """The package's files that go into the payload, relative to the package, sorted."""
    root = root or package_root()
    out = []
    for path in root.rglob("*"):
        rel = path.relative_to(root)
        if path.is_dir() or LEFT_OUT_DIRS & set(rel.parts[:-1]) or rel.name in LEFT_OUT_FILES:
            continue
        if path.suffix in (".py", ".json"):
            out.append(rel)
    return sorted(out)


def dependency_files() -> list[tuple[Path, str]]:
    """(file, name in the zip) of every Python file of DEPENDENCIES, as installed here.
    Raises OSError naming a dependency that is not installed."""
    out = []
    for name in DEPENDENCIES:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            raise OSError(f"{name} (a dependency of topo's node engine) is not installed with topo here")
        top = Path(next(iter(spec.submodule_search_locations)))
        out += [(path, f"{name}/{path.relative_to(top)}") for path in sorted(top.rglob("*.py"))
                if "__pycache__" not in path.parts]
    return out


def version() -> str:
    try:
        return metadata.version("topo")
    except metadata.PackageNotFoundError:  # a checkout run without an install
        return "0+unknown"


def digest(entries: list[tuple[Path, str]]) -> str:
    """Of the payload's content: each file's name, size and modification time (a stat each,
    no read: the run before every multi-node command pays for it), the builder and Python."""
    h = hashlib.sha256(MAIN.encode() + Path(__file__).read_bytes() + sys.version.encode())
    for path, name in entries:
        st = path.stat()
        h.update(f"{name}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
    return h.hexdigest()[:16]


def _compiled(path: Path, name: str, work: Path) -> Path:
    """`path` byte-compiled for this Python (an unchecked-hash .pyc: zipimport takes it as it
    is; a node with another Python version skips it for the source next to it)."""
    out = work / "module.pyc"
    py_compile.compile(str(path), cfile=str(out), dfile=name, doraise=True,
                       invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    return out


def build(cache: Path) -> Path:
    """The payload's path in `cache`, built there first unless a payload of the same content
    already is (the write goes to a temporary file renamed into place: concurrent runs agree)."""
    root = package_root()
    entries = [(root / rel, f"{PACKAGE}/{rel}") for rel in payload_files(root)] + dependency_files()
    cache.mkdir(parents=True, exist_ok=True)
    out = cache / f"topo-node-{version()}-{digest(entries)}.pyz"
    if out.exists():
        os.utime(out)  # in use: not pruned by another topo sharing the cache
        return out
    fd, tmp = tempfile.mkstemp(dir=cache, prefix=".topo-node-", suffix=".pyz")
    try:
        with os.fdopen(fd, "wb") as fh, zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as zf, \
                tempfile.TemporaryDirectory(dir=cache) as work:
            zf.writestr("__main__.py", MAIN)
            for path, name in entries:
                zf.write(path, name)
                if name.endswith(".py") and name.startswith(PACKAGE + "/"):  # (pyroute2: apply imports a few)
                    zf.write(_compiled(path, name, Path(work)), name + "c")
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except BaseException:
        os.unlink(tmp)
        raise
    prune(cache, keep=out)
    return out


def prune(cache: Path, keep: Path, unused_for: float = PRUNE_AFTER_SECONDS) -> None:
    """Removes the payloads in `cache` not used for `unused_for` seconds. Another topo (another
    version, or a checkout) may share the cache and be copying its payload right now: a payload
    is kept while it is in use (every run touches it)."""
    import time

    for old in cache.glob("topo-node-*.pyz"):
        try:
            if old != keep and time.time() - old.stat().st_mtime > unused_for:
                old.unlink()
        except FileNotFoundError:  # a concurrent run removed it already
            pass


def cached(cache: str | None = None) -> Path:
    return build(Path(cache or os.environ.get("TOPO_PAYLOAD_CACHE") or DEFAULT_CACHE).expanduser())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", default=None, help=f"where the payload is kept (default {DEFAULT_CACHE})")
    args = parser.parse_args()
    try:
        print(cached(args.cache))
    except OSError as exc:
        raise SystemExit(f"error: {exc}")


if __name__ == "__main__":
    main()
