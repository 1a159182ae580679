"""Ownership records are untrusted input: checked when read, bound to the namespaces they
name, and never the only way out (`destroy --lab NAME --from-kernel`). Real kernel, sandboxed."""

from __future__ import annotations

import ipaddress
import json
import os
import stat

import pytest

from sandbox import Sandbox

pytestmark = pytest.mark.kernel

LAB_FILE = "tests/fixtures/hostile-lab.yaml"
RECORD = "/var/lib/topo/labs/hostile.json"


def record(box: Sandbox) -> dict:
    return json.loads(box.run(["cat", RECORD]).stdout)


def write_record(box: Sandbox, data: dict) -> None:
    box.run(["sh", "-c", f"cat > {RECORD}"], input=json.dumps(data))


def netns(box: Sandbox) -> set[str]:
    return set(box.run(["ls", "-A", "/run/netns"]).stdout.split())


def test_record_is_private_and_binds_namespaces(sandbox: Sandbox) -> None:
    sandbox.topo("apply", LAB_FILE)
    mode = sandbox.run(["stat", "-c", "%a", RECORD, "/var/lib/topo/labs"]).stdout.split()
    assert mode == ["600", "700"]
    rec = record(sandbox)
    assert rec["version"] == 3
    inodes = {n: int(sandbox.run(["stat", "-L", "-c", "%i", f"/run/netns/{n}"]).stdout) for n in ("pod-h1", "pod-h2")}
    assert rec["netns_ids"] == inodes
    # every namespace topo makes carries the lab's mark on its lo, pod-h2 (no other link) too
    lo = sandbox.ip_json("link", "show", "lo", netns="pod-h2")[0]
    assert lo.get("ifalias") == "topo:hostile"


def test_foreign_namespace_added_to_the_record_survives_destroy(sandbox: Sandbox) -> None:
    sandbox.topo("apply", LAB_FILE)
    sandbox.run(["ip", "netns", "add", "theirs"])
    sandbox.run(["ip", "-n", "theirs", "link", "set", "lo", "up"])
    rec = record(sandbox)
    rec["namespaces"].append("theirs")  # without an identity: only its links could say it is the lab's
    write_record(sandbox, rec)
    res = sandbox.topo("destroy", LAB_FILE)
    assert "theirs" in netns(sandbox), res.stdout
    assert not netns(sandbox) & {"pod-h1", "pod-h2"}
    # with an identity that is not its own, too
    sandbox.topo("apply", LAB_FILE)
    rec = record(sandbox)
    rec["namespaces"].append("theirs")
    rec["netns_ids"]["theirs"] = 12345
    write_record(sandbox, rec)
    plan = json.loads(sandbox.topo("plan", "--destroy", "--json", LAB_FILE, check=False).stdout)
    [node] = plan["nodes"] if "nodes" in plan else [plan]
    text = json.dumps(plan)
    assert "namespace theirs (named by the lab's record, but not the lab's: kept)" in text
    sandbox.topo("destroy", LAB_FILE)
    assert netns(sandbox) == {"theirs"}


def test_namespace_replaced_behind_topos_back_is_not_the_labs(sandbox: Sandbox) -> None:
    sandbox.topo("apply", LAB_FILE)
    sandbox.run(["ip", "netns", "del", "pod-h2"])
    sandbox.run(["ip", "netns", "add", "pod-h2"])  # someone else's namespace now has the name
    sandbox.run(["ip", "-n", "pod-h2", "link", "set", "lo", "up"])
    res = sandbox.topo("plan", LAB_FILE, check=False)
    assert res.returncode in (0, 2), res.stderr
    sandbox.topo("destroy", LAB_FILE)
    assert netns(sandbox) == {"pod-h2"}  # another's: kept


