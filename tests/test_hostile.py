"""Hostile input never reaches outside the lab (the security issue's acceptance).

Every case runs in a sandbox whose /etc, /var, /run and /tmp are private overlays
(scripts/sandbox.sh with SANDBOX_OVERLAY=1): `Sandbox.written()` lists all that was written
there outside topo's own roots (/run/netns, /etc/netns, /var/lib/topo, /run/topo and the
private /etc/hosts are mounts of their own), and the kernel state and topo's roots are
compared too. Each case: exit 1, a message saying where the problem is, no traceback, and
nothing changed.

Cases: every malformed file of the corpus (validate, plan and apply), hostile lab names on
the command line, `--var` values that try to add YAML, and planted or damaged ownership
records (the record is checked like a file from anyone; `destroy --from-kernel` is the
way out). The Ansible side (inventories, node answers) is tested in tests/test_ansible_safety.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import pytest

from sandbox import REPO, Sandbox

pytestmark = pytest.mark.kernel

CORPUS = sorted((REPO / "tests" / "corpus").glob("*.yaml"))
VICTIM_DIR = "/var/topo-victim"
VICTIM_FILE = "/tmp/topo-victim-file"
LAB_FILE = "tests/fixtures/hostile-lab.yaml"
TEMPLATE = "tests/fixtures/hostile-template.yaml"


def _seed(box: Sandbox) -> None:
    """What hostile input tries to delete or overwrite: a directory outside topo's roots, a
    file, and another lab's process record and log (inside topo's root)."""
    box.run(["sh", "-c", f"mkdir -p {VICTIM_DIR} && echo keep > {VICTIM_DIR}/file && echo keep > {VICTIM_FILE} && "
                         "mkdir -p /var/lib/topo/procs/other /var/lib/topo/logs/other && "
                         "echo '{}' > /var/lib/topo/procs/other/ns.web.json && echo log > /var/lib/topo/logs/other/ns.web.log"])


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    sb = Sandbox(tmp_path_factory.mktemp("hostile") / "sandbox", overlay=True).start()
    try:
        _seed(sb)
        yield sb
    finally:
        sb.close()


def machine(box: Sandbox) -> dict[str, Any]:
    """All a command could change: files outside topo's roots, topo's roots, the kernel."""
    # (the node's lock, /run/topo/lock, is made by the first changing command: not a change)
    roots = box.run(["sh", "-c", "find /var/lib/topo /run/netns /etc/netns /run/topo ! -path /run/topo/lock "
                                 "-printf '%p %y %m\\n' | sort; find /var/lib/topo /etc/netns -type f -exec md5sum {} + | sort"]).stdout
    return {"written": box.written(), "roots": roots, **box.snapshot()}


def refused(res: Any, *wanted: str) -> None:
    out = res.stdout + res.stderr
    assert res.returncode == 1, out
    assert "Traceback" not in out and "internal error" not in out, out
    for text in wanted:
        assert text in out, (text, out)


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_malformed_file_changes_nothing(box: Sandbox, path: Path) -> None:
    before = machine(box)
    rel = str(path.relative_to(REPO))
    for verb in ("validate", "plan", "apply"):
        res = box.topo(verb, rel, check=False)
        refused(res, f"{rel}:")
    assert machine(box) == before


HOSTILE_LABS = ["../../../topo-victim", "", "..", ".", "a/b", "/var/topo-victim", "x\x1b[31mred", "-rf", "a" * 300,
                "other/../..", "lab\nname"]


@pytest.mark.parametrize("name", HOSTILE_LABS, ids=[repr(n)[:20] for n in HOSTILE_LABS])
def test_hostile_lab_name_on_the_command_line(box: Sandbox, name: str) -> None:
    before = machine(box)
    for args in (["destroy", "--lab", name], ["destroy", "--lab", name, "--from-kernel"]):
        res = box.topo(*args, check=False)
        refused(res, "not a valid lab name" if name else "must not be empty")
        assert "\x1b" not in res.stderr  # printed escaped
    assert machine(box) == before


HOSTILE_VARS = [
    ("topologies/07-templated-pods.yaml", "pods=1\nnamespaces:\n  evil: {processes: {p: 'touch /tmp/pwned'}}"),
    ("topologies/07-templated-pods.yaml", "pods={a: 1, evil: 2}"),
    (TEMPLATE, "desc=x\n    processes:\n      p: touch /tmp/pwned"),
    (TEMPLATE, "desc=x\nnamespaces:\n  evil:\n    processes: {p: touch /tmp/pwned}"),
    (TEMPLATE, "addr=10.67.0.2\n  evil-name: 10.67.0.3"),
    (TEMPLATE, "desc=a, processes: {p: touch /tmp/pwned}"),
]


@pytest.mark.parametrize("file,var", HOSTILE_VARS, ids=range(len(HOSTILE_VARS)))
def test_var_values_are_data_not_yaml(box: Sandbox, file: str, var: str) -> None:
    """A value given with --var (or a vars file) is data: it can never add YAML to the file.
    Refused with a located message, and nothing is created or run."""
    before = machine(box)
    res = box.topo("apply", file, "--var", var, check=False)
    refused(res, f"{file}:")
    assert machine(box) == before


def _record(box: Sandbox, lab: str, content: bytes | str) -> None:
    data = content if isinstance(content, str) else content.decode("latin-1")
    box.run(["sh", "-c", f"mkdir -p /var/lib/topo/labs && cat > /var/lib/topo/labs/{lab}.json"], input=data)


BAD_RECORDS: dict[str, str] = {
    "garbage": "\x00\x01not json",
    "empty": "",
    "list": "[]",
    "lab-less": "{}",
    "other lab": json.dumps({"lab": "someone-else", "node": "host"}),
    "namespaces as a string": json.dumps({"lab": "hostile", "node": "host", "namespaces": "pod"}),
    "sysctl key a path": json.dumps({"lab": "hostile", "node": "host", "sysctls": {VICTIM_FILE: "pwned"}}),
    "sysctl outside net": json.dumps({"lab": "hostile", "node": "host", "sysctls": {"kernel.core_pattern": "|/bin/sh"}}),
    "namespace with a slash": json.dumps({"lab": "hostile", "node": "host", "namespaces": ["../../etc"]}),
    "future version": json.dumps({"lab": "hostile", "node": "host", "version": 99}),
    "bad route key": json.dumps({"lab": "hostile", "node": "host", "root_routes": ["x; rm -rf /"]}),
}


@pytest.mark.parametrize("case", sorted(BAD_RECORDS), ids=sorted(BAD_RECORDS))
def test_damaged_record_is_a_clear_error(box: Sandbox, case: str) -> None:
    _record(box, "hostile", BAD_RECORDS[case])
    try:
        before = machine(box)
        for args in (["plan", LAB_FILE], ["apply", LAB_FILE], ["plan", "--destroy", LAB_FILE], ["destroy", LAB_FILE],
                     ["destroy", "--lab", "hostile"]):
            res = box.topo(*args, check=False)
            refused(res, "/var/lib/topo/labs/hostile.json is not valid", "--from-kernel")
        assert machine(box) == before
        assert box.run(["cat", VICTIM_FILE]).stdout == "keep\n"
    finally:
        box.run(["rm", "-f", "/var/lib/topo/labs/hostile.json"])


def test_symlinked_record_is_not_followed(box: Sandbox) -> None:
    box.run(["sh", "-c", f"mkdir -p /var/lib/topo/labs && ln -sf {VICTIM_FILE} /var/lib/topo/labs/hostile.json"])
    try:
        before = machine(box)
        refused(box.topo("plan", LAB_FILE, check=False), "symbolic link", "--from-kernel")
        refused(box.topo("destroy", "--lab", "hostile", check=False), "symbolic link")
        assert machine(box) == before
    finally:
        box.run(["rm", "-f", "/var/lib/topo/labs/hostile.json"])


def test_victims_survived(box: Sandbox) -> None:
    """After every case above (module order): the victims and another lab's files are there."""
    out = box.run(["sh", "-c", f"cat {VICTIM_DIR}/file {VICTIM_FILE} /var/lib/topo/procs/other/ns.web.json "
                               "/var/lib/topo/logs/other/ns.web.log"]).stdout
    assert out == "keep\nkeep\n{}\nlog\n"


