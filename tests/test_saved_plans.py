"""Saved plans (issue 20, CLI conventions): `topo plan FILE -out PLAN` and `topo apply PLAN`
applies exactly that plan, or refuses (exit 1, nothing changed) once the machine or the file
changed; a hand-edited or hostile plan file is refused with one clear message."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any, Callable

import pytest

from provisioner.diagnostics import TopoError
from provisioner.savedplan import BadSavedPlan, is_saved_plan, read_saved_plan
from sandbox import TOPO, Sandbox
from test_target import LAB


@pytest.fixture
def lab(tmp_path: Path) -> Path:
    path = tmp_path / "two.yaml"
    path.write_text(LAB)
    tmp_path.chmod(0o755)
    return path


def _plan_file(sandbox: Sandbox, lab: Path, out: Path) -> dict[str, Any]:
    res = sandbox.topo("plan", str(lab), "-out", str(out), check=False)
    assert res.returncode == 2, res.stderr
    assert f"Saved the plan to {out}" in res.stderr
    return json.loads(out.read_text())  # type: ignore[no-any-return]


def _state(sandbox: Sandbox) -> dict[str, Any]:
    """What an apply would change, read with ip -j: namespaces, links (name, flags, MTU), IPv4
    addresses and routes of the root namespace and of each namespace (carrier flags and the
    kernel's IPv6 link-local routes follow on their own timing, so they are left out)."""
    time.sleep(0.5)  # what the kernel does after a change behind topo's back (carrier, routes) settles
    out: dict[str, Any] = {}
    for ns in [None, *_netns(sandbox)]:
        links = sorted((link["ifname"], "UP" in link["flags"], link["mtu"]) for link in sandbox.ip_json("link", "show", netns=ns))
        addrs = sorted((a["ifname"], i["local"], i["prefixlen"]) for a in sandbox.ip_json("-4", "addr", "show", netns=ns)
                       for i in a["addr_info"])
        routes = sorted(json.dumps({k: v for k, v in r.items() if k != "flags"}, sort_keys=True)  # linkdown: carrier
                        for r in sandbox.ip_json("-4", "route", "show", "table", "all", netns=ns))
        out[str(ns)] = (links, addrs, routes)
    return out


def _netns(sandbox: Sandbox) -> list[str]:
    return sorted(line.split()[0] for line in sandbox.run(["ip", "netns", "list"]).stdout.splitlines())


def test_plan_out_then_apply_plan_applies_exactly_it(sandbox: Sandbox, lab: Path, tmp_path: Path) -> None:
    out = tmp_path / "lab.plan"
    saved = _plan_file(sandbox, lab, out)
    assert os.stat(out).st_mode & 0o777 == 0o600
    assert saved["format"] == "topo-saved-plan" and saved["lab"] == "twopods" and saved["document"]["name"] == "twopods"
    assert {"action": "create-namespace", "change": "create", "namespace": "pod-a", "target": "namespace pod-a",
            "before": None, "after": None} in saved["changes"]
    assert _netns(sandbox) == []  # plan -out changes nothing
    res = sandbox.topo("apply", str(out), check=False)
    assert res.returncode == 0, res.stderr
    assert f"of saved plan {out}; verified" in res.stdout
    assert _netns(sandbox) == ["pod-a", "pod-b"]
    assert {r["dst"] for r in sandbox.ip_json("-4", "route", "show")} >= {"10.99.1.0/24", "10.99.2.0/24"}
    assert sandbox.topo("plan", str(lab), check=False).returncode == 0


def test_the_out_option_has_its_long_form_and_refuses_a_link(sandbox: Sandbox, lab: Path, tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep me\n")
    link = tmp_path / "link.plan"
    link.symlink_to(victim)
    res = sandbox.topo("plan", str(lab), "--out", str(link), check=False)
    assert res.returncode == 1 and "symbolic link" in res.stderr and "Traceback" not in res.stderr, res.stderr
    assert victim.read_text() == "keep me\n" and link.is_symlink()
    old = tmp_path / "old.plan"
    old.write_text("old")
    old.chmod(0o644)
    assert sandbox.topo("plan", str(lab), "--out", str(old), check=False).returncode == 2
    assert is_saved_plan(old.read_text()) and os.stat(old).st_mode & 0o777 == 0o600


def test_stale_plan_is_refused_naming_what_changed(sandbox: Sandbox, lab: Path, tmp_path: Path) -> None:
    sandbox.topo("apply", str(lab))
    sandbox.run(["ip", "netns", "del", "pod-b"])
    out = tmp_path / "lab.plan"
    _plan_file(sandbox, lab, out)  # it would make pod-b again
    sandbox.run(["ip", "link", "set", "va", "down"])  # behind topo's back
    before = _state(sandbox)
    res = sandbox.topo("apply", str(out), check=False)
    assert res.returncode == 1
    assert f"saved plan {out} is stale" in res.stderr and "nothing was changed" in res.stderr
    assert "to do now, not in the plan:    ~ (root): link va: down -> up" in res.stderr, res.stderr
    assert _state(sandbox) == before
    assert _netns(sandbox) == ["pod-a"]
    assert "UP" not in sandbox.ip_json("link", "show", "va")[0]["flags"]


def test_plan_of_a_deleted_namespace_is_stale(sandbox: Sandbox, lab: Path, tmp_path: Path) -> None:
    sandbox.topo("apply", str(lab))
    out = tmp_path / "lab.plan"
    sandbox.run(["ip", "link", "set", "va", "down"])
    _plan_file(sandbox, lab, out)
    sandbox.run(["ip", "netns", "del", "pod-a"])
    before = _state(sandbox)
    res = sandbox.topo("apply", str(out), check=False)
    assert res.returncode == 1 and "+ pod-a: namespace pod-a" in res.stderr, res.stderr
    assert _state(sandbox) == before


def test_edited_topology_file_refuses_the_plan(sandbox: Sandbox, lab: Path, tmp_path: Path) -> None:
    out = tmp_path / "lab.plan"
    _plan_file(sandbox, lab, out)
    lab.write_text(LAB.replace("10.99.2.0/24", "10.99.3.0/24"))
    res = sandbox.topo("apply", str(out), check=False)
    assert res.returncode == 1
    assert f"the topology file {lab} changed since the plan was made" in res.stderr, res.stderr
    assert _netns(sandbox) == []


def _edited(out: Path, edit: Callable[[dict[str, Any]], None]) -> None:
    data = json.loads(out.read_text())
    edit(data)
    out.write_text(json.dumps(data))


def _set(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        for p in path[:-1]:
            data = data[p]
        data[path[-1]] = value
    return edit


HOSTILE: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("traversal-lab", _set(("lab",), "../../etc/passwd"), "at lab: "),
    ("traversal-node", _set(("node",), "../x"), "at node: "),
    ("bad-version", _set(("format_version",), 2), "at format_version"),
    ("extra-key", _set(("run",), ["rm -rf /"]), "'run' was unexpected"),
    ("bad-fingerprint", _set(("fingerprint",), "x"), "at fingerprint"),
    ("bad-change", _set(("changes",), [{"action": "x"}]), "at changes[0]"),
    ("document-invalid", _set(("document", "namespaces", "pod-a", "bogus"), 1), "not a valid topology"),
    ("document-traversal", _set(("document", "namespaces", "../../etc"), {}), "not a valid topology"),
    ("document-other-lab", _set(("document", "name"), "other"), "it is for lab twopods"),
]


@pytest.mark.parametrize("name, edit, message", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_plan_file_is_refused(sandbox: Sandbox, lab: Path, tmp_path: Path, name: str,
                                      edit: Callable[[dict[str, Any]], None], message: str) -> None:
    out = tmp_path / "lab.plan"
    _plan_file(sandbox, lab, out)
    _edited(out, edit)
    res = sandbox.topo("apply", str(out), check=False)
    assert res.returncode == 1 and message in res.stderr, res.stderr
    assert "Traceback" not in res.stderr and "internal error" not in res.stderr
    assert _netns(sandbox) == []


def test_a_forged_action_is_never_run(sandbox: Sandbox, lab: Path, tmp_path: Path) -> None:
    """The saved changes are compared, never executed: an action added by hand makes it stale."""
    out = tmp_path / "lab.plan"
    _plan_file(sandbox, lab, out)
    forged = {"action": "delete-namespace", "change": "delete", "namespace": "victim", "target": "namespace victim",
              "before": None, "after": None}
    _edited(out, lambda d: d["changes"].append(forged))
    sandbox.run(["ip", "netns", "add", "victim"])
    res = sandbox.topo("apply", str(out), check=False)
    assert res.returncode == 1 and "planned, no longer what to do: - victim: namespace victim" in res.stderr, res.stderr
    assert _netns(sandbox) == ["victim"]


def test_bad_json_plan_is_refused(sandbox: Sandbox, tmp_path: Path) -> None:
    out = tmp_path / "bad.plan"
    out.write_text('{"format": "topo-saved-plan", "lab": ')
    res = sandbox.topo("apply", str(out), check=False)
    assert res.returncode == 1
    assert f"error: {out}: not a valid saved plan: bad JSON at line 1" in res.stderr, res.stderr


def test_options_that_do_not_go_with_a_plan(sandbox: Sandbox, lab: Path, tmp_path: Path) -> None:
    out = tmp_path / "lab.plan"
    _plan_file(sandbox, lab, out)
    res = sandbox.topo("apply", str(out), "--var", "x=1", "--adopt", check=False)
    assert res.returncode == 1 and "--var, --adopt: not with a saved plan" in res.stderr
    res = sandbox.topo("plan", str(lab), "-out", str(out), "--destroy", check=False)
    assert res.returncode == 1 and "-out with --destroy" in res.stderr
    inventory = tmp_path / "inv.yml"
    inventory.write_text("all: {}\n")
    res = sandbox.topo("plan", str(lab), "-out", str(out), "-i", str(inventory), check=False)
    assert res.returncode == 1 and "with -i" in res.stderr


def test_targeted_and_stdin_plans(sandbox: Sandbox, lab: Path, tmp_path: Path) -> None:
    out = tmp_path / "a.plan"
    res = sandbox.topo("plan", str(lab), "--target", "pod-a", "-out", str(out), check=False)
    assert res.returncode == 2
    assert json.loads(out.read_text())["options"]["target"] == "pod-a"
    res = sandbox.topo("apply", str(out), check=False)
    assert res.returncode == 0 and "the plan is partial" in res.stderr, res.stderr
    assert _netns(sandbox) == ["pod-a"]
    res = sandbox.run([TOPO, "plan", "-", "-out", str(out)], input=LAB, check=False)
    assert res.returncode == 2, res.stderr
    assert json.loads(out.read_text())["source"]["path"] is None
    assert sandbox.topo("apply", str(out), check=False).returncode == 0
    assert _netns(sandbox) == ["pod-a", "pod-b"]


def test_read_saved_plan_root_free(tmp_path: Path) -> None:
    assert not is_saved_plan(LAB) and not is_saved_plan('{"name": "x"}')
    assert is_saved_plan(' {\n  "format" : "topo-saved-plan"')
    with pytest.raises(BadSavedPlan, match=r"not a valid saved plan: at \(top\): 'format_version' is a required"):
        read_saved_plan(tmp_path / "p", '{"format": "other"}')
    with pytest.raises(TopoError, match="bad JSON at line 2"):
        read_saved_plan(tmp_path / "p", '{"format": "topo-saved-plan",\n x}')


def test_plan_of_a_removed_file_still_applies_its_document(sandbox: Sandbox, lab: Path, tmp_path: Path) -> None:
    out = tmp_path / "lab.plan"
    _plan_file(sandbox, lab, out)
    lab.unlink()
    res = sandbox.topo("apply", str(out), check=False)
    assert res.returncode == 0 and f"the plan's topology file {lab} is gone" in res.stderr, res.stderr
    assert _netns(sandbox) == ["pod-a", "pod-b"]
