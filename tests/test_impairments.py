"""Impairments on a real kernel, in the sandbox: the example lab (topologies/12-impairments.yaml,
two pods on a 10 Mbit/s link) applied, its rate measured with a bulk TCP transfer between the
pods; drift (a changed and a removed qdisc) is plan exit 2 and apply repairs it; another's
qdisc is a conflict; destroy leaves `tc -j qdisc show` as it was. netem's own settings need
sch_netem: where it is missing, plan names it and changes nothing. Capture keeps them: the
example's rate and loss, and another tool's tbf (unmanaged until adopted), captured, planned
clean and made again from the captured file. `topo show` prints them as the kernel has them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from sandbox import REPO, Sandbox

pytestmark = pytest.mark.kernel

LAB = REPO / "tests" / "fixtures" / "impair-lab.yaml"
RATE = 10_000_000  # bits per second, as the file declares
SECONDS = 4

RECEIVER = """
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("10.70.0.2", 5201)); s.listen(1)
print("ready", flush=True)
c, _ = s.accept(); total = 0; start = None
while True:
    data = c.recv(1 << 16)
    if not data:
        break
    if start is None:
        start = time.monotonic()
    total += len(data)
print(total * 8 / (time.monotonic() - start))
"""
SENDER = f"""
import socket, time
s = socket.create_connection(("10.70.0.2", 5201)); chunk = b"x" * 65536; end = time.monotonic() + {SECONDS}
while time.monotonic() < end:
    s.sendall(chunk)
