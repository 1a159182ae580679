# -*- coding: utf-8 -*-
# Copyright (c) topo contributors
# MIT License (see https://opensource.org/license/mit)
"""Action plugin of topo.lab.lab: ship topo's node-side engine with the module, as Ansible ships modules.

On the controller: the payload (a zipapp of topo's engine, provisioner/payload.py, built once
per topo version and cached) is copied into the remote temporary directory Ansible made for the
task; the module runs it there; the directory is removed after the task, whatever the outcome.
"""

from __future__ import annotations

import base64
import json

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

PAYLOAD_NAME = "topo-node.pyz"


def controller_payload():
    """The payload's path on the controller, built by the topo of the Python running Ansible."""
    try:
        from provisioner.payload import cached
    except ImportError as exc:
        raise AnsibleActionFail("topo.lab.lab needs topo installed in the Python that runs Ansible "
                                "(pip install 'topo[ansible]'), or the payload option: %s" % exc)
    try:
        return str(cached())
    except OSError as exc:
        raise AnsibleActionFail("cannot build topo's node payload: %s" % exc)


def validated(src, send_checkpoint):
    """The module's document_b64 (and checkpoint_b64) for topology file `src`, rendered and
    validated here by topo; a file with errors fails the task with every error."""
    try:
        from provisioner.validate import validate_file
    except ImportError as exc:
        raise AnsibleActionFail("src needs topo installed in the Python that runs Ansible "
                                "(pip install 'topo[ansible]'): %s" % exc)
    result = validate_file(src)
    if not result.ok or result.document is None:
        raise AnsibleActionFail("%s is not a valid topology:\n%s" % (src, "\n".join(d.render() for d in result.diagnostics)))
    out = {"document_b64": base64.b64encode(json.dumps(result.document.data).encode()).decode()}
    if send_checkpoint:
        out["checkpoint_b64"] = base64.b64encode(result.document.source.rendered.encode()).decode()
    return out


class ActionModule(ActionBase):
    TRANSFERS_FILES = True  # Ansible makes the remote temporary directory before run()
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp  # unused: the shell's tmpdir is the one made for this task
        args = dict(self._task.args)
        local = args.pop("payload", None) or controller_payload()
        src = args.pop("src", None)
        if src:
            args.update(validated(src, args.get("state", "present") == "present" and not self._task.check_mode))
        tmpdir = self._connection._shell.tmpdir or self._make_tmp_path()
        try:
            remote = self._connection._shell.join_path(tmpdir, PAYLOAD_NAME)
            self._transfer_file(local, remote)
            self._fixup_perms2((tmpdir, remote))
            args["payload"] = remote
            result.update(self._execute_module(module_name="topo.lab.lab", module_args=args, task_vars=task_vars))
        finally:
            self._remove_tmp_path(tmpdir, force=True)
        return result
