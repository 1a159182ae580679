"""The topo.lab collection (provisioner/ansible_collections/topo/lab) is a real Ansible collection
(root-free): ansible-doc reads its module's documentation, ansible-galaxy builds it and installs
the built tarball, and the installed copy's documentation reads the same."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from sandbox import REPO, VENV_BIN

COLLECTION = REPO / "provisioner" / "ansible_collections" / "topo" / "lab"


def tool(name: str, *args: str, tmp_path: Path, collections: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ANSIBLE_HOME": str(tmp_path / "ansible-home"), "ANSIBLE_LOCAL_TEMP": str(tmp_path / "tmp"),
           "ANSIBLE_COLLECTIONS_PATH": str(collections), "ANSIBLE_NOCOLOR": "1", "ANSIBLE_CONFIG": str(tmp_path / "none.cfg")}
    return subprocess.run([str(VENV_BIN / name), *args], capture_output=True, text=True, env=env, timeout=120)


def test_ansible_doc_reads_the_module(tmp_path: Path) -> None:
    res = tool("ansible-doc", "--json", "topo.lab.lab", tmp_path=tmp_path, collections=REPO / "provisioner")
    assert res.returncode == 0, res.stderr
    import json

    doc = json.loads(res.stdout)["topo.lab.lab"]
    assert set(doc["doc"]["options"]) == {"document_b64", "checkpoint_b64", "src", "lab", "node", "state", "adopt", "payload"}
    assert doc["examples"] and "plan" in doc["return"] and doc["doc"]["has_action"] is True


def test_galaxy_builds_and_installs_the_collection(tmp_path: Path) -> None:
    built = tool("ansible-galaxy", "collection", "build", str(COLLECTION), "--output-path", str(tmp_path),
                 tmp_path=tmp_path, collections=tmp_path / "none")
    assert built.returncode == 0, built.stdout + built.stderr
    tarball = tmp_path / "topo-lab-0.1.0.tar.gz"
    assert tarball.exists(), built.stdout
    into = tmp_path / "collections"
    installed = tool("ansible-galaxy", "collection", "install", str(tarball), "-p", str(into), tmp_path=tmp_path,
                     collections=into)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert (into / "ansible_collections" / "topo" / "lab" / "plugins" / "action" / "lab.py").exists()
    listed = tool("ansible-galaxy", "collection", "list", "topo.lab", tmp_path=tmp_path, collections=into)
    assert "0.1.0" in listed.stdout, listed.stdout + listed.stderr
    doc = tool("ansible-doc", "topo.lab.lab", tmp_path=tmp_path, collections=into)
    assert doc.returncode == 0 and str(into) in doc.stdout, doc.stdout + doc.stderr
