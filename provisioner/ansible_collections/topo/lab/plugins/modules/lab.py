#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) topo contributors
# MIT License (see https://opensource.org/license/mit)
"""Ansible module: bring one node's share of a topo lab to a state (check and diff mode)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: lab
short_description: Plan, apply or destroy one node's share of a topo network lab
version_added: "0.1.0"
description:
  - Brings the network namespaces, links, routes and hosts entries of one node of a topo lab
    to the state of the topology the controller validated.
  - Nothing is installed on the node. The action plugin of this module copies topo's node-side
    engine (one zipapp, built once per topo version on the controller) into Ansible's remote
    temporary directory; this module runs it with the node's Python and Ansible removes the
    directory after the task.
  - In check mode it only plans and reports changed when the node differs from the topology;
    the network is never changed. In diff mode the plan's lines are returned as the diff.
  - The controller loads, renders and validates the topology file (C(topo plan FILE -i INVENTORY)
    does it); the node builds its desired state from the validated document without validating
    or templating it again.
author:
  - topo contributors (!UNKNOWN)
requirements:
  - Python 3.11 or later on the node.
  - On the node, Debian's C(python3-nftables) for labs with Services or impairments.
  - On the controller, topo installed in the Python that runs Ansible (C(pip install 'topo[ansible]')).
options:
  document_b64:
    description:
      - The validated topology document as JSON, base64-encoded (so that Ansible never
        templates it). C(topo plan|apply|destroy FILE -i INVENTORY) sends it.
      - One of O(src), O(document_b64) or O(lab) (with O(state=absent)) is required.
    type: str
  src:
    description:
      - A topology file on the controller. The action plugin renders and validates it there
        (as C(topo validate) does; a file with errors fails the task with every error) and
        sends the node the validated document, as O(document_b64).
    type: path
  checkpoint_b64:
    description:
      - The rendered topology file, base64-encoded, kept on the node as the lab's checkpoint
        once an apply is verified (C(topo apply --rollback) returns to it).
    type: str
  lab:
    description:
      - The lab's name, for O(state=absent) without O(document_b64). Checked with topo's own
        rule for lab names before anything uses it.
    type: str
  node:
    description: The node of the lab this host is (the playbook passes the inventory hostname).
    type: str
    required: true
  state:
    description: V(present) applies the lab, V(absent) destroys it.
    type: str
    choices: [present, absent]
    default: present
  adopt:
    description: Take over existing objects the topology names.
    type: bool
    default: false
  payload:
    description:
      - Where the node-side engine is. The action plugin sets it to the copy it made in the
        remote temporary directory; when given in the task, it is a zipapp on the controller
        to copy instead of the one the controller builds.
    type: path
attributes:
  check_mode:
    description: Plans only (C(topo plan)); never changes the node.
    support: full
  diff_mode:
    description: Returns the plan's lines as the diff.
    support: full
notes:
  - The module's exit is failed for a conflict, a failed apply or an unknown node; the plan is
    returned with it when there is one.
"""

EXAMPLES = r"""
- name: Plan a lab on every node (check mode never changes a node)
  topo.lab.lab:
    src: lab.yaml
    node: "{{ inventory_hostname }}"
  check_mode: true
  diff: true

- name: Apply a lab on every node
  topo.lab.lab:
    src: "{{ playbook_dir }}/lab.yaml"
    node: "{{ inventory_hostname }}"

- name: Destroy the lab pod-network on this node
  topo.lab.lab:
    lab: pod-network
    node: "{{ inventory_hostname }}"
    state: absent
"""

RETURN = r"""
plan:
  description: The plan (topo's JSON plan format, schemas/plan.schema.json) that was, or would be, carried out.
  type: dict
  returned: when the node got as far as planning
  sample: {"format_version": 1, "lab": "two-nodes", "changes_present": false, "nodes": []}
done:
  description: How many of the plan's actions were carried out (0 in check mode).
  type: int
  returned: always
  sample: 18
"""

import base64
import json
import sys

from ansible.module_utils.basic import AnsibleModule

MIN_PYTHON = (3, 11)
ARGUMENT_SPEC = dict(
    document_b64=dict(type="str"),
    checkpoint_b64=dict(type="str"),
    src=dict(type="path"),
    lab=dict(type="str"),
    node=dict(type="str", required=True),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    adopt=dict(type="bool", default=False),
    payload=dict(type="path"),
)


def request_of(params, check_mode):
    """The node-side engine's request (provisioner/node.py) from the module's parameters."""
    request = dict(node=params["node"], state=params["state"], check=check_mode, adopt=params["adopt"])
    if params["document_b64"]:
        request["document"] = json.loads(base64.b64decode(params["document_b64"]).decode())
    if params["checkpoint_b64"]:
        request["checkpoint"] = base64.b64decode(params["checkpoint_b64"]).decode()
    if params["lab"] is not None:
        request["lab"] = params["lab"]
    return request


def prepared(plan):
    """The plan's lines, as `topo plan` words them, for --diff."""
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


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, required_one_of=[["document_b64", "lab", "src"]],
                           supports_check_mode=True)
    p = module.params
    if sys.version_info[:2] < MIN_PYTHON:
        module.fail_json(msg="topo needs Python %d.%d or later on the node; %s is %d.%d (set ansible_python_interpreter)"
                         % (MIN_PYTHON + (sys.executable,) + tuple(sys.version_info[:2])))
    if p["state"] == "present" and not p["document_b64"]:
        module.fail_json(msg="state=present needs document_b64 (the validated topology)")
    if p["src"]:
        module.fail_json(msg="src is read on the controller: run this module as topo.lab.lab (its action plugin)")
    if not p["payload"]:
        module.fail_json(msg="no payload: run this module as topo.lab.lab (its action plugin copies topo's engine)")
    try:
        request = request_of(p, module.check_mode)
    except ValueError as exc:  # bad base64, JSON or UTF-8
        module.fail_json(msg="document_b64 or checkpoint_b64 is not base64 of UTF-8 JSON: %s" % exc)
    cmd = [sys.executable, p["payload"]]
    rc, out, err = module.run_command(cmd, data=json.dumps(request), binary_data=True, environ_update={"NO_COLOR": "1"})
    try:
        answer = json.loads(out)
    except ValueError:
        module.fail_json(msg=(err or out).strip()[-2000:] or "topo's engine printed nothing", rc=rc, cmd=cmd)
    plan = answer.get("plan")
    if rc not in (0, 2) or answer.get("error"):
        module.fail_json(msg=answer.get("error") or "topo's engine failed (exit %d)" % rc, rc=rc, plan=plan,
                         done=answer.get("done", 0), stderr=err)
    result = dict(changed=bool(plan and plan.get("changes_present")), plan=plan, done=answer.get("done", 0))
    if module._diff and plan:
        result["diff"] = dict(prepared=prepared(plan))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
