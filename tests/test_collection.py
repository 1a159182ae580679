"""The topo.lab collection (provisioner/ansible_collections/topo/lab) is a real Ansible collection
(root-free): ansible-doc reads its module's documentation, ansible-galaxy builds it and installs
the built tarball, and the installed copy's documentation reads the same."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from ansible_sanity import prime
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


PRIME_WAIT = 1200  # seconds: scripts/test.sh has setup prime ansible-test's environments beside the first tests


@pytest.fixture
def primed() -> None:
    """ansible-test's sanity environments (tests/ansible_sanity/prime.py, run by scripts/setup.sh),
    waiting for them while setup still makes them in the background (scripts/test.sh)."""
    home = prime.ANSIBLE_TEST_HOME
    assert (VENV_BIN / "ansible-test").exists(), "ansible-test is not installed (the ansible extra): run scripts/setup.sh"
    deadline = time.monotonic() + PRIME_WAIT
    while not (home / ".primed").exists():
        if (home / ".prime-failed").exists():
            log = home / "prime.log"
            pytest.fail(f"priming ansible-test's environments failed:\n{log.read_text()[-3000:] if log.exists() else ''}")
        assert (home / ".priming").exists(), f"ansible-test's environments are not primed in {home}: run scripts/setup.sh"
        assert time.monotonic() < deadline, f"ansible-test's environments still not primed after {PRIME_WAIT} s"
        time.sleep(1)


def test_ansible_test_sanity_passes(tmp_path: Path) -> None:
    """Every sanity test ansible-test runs by default (validate-modules, pylint, pep8, yamllint,
    import, ansible-doc, compile, action-plugin-docs, ...), from primed environments, offline."""
    res = prime.sanity(prime.collection_copy(tmp_path))
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-4000:]
    ran = {line.split('"')[1] for line in res.stdout.splitlines() if line.startswith("Running sanity test ")}
    assert {"validate-modules", "pylint", "pep8", "yamllint", "import", "ansible-doc", "action-plugin-docs"} <= ran, ran


def test_ansible_test_sanity_finds_a_broken_documentation(primed: None, tmp_path: Path) -> None:
    copy = prime.collection_copy(tmp_path)
    module = copy / "plugins" / "modules" / "lab.py"
    text = module.read_text()
    assert "    required: true\n" in text
    module.write_text(text.replace("    required: true\n", "", 1))  # node: required in the code, not in DOCUMENTATION
    res = prime.sanity(copy, "--test", "validate-modules")
    assert res.returncode != 0 and "plugins/modules/lab.py" in res.stdout + res.stderr, res.stdout + res.stderr
    assert "doc-required-mismatch" in res.stdout + res.stderr, res.stdout + res.stderr