s.close()
"""


def qdiscs(sandbox: Sandbox, netns: str) -> list[dict]:
    return json.loads(sandbox.run(["ip", "netns", "exec", netns, "tc", "-j", "qdisc", "show"]).stdout or "[]")


def root_qdisc(sandbox: Sandbox, netns: str, dev: str = "eth0") -> dict:
    [q] = [q for q in qdiscs(sandbox, netns) if q["dev"] == dev and q.get("root")]
    return q


def measured_rate(sandbox: Sandbox) -> float:
    receiver = sandbox.popen(["ip", "netns", "exec", "server", "python3", "-c", RECEIVER])
    assert receiver.stdout is not None
    assert receiver.stdout.readline().strip() == "ready"
    sandbox.run(["ip", "netns", "exec", "client", "python3", "-c", SENDER], timeout=30)
    out, err = receiver.communicate(timeout=30)
    return float(out.strip())


def netem_missing(sandbox: Sandbox) -> bool:
    probe = sandbox.run(["python3", "-c", "import os, sys; from pathlib import Path; "
                         "from provisioner.kinds.impair.read import netem_present; "
                         "sys.exit(0 if netem_present(Path('/'), os.uname().release) is False else 1)"], check=False)
    return probe.returncode == 0


def test_impairment_rate_is_measured_within_15_percent(sandbox: Sandbox) -> None:
    sandbox.topo("apply", str(LAB))
    for netns in ("client", "server"):
        q = root_qdisc(sandbox, netns)
        assert q["handle"] == "7470:" and q["kind"] in ("tbf", "netem"), q
    rate = measured_rate(sandbox)
    assert 0.85 * RATE <= rate <= 1.15 * RATE, f"measured {rate / 1e6:.2f} Mbit/s for a 10mbit link"


def test_impairment_drift_is_exit_2_and_apply_repairs_it(sandbox: Sandbox) -> None:
    sandbox.topo("apply", str(LAB))
    kind = root_qdisc(sandbox, "client")["kind"]
    change = {"tbf": "tbf rate 2mbit burst 16k limit 30000", "netem": "netem rate 2mbit"}[kind]
    sandbox.run(["ip", "netns", "exec", "client", "tc", "qdisc", "change", "dev", "eth0", "root", "handle", "7470:", *change.split()])
    sandbox.run(["ip", "netns", "exec", "server", "tc", "qdisc", "del", "dev", "eth0", "root"])
    plan = sandbox.topo("plan", str(LAB), check=False)
    assert plan.returncode == 2, plan.stdout + plan.stderr
    assert "~ client: impair eth0: rate 2mbit -> rate 10mbit" in plan.stdout
    assert f"+ server: impair eth0 ({kind}: rate 10mbit)" in plan.stdout
    sandbox.topo("apply", str(LAB))
    assert root_qdisc(sandbox, "server")["handle"] == "7470:"
    assert measured_rate(sandbox) >= 0.85 * RATE
    assert sandbox.topo("plan", str(LAB)).returncode == 0


def test_impairment_on_anothers_qdisc_is_a_conflict(sandbox: Sandbox) -> None:
    sandbox.topo("apply", str(LAB))
    sandbox.run(["ip", "netns", "exec", "server", "tc", "qdisc", "replace", "dev", "eth0", "root", "pfifo", "limit", "10"])
    plan = sandbox.topo("plan", str(LAB), check=False)
    assert plan.returncode == 1 and "did not make" in plan.stdout, plan.stdout
    assert root_qdisc(sandbox, "server")["kind"] == "pfifo"  # plan changed nothing
    sandbox.topo("apply", "--adopt", str(LAB))
    assert root_qdisc(sandbox, "server")["handle"] == "7470:"


def test_impairment_removed_from_the_file_and_destroy(sandbox: Sandbox, tmp_path: Path) -> None:
    before = sandbox.run(["tc", "-j", "qdisc", "show"]).stdout
    sandbox.topo("apply", str(LAB))
    plain = tmp_path / "plain.yaml"
    plain.write_text(LAB.read_text().replace("    impair: {rate: 10mbit}\n", ""))
    sandbox.topo("apply", str(plain))
    assert root_qdisc(sandbox, "client")["handle"] == "0:"  # the kernel's default again
    sandbox.topo("apply", str(LAB))
    sandbox.topo("destroy", str(LAB))
    assert sandbox.run(["tc", "-j", "qdisc", "show"]).stdout == before


def test_impairment_needing_netem_is_a_plan_error_where_it_is_missing(sandbox: Sandbox, tmp_path: Path) -> None:
    if not netem_missing(sandbox):
        pytest.skip("sch_netem present: the plan error is for kernels without it")
    lossy = tmp_path / "lossy.yaml"
    lossy.write_text(LAB.read_text().replace("impair: {rate: 10mbit}", "impair: {rate: 10mbit, delay: 40ms}"))
    plan = sandbox.topo("plan", str(lossy), check=False)
    # located in the file: FILE:LINE:COL of the link's impair, as a validation error is
    line = next(n for n, text in enumerate(lossy.read_text().splitlines(), 1) if "impair:" in text)
    assert plan.returncode == 1 and f"{lossy}:{line}:" in plan.stdout, plan.stdout
    assert "links[0].impair: delay needs the kernel module sch_netem" in plan.stdout, plan.stdout
    apply = sandbox.topo("apply", str(lossy), check=False)
    assert apply.returncode == 1 and f"{lossy}:{line}:" in apply.stdout + apply.stderr
    assert sandbox.run(["ip", "netns", "list"]).stdout.strip() == ""


def test_impairment_delay_is_measured_with_netem(sandbox: Sandbox, tmp_path: Path) -> None:
    if netem_missing(sandbox):
        pytest.skip("sch_netem missing")
    slow = tmp_path / "slow.yaml"
    slow.write_text(LAB.read_text().replace("impair: {rate: 10mbit}", "impair: {delay: 40ms}"))
    sandbox.topo("apply", str(slow))
    out = sandbox.run(["ip", "netns", "exec", "client", "ping", "-c5", "-i0.2", "10.70.0.2"]).stdout
    avg = float(out.rsplit("=", 1)[1].split("/")[1])
    assert 0.8 * 80 <= avg <= 1.2 * 80, out  # 40 ms each way


LOSS = 30  # percent, of what the client sends (one direction: ping's loss is this one)
DROP_TABLE = "topo-impair-lab-impair"


def lossy_lab(tmp_path: Path) -> Path:
    """The example with the link's rate taken off and a loss on the client's end instead."""
    lossy = tmp_path / "lossy.yaml"
    lossy.write_text(LAB.read_text().replace("    impair: {rate: 10mbit}\n", "")
                     .replace("addresses: [10.70.0.1/24]}", f"addresses: [10.70.0.1/24], impair: {{loss: {LOSS}}}}}"))
    return lossy


def ping_loss(sandbox: Sandbox, count: int = 1000) -> float:
    out = sandbox.run(["ip", "netns", "exec", "client", "ping", "-c", str(count), "-i", "0.002", "-q", "10.70.0.2"],
                      check=False, timeout=120).stdout
    sent, received = (int(part.split()[0]) for part in out.split("\n")[-3].split(",")[:2])
    assert sent == count, out
    return 100 * (sent - received) / sent


def drop_rules(sandbox: Sandbox, netns: str) -> list[dict]:
    """The rules of the lab's netdev table in `netns`, as `nft -j -a` lists them ([] without the table)."""
    out = sandbox.run(["ip", "netns", "exec", netns, "nft", "-j", "-a", "list", "ruleset"]).stdout
    return [i["rule"] for i in json.loads(out)["nftables"] if "rule" in i and i["rule"]["table"] == DROP_TABLE]