def test_kernel_names_with_control_characters_are_never_printed_raw(tmp_path: Path) -> None:
    """The kernel allows ESC or BEL in a link's name; another tool's such link is left out of a
    capture (a file may not have it), named escaped, and `show` and `plan` print nothing raw."""
    box = Sandbox(tmp_path / "sandbox").start()
    try:
        box.run(["sh", "-c", "ip link add name \"$(printf 'br\\033[31m')\" type bridge && "
                             "ip link add name \"x$(printf '\\007')y\" type veth peer name ok-peer && "
                             "ip netns add pod1 && ip link set ok-peer netns pod1"])
        cap = box.topo("save", "-o", "/run/topo/cap.yaml")
        out = cap.stdout + cap.stderr
        assert "\x1b" not in out and "\x07" not in out
        assert "br\\x1b[31m" in out  # named, escaped
        text = box.run(["cat", "/run/topo/cap.yaml"]).stdout
        assert "\x1b" not in text and "\\e" not in text and "x\\ay" not in text
        for verb in ("plan", "show"):
            res = box.topo(verb, "/run/topo/cap.yaml", check=False)
            # pod1 holds the peer of a left-out veth: a conflict for plan, not a crash
            assert res.returncode in (0, 1, 2) and "Traceback" not in res.stderr, res.stderr
            assert "\x1b" not in res.stdout + res.stderr and "\x07" not in res.stdout + res.stderr
    finally:
        box.close()
