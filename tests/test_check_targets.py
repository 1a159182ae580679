"""What a lab's checks may target, without a kernel: an option is never a target (ping and
getent get it after `--`), a target outside the lab needs `external: true`, a timeout is a
finite number of seconds. Nothing here runs a check: no traffic leaves the test."""

from __future__ import annotations

from typing import Any

import yaml

from provisioner.diagnostics import Severity, format_path
from provisioner.loader import LoadedDocument, Source
from provisioner.model import Check, Place
from provisioner.probes import _argv
from provisioner.validate import ValidationResult, validate_document


def _validate(checks: list[dict[str, Any]], text: str | None = None) -> ValidationResult:
    data = {"name": "targets", "hosts": {"gw": "10.0.0.1"},
            "namespaces": {"pod": {"interfaces": {"lo": {"up": True}, "eth0": {"addresses": ["10.0.0.2/24"]}}}},
            "links": [{"a": "pod:eth0", "b": "host:veth-pod"}], "checks": checks}
    return validate_document(LoadedDocument(Source("<data>", "", "", False), data))


def _errors(result: ValidationResult) -> list[tuple[str, str, str | None]]:
    return [(format_path(d.path), d.message, d.hint) for d in result.diagnostics if d.severity is Severity.ERROR]


def test_an_option_is_not_a_target() -> None:
    [(path, message, _)] = _errors(_validate([{"from": "pod", "to": "-V"}]))
    assert path == "checks[0].to" and "'-V' is not a valid host name" in message
    [(path, message, _)] = _errors(_validate([{"from": "pod", "resolve": "-V"}]))
    assert path == "checks[0].resolve" and "'-V'" in message


def test_probes_pass_the_target_after_double_dash() -> None:
    for kind in ({}, {"resolve": True}):
        argv = _argv(Check("c", Place("host", "pod"), "-V", **kind))  # type: ignore[arg-type]
        assert argv[-2:] == ["--", "-V"], argv


def test_a_target_outside_the_lab_needs_external() -> None:
    [(path, message, hint)] = _errors(_validate([{"from": "pod", "to": "8.8.8.8"}]))
    assert path == "checks[0].to" and message == "8.8.8.8 is not an address of the lab or in a subnet of its interfaces"
    assert hint is not None and "external: true" in hint
    [(path, _, hint)] = _errors(_validate([{"from": "pod", "to": "1.1.1.1", "port": 443}]))
    assert path == "checks[0].to" and hint is not None and "external: true" in hint
    [(path, message, _)] = _errors(_validate([{"from": "pod", "resolve": "example.com"}]))
    assert path == "checks[0].resolve" and "looked up outside the lab" in message
    result = _validate([{"from": "pod", "to": "8.8.8.8", "external": True}, {"from": "pod", "resolve": "example.com", "external": True}])
    assert _errors(result) == [] and result.topology is not None  # validated only: never run
    assert [c.external for c in result.topology.checks] == [True, True]


def test_the_labs_own_targets_need_nothing() -> None:
    own = [{"from": "pod", "to": "10.0.0.1"}, {"from": "pod", "to": "10.0.0.200", "port": 80}, {"from": "pod", "to": "gw"},
           {"from": "pod", "to": "127.0.0.1"}, {"from": "pod", "to": "localhost", "port": 80}, {"from": "host", "to": "10.0.0.2"},
           {"from": "pod", "resolve": "GW", "address": "10.0.0.1"}]
    assert _errors(_validate(own)) == []
    [(path, message, _)] = _errors(_validate([{"from": "host", "to": "127.0.0.1", "port": 22}]))
    assert path == "checks[0].to" and "the node's own loopback" in message


def test_a_timeout_is_a_finite_number_of_seconds() -> None:
    for value in (".nan", ".inf", "-1", "0"):
        result = _validate([{"from": "pod", "to": "10.0.0.1", "timeout": yaml.safe_load(value)}])
        [(path, _, _)] = _errors(result)
        assert path == "checks[0].timeout", value