def test_impairment_loss_is_measured_within_5_points(sandbox: Sandbox, tmp_path: Path) -> None:
    sandbox.topo("apply", str(lossy_lab(tmp_path)))
    if netem_missing(sandbox):  # the drop is on the ingress hook of the client's peer
        [drop] = [r for r in drop_rules(sandbox, "server") if r["chain"] == "ingress-eth0"]
        assert drop["expr"][0]["match"]["right"] == LOSS * 10_000 and "drop" in drop["expr"][1], drop
        assert drop_rules(sandbox, "client") == []
    loss = ping_loss(sandbox)
    assert LOSS - 5 <= loss <= LOSS + 5, f"{loss:.1f}% lost of 1000 pings for a {LOSS}% loss"


def test_impairment_loss_drift_is_exit_2_and_apply_repairs_it(sandbox: Sandbox, tmp_path: Path) -> None:
    if not netem_missing(sandbox):
        pytest.skip("sch_netem present: loss is netem's, and the qdisc drift test covers it")
    lab = lossy_lab(tmp_path)
    sandbox.topo("apply", str(lab))
    [drop] = [r for r in drop_rules(sandbox, "server") if r["chain"] == "ingress-eth0"]
    sandbox.run(["ip", "netns", "exec", "server", "nft", "delete", "rule", "netdev", DROP_TABLE, "ingress-eth0", "handle", str(drop["handle"])])
    plan = sandbox.topo("plan", str(lab), check=False)
    assert plan.returncode == 2 and "~ server: loss ingress-eth0: no drop rule of topo's -> drop 30% of what client:eth0 sends" in plan.stdout, plan.stdout
    sandbox.topo("apply", str(lab))
    assert len([r for r in drop_rules(sandbox, "server") if r["chain"] == "ingress-eth0"]) == 1
    sandbox.run(["ip", "netns", "exec", "server", "nft", "delete", "table", "netdev", DROP_TABLE])
    plan = sandbox.topo("plan", str(lab), check=False)
    assert plan.returncode == 2 and f"+ server: nftables table netdev {DROP_TABLE}" in plan.stdout, plan.stdout
    sandbox.topo("apply", str(lab))
    assert sandbox.topo("plan", str(lab)).returncode == 0
    assert LOSS - 5 <= ping_loss(sandbox, 1000) <= LOSS + 5  # 1,000 pings: 5 points is 3.4 standard deviations
    plain = tmp_path / "plain.yaml"
    plain.write_text(lab.read_text().replace(f", impair: {{loss: {LOSS}}}", ""))
    sandbox.topo("apply", str(plain))
    out = sandbox.run(["ip", "netns", "exec", "server", "nft", "-j", "list", "tables"]).stdout
    assert DROP_TABLE not in out, out  # the lab's last loss gone: its table too
    assert ping_loss(sandbox, 200) == 0


def test_impairment_loss_on_anothers_table_of_the_name_is_a_conflict(sandbox: Sandbox, tmp_path: Path) -> None:
    if not netem_missing(sandbox):
        pytest.skip("sch_netem present: loss is netem's, no nftables table")
    lab = lossy_lab(tmp_path)
    sandbox.topo("apply", str(lab))
    sandbox.run(["ip", "netns", "exec", "server", "nft", "delete", "table", "netdev", DROP_TABLE])
    sandbox.run(["ip", "netns", "exec", "server", "nft", "add", "table", "netdev", DROP_TABLE])
    plan = sandbox.topo("plan", str(lab), check=False)
    assert plan.returncode == 1 and f"nftables table netdev {DROP_TABLE} exists in server and was not created by lab impair-lab" in plan.stdout, plan.stdout
    assert drop_rules(sandbox, "server") == []  # plan changed nothing


# ---- capture keeps impairments --------------------------------------------------------------

EXAMPLE = REPO / "topologies" / "12-impairments.yaml"


def root_qdisc_facts(sandbox: Sandbox, netns: str) -> tuple[str, str | None]:
    q = root_qdisc(sandbox, netns)
    return q["kind"], q.get("options", {}).get("rate")


def plan_json(sandbox: Sandbox, path: Path, *args: str) -> tuple[int, dict]:
    res = sandbox.topo("plan", "--json", *args, str(path), check=False)
    return res.returncode, json.loads(res.stdout)["nodes"][0]