def test_version_1_record_of_the_first_release_still_plans_and_destroys(sandbox: Sandbox) -> None:
    before = sandbox.snapshot()
    sandbox.topo("apply", LAB_FILE)
    rec = record(sandbox)
    del rec["netns_ids"]
    rec["version"] = 1
    write_record(sandbox, rec)
    res = sandbox.topo("plan", LAB_FILE, check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    sandbox.topo("apply", LAB_FILE)  # writes it again in today's version
    assert record(sandbox)["version"] == 3
    rec = record(sandbox)
    del rec["netns_ids"]
    rec["version"] = 1
    write_record(sandbox, rec)
    sandbox.topo("destroy", LAB_FILE)
    assert sandbox.snapshot() == before


def test_version_2_record_with_text_route_keys_is_migrated(sandbox: Sandbox) -> None:
    """A record as the release before typed keys wrote it (version 2, root routes as the text
    `|DST|METRIC`): the lab still plans clean, its root routes are still the lab's (destroy
    removes them), and the next apply writes them as objects."""
    lab, path = "kindnet", "topologies/04-kindnet-routes.yaml"
    where = f"/var/lib/topo/labs/{lab}.json"
    before = sandbox.snapshot()
    sandbox.topo("apply", path)

    def as_version_2() -> dict:
        rec = json.loads(sandbox.run(["cat", where]).stdout)
        assert rec["version"] == 3 and rec["root_routes"] and all(isinstance(r, dict) for r in rec["root_routes"])
        rec["root_routes"] = sorted(f"|{r['dst']}|{r['metric']}" for r in rec["root_routes"])
        rec["version"] = 2
        sandbox.run(["sh", "-c", f"cat > {where}"], input=json.dumps(rec, indent=2, sort_keys=True) + "\n")
        return rec

    old = as_version_2()
    res = sandbox.topo("plan", path, check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    sandbox.topo("apply", path)
    rec = json.loads(sandbox.run(["cat", where]).stdout)
    assert rec["version"] == 3
    assert sorted(f"|{r['dst']}|{r['metric']}" for r in rec["root_routes"]) == old["root_routes"]
    as_version_2()
    sandbox.topo("destroy", path)
    assert sandbox.snapshot() == before


@pytest.mark.parametrize("damage", ["garbage", "other-lab", "sysctl-path"])
def test_from_kernel_removes_a_lab_whose_record_is_corrupt(sandbox: Sandbox, damage: str) -> None:
    sandbox.run(["ip", "netns", "add", "bystander"])  # another tool's namespace, empty
    before = sandbox.snapshot()
    sandbox.topo("apply", LAB_FILE)
    content = {"garbage": "{not json", "other-lab": json.dumps({"lab": "x"}),
               "sysctl-path": json.dumps({"lab": "hostile", "sysctls": {"/etc/hostname": "x"}})}[damage]
    sandbox.run(["sh", "-c", f"cat > {RECORD}"], input=content)
    res = sandbox.topo("destroy", "--lab", "hostile", check=False)
    assert res.returncode == 1 and "--from-kernel" in res.stderr and "Traceback" not in res.stderr
    assert {"pod-h1", "pod-h2"} <= netns(sandbox)  # nothing done on a corrupt record's word
    res = sandbox.topo("destroy", "--lab", "hostile", "--from-kernel")
    assert "Destroy complete" in res.stdout
    after = sandbox.snapshot()
    # the root sysctl the lab set cannot be restored without the record: everything else is
    assert {k: v for k, v in after.items()} == before
    assert sandbox.run(["cat", f"{RECORD}.corrupt"]).stdout == content
    assert sandbox.run(["ls", "/var/lib/topo/labs"]).stdout.split() == ["hostile.json.corrupt"]


def test_no_record_and_no_marks_changes_nothing(sandbox: Sandbox) -> None:
    sandbox.run(["ip", "netns", "add", "bystander"])
    before = sandbox.snapshot()
    res = sandbox.topo("destroy", "--lab", "hostile", "--from-kernel")
    assert "Nothing to destroy" in res.stdout
    assert sandbox.snapshot() == before


def test_state_files_are_private() -> None:
    """Root-free: the directory helper makes 0700 directories and refuses a link in their place."""
    import tempfile
    from pathlib import Path

    from provisioner.diagnostics import TopoError
    from provisioner.state import ensure_private_dir

    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp) / "labs"
        ensure_private_dir(d)
        assert stat.S_IMODE(os.lstat(d).st_mode) == 0o700
        link = Path(tmp) / "link"
        link.symlink_to(tmp)
        with pytest.raises(TopoError, match="not a directory"):
            ensure_private_dir(link)


def test_record_schema_agrees_with_the_reader(tmp_path) -> None:
    """Root-free: what save_record writes passes the published schema; what the schema refuses,
    the reader refuses too (and the other way round) for a table of hostile records."""
    import jsonschema

    from provisioner import state
    from provisioner.core.keys import RouteKey
    from provisioner.roots import Roots
    from provisioner.validate import schema_path

    schema = json.loads(schema_path("record.schema.json").read_text())
    roots = Roots(tmp_path, tmp_path / "etc-netns", tmp_path / "hosts", tmp_path / "run", tmp_path / "netns")
    good = state.LabRecord("lab1", "host", ["pod-a"], [RouteKey(None, ipaddress.ip_network("10.0.0.0/24"), 0)],
                           {"net.ipv4.ip_forward": "0"}, "lab.yaml",
                           bridges={"br-user": state.BridgeOriginal("02:00:00:00:00:01", 9000)})
    state.save_record(roots, good)
    written = json.loads((tmp_path / "labs" / "lab1.json").read_text())
    jsonschema.validate(written, schema)
    assert state.load_record(roots, "lab1") == good
    cases = [
        {"lab": "lab1", "namespaces": "pod"}, {"lab": "lab1", "namespaces": [".hidden"]},
        {"lab": "lab1", "sysctls": {"/etc/passwd": "x"}}, {"lab": "lab1", "sysctls": {"kernel.core_pattern": "x"}},
        {"lab": "lab1", "root_routes": ["|x|y"]}, {"lab": "lab1", "version": 4}, {"lab": "lab1", "extra": 1},
        {"lab": "lab1", "root_routes": [{"dst": "x", "metric": 0}]}, {"lab": "lab1", "root_routes": [{"dst": "10.0.0.0/8"}]},
        {"lab": "lab1", "root_routes": [{"dst": "10.0.0.0/8", "metric": True}]},
        {"lab": "lab1", "uses": ["../etc"]}, {"lab": "lab1", "uses": "br0"},
        {"lab": "lab1", "netns_ids": {"a": "1"}}, {"lab": "lab1", "namespaces": ["a\x1bb"]},
        {"lab": "lab1", "bridges": {"br0": {"mac": "00:00:00:00:00:00", "mtu": 1500}}},
        {"lab": "lab1", "bridges": {"br0": {"mac": "02:00:00:00:00:01"}}},
        {"lab": "lab1", "bridges": {"br0": {"mac": "02:00:00:00:00:01", "mtu": 70000}}},
        {"lab": "lab1", "bridges": {"a/b": {"mac": "02:00:00:00:00:01", "mtu": 1500}}},
        {"lab": "lab1", "bridges": {"br0": {"mac": "02:00:00:00:00:01", "mtu": 1500, "up": True}}},
    ]
    for case in cases:
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(case, schema)
        (tmp_path / "labs" / "lab1.json").write_text(json.dumps(case))
        with pytest.raises(state.CorruptRecord):
            state.load_record(roots, "lab1")
