#!/usr/bin/python
# -*- coding: utf-8 -*-
"""Ansible module: bring one node's share of a topo lab to a state (check and diff mode)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: topo_lab
short_description: Apply, plan or destroy a topo network lab on this node
description:
  - Runs topo (installed on the node, see tasks/install.yml) for one node of a lab.
  - In check mode it only plans (C(topo plan)) and reports changed when the node differs
    from the file: the network is never changed.
  - In diff mode the plan's lines are returned as the diff.
options:
  content_b64:
    description: The topology file, base64-encoded (so that Ansible never templates it); the
      controller sends it rendered. Required unless I(state=absent) with I(lab).
    type: str
  lab:
    description: The lab's name (for I(state=absent) without I(content)). Checked with topo's
      own rule (provisioner.names.lab_name_problem) before anything uses it.
    type: str
  node:
    description: The node of the lab this host is (default: the inventory hostname).
    type: str
    required: true
  state:
    description: present (apply) or absent (destroy).
    type: str
    choices: [present, absent]
    default: present
  adopt:
    description: Take over existing objects the file names.
    type: bool
    default: false
  topo:
    description: The topo command on the node.
    type: str
    default: /opt/topo/venv/bin/topo
"""

RETURN = r"""
plan:
  description: The plan (topo's JSON plan format, schemas/plan.schema.json) that was, or would be, carried out.
  type: dict
  returned: always
"""

import base64
import json
import os
import tempfile

from ansible.module_utils.basic import AnsibleModule

# Runs in the Python of topo's venv on the node: topo's one rule for lab names.
LAB_CHECK = (
    "import sys\n"
    "from provisioner.names import lab_name_problem\n"
    "print(lab_name_problem(sys.stdin.read()) or '')\n"
)


def lab_problem(run_command, topo, lab):
    """Why `lab` is not a valid lab name (None when it is), by provisioner.names.lab_name_problem
    run with the Python next to `topo`. `run_command` is AnsibleModule.run_command's shape; the
    name goes in on stdin, so no byte of it reaches a command line."""
    python = os.path.join(os.path.dirname(topo), "python")
    rc, out, err = run_command([python, "-c", LAB_CHECK], data=lab, binary_data=True)
    if rc != 0:
        return "cannot check the lab name with %s: %s" % (python, (err or out).strip()[-500:])
    return out.strip() or None


def _prepared(plan):
    lines = []
    for node in plan.get("nodes", []):
        for c in node.get("conflicts", []):
            lines.append("! %s: %s" % (c.get("namespace") or "(root)", c["message"]))
        for a in node.get("changes", []):
            sign = {"create": "+", "update": "~", "delete": "-"}[a["change"]]
            text = "%s %s: %s" % (sign, a.get("namespace") or "(root)", a["target"])
            if a["change"] == "update" and (a.get("before") or a.get("after")):
                text += ": %s -> %s" % (a.get("before") or "(none)", a.get("after") or "(none)")
            lines.append(text)
    return "\n".join(lines) + ("\n" if lines else "")


def _json(module, rc, out, err, cmd):
    try:
        return json.loads(out)
    except ValueError:
        module.fail_json(msg=(err or out).strip() or "topo printed no plan", rc=rc, cmd=cmd, stdout=out, stderr=err)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            content_b64=dict(type="str"),
            lab=dict(type="str"),
            node=dict(type="str", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            adopt=dict(type="bool", default=False),
            topo=dict(type="str", default="/opt/topo/venv/bin/topo"),
        ),
        required_one_of=[["content_b64", "lab"]],
        supports_check_mode=True,
    )
    p = module.params
    if p["state"] == "present" and not p["content_b64"]:
        module.fail_json(msg="state=present needs content_b64 (the topology)")
    if not os.path.exists(p["topo"]):
        module.fail_json(msg="topo is not installed on this node at %s (run the install tasks)" % p["topo"])
    if p["lab"] is not None:
        problem = lab_problem(module.run_command, p["topo"], p["lab"])
        if problem:
            module.fail_json(msg=problem)
    path = None
    try:
        if p["content_b64"]:
            fd, path = tempfile.mkstemp(prefix="topo-lab-", suffix=".yaml")
            with os.fdopen(fd, "wb") as fh:
                fh.write(base64.b64decode(p["content_b64"]))
        target = [path] if path else ["--lab", p["lab"]]
        node = ["--node", p["node"]]
        adopt = ["--adopt"] if p["adopt"] else []
        if p["state"] == "present":
            verb = ["plan"] if module.check_mode else ["apply"]
            cmd = [p["topo"]] + verb + target + node + adopt + ["--json"]
        else:
            verb = ["plan", "--destroy"] if module.check_mode else ["destroy"]
            cmd = [p["topo"]] + verb + target + node + ["--json"]
        rc, out, err = module.run_command(cmd, environ_update={"NO_COLOR": "1"})
        if rc not in (0, 2):
            plan = None
            try:
                plan = json.loads(out) if out.strip() else None
            except ValueError:
                pass
            module.fail_json(msg=err.strip() or out.strip() or "topo failed", rc=rc, cmd=cmd, plan=plan)
        plan = _json(module, rc, out, err, cmd)
        changed = bool(plan.get("changes_present"))
        result = dict(changed=changed, plan=plan, stderr=err)
        if module._diff:
            result["diff"] = dict(prepared=_prepared(plan))
        module.exit_json(**result)
    finally:
        if path:
            os.unlink(path)


if __name__ == "__main__":
    main()