def test_capture_keeps_the_examples_rate_and_loss(sandbox: Sandbox, tmp_path: Path) -> None:
    sandbox.topo("apply", str(EXAMPLE))
    before = {ns: root_qdisc_facts(sandbox, ns) for ns in ("client", "server")}
    out = tmp_path / "captured.yaml"
    sandbox.topo("save", "-o", str(out))
    [link] = yaml.safe_load(out.read_text())["links"]
    assert link["a"]["impair"] == {"rate": "10mbit"} and link["b"]["impair"] == {"rate": "10mbit", "loss": 30.0}, link
    rc, node = plan_json(sandbox, out)
    assert (rc, node["changes"], node["conflicts"]) == (0, [], []), node
    if netem_missing(sandbox):  # the loss is the example's lab's drop in the client's namespace: left to it
        assert {"namespace": "client", "target": "loss ingress-eth0 (lab impair-lab's nftables table netdev topo-impair-lab-impair)"} \
            in node["unmanaged"], node["unmanaged"]
    sandbox.topo("destroy", str(EXAMPLE))
    sandbox.topo("apply", str(out))
    assert {ns: root_qdisc_facts(sandbox, ns) for ns in ("client", "server")} == before
    assert root_qdisc(sandbox, "server")["handle"] == "7470:"
    if netem_missing(sandbox):
        rules = sandbox.run(["ip", "netns", "exec", "client", "nft", "-j", "list", "table", "netdev", "topo-captured-impair"]).stdout
        drops = [i["rule"]["expr"] for i in json.loads(rules)["nftables"] if "rule" in i and i["rule"]["chain"] == "ingress-eth0"]
        assert drops and drops[0][0]["match"]["right"] == 300_000, rules
    assert sandbox.topo("plan", str(out), check=False).returncode == 0


def test_capture_keeps_another_tools_qdisc_unmanaged_until_adopted(sandbox: Sandbox, tmp_path: Path) -> None:
    for cmd in (["ip", "netns", "add", "a"], ["ip", "netns", "add", "b"],
                ["ip", "-n", "a", "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", "b"],
                ["ip", "-n", "a", "link", "set", "eth0", "up"], ["ip", "-n", "b", "link", "set", "eth0", "up"],
                ["ip", "netns", "exec", "a", "tc", "qdisc", "add", "dev", "eth0", "root", "tbf", "rate", "5mbit", "burst", "32kbit",
                 "latency", "400ms"]):
        sandbox.run(cmd)
    assert root_qdisc(sandbox, "a")["handle"] != "7470:"
    out = tmp_path / "captured.yaml"
    sandbox.topo("save", "-o", str(out))
    assert "impair: {rate: 5mbit}" in out.read_text(), out.read_text()
    rc, node = plan_json(sandbox, out)
    assert (rc, node["changes"], node["conflicts"]) == (0, [], []), node
    assert any(u["target"].startswith("impair eth0 (tbf qdisc") and "another tool's" in u["target"] for u in node["unmanaged"]), node
    rc, node = plan_json(sandbox, out, "--adopt")
    assert [(c["action"], c["target"]) for c in node["changes"] if "qdisc" in c["action"]] == [("set-qdisc", "impair eth0")], node
    assert root_qdisc(sandbox, "a")["handle"] != "7470:"  # plan changed nothing
    sandbox.run(["ip", "netns", "del", "a"])
    sandbox.run(["ip", "netns", "del", "b"])
    sandbox.topo("apply", str(out))
    assert root_qdisc(sandbox, "a")["handle"] == "7470:" and root_qdisc_facts(sandbox, "a") == ("tbf", 625000)  # bytes a second


def test_show_prints_each_interfaces_impairments(sandbox: Sandbox) -> None:
    sandbox.topo("apply", str(EXAMPLE))
    rows = {(r["namespace"], r["interface"]): r["impair"] for r in json.loads(sandbox.topo("show", "--json", str(EXAMPLE)).stdout)["interfaces"]}
    assert rows[("client", "eth0")] == "rate 10mbit" and rows[("server", "eth0")] == "rate 10mbit, loss 30%", rows
    assert rows[("client", "lo")] == ""
    sandbox.run(["ip", "netns", "exec", "client", "tc", "qdisc", "replace", "dev", "eth0", "root", "handle", "7470:", "tbf",
                 "rate", "2mbit", "burst", "32kbit", "latency", "50ms"])  # drift is shown as the kernel has it
    rows = {(r["namespace"], r["interface"]): r["impair"] for r in json.loads(sandbox.topo("show", "--json", str(EXAMPLE)).stdout)["interfaces"]}
    assert rows[("client", "eth0")] == "rate 2mbit", rows
    assert "rate 10mbit, loss 30%" in sandbox.topo("show", str(EXAMPLE)).stdout
