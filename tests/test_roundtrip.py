"""Round trips (no kernel): topology data -> model -> `topo` file (provisioner.dump) -> model.

- random valid data (tests/strategies.py) builds a model; `dump_yaml` of it loads back (loader +
  validator, as `topo` reads a file) to an equal model, and data -> model -> dump -> model -> dump
  is a fixed point;
- every example in topologies/ (templates rendered first) round-trips the same way;
- the strategies only make valid data (validate_document: no errors), edits included;
- the fast IPv4 parsers of provisioner.desired agree with the ipaddress module.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any, Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import EXAMPLES
from provisioner.desired import ip_address, ip_interface
from provisioner.diagnostics import Severity
from provisioner.dump import dump_topology, dump_yaml, escape_template
from provisioner.loader import LoadedDocument, Source, load, load_text, render_template
from provisioner.model import Topology
from provisioner.validate import ValidationResult, validate_document
from strategies import render, topology_data, topology_pairs, topology_specs

# derandomize: the same examples on every run (CI is reproducible); no example database
FAST = settings(derandomize=True, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def validate_data(data: Any) -> ValidationResult:
    """validate_document on data that never was a file (positions of problems default to 1:1)."""
    return validate_document(LoadedDocument(Source("<data>", "", "", False), data))


def errors(result: ValidationResult) -> list[str]:
    return [d.render() for d in result.diagnostics if d.severity is Severity.ERROR]


def model_of(data: Any) -> Topology:
    result = validate_data(data)
    assert not errors(result), (data, errors(result))
    assert result.topology is not None
    return result.topology


def model_of_text(text: str, name: str = "dumped.yaml") -> Topology:
    result = validate_document(load_text(name, text))
    assert not errors(result), (text, errors(result))
    assert result.topology is not None
    return result.topology


def assert_round_trip(model: Topology) -> None:
    text = dump_yaml(model)
    assert model_of_text(text) == model, text
    data = dump_topology(model)
    again = model_of(data)
    assert again == model, data
    assert dump_topology(again) == data  # the dump is canonical: a fixed point


def run_counted(test: Callable[..., None], minimum: int, label: str) -> int:
    """Run a @given test, counting its examples; at least `minimum` must have run."""
    count = 0
    inner = test.hypothesis.inner_test  # type: ignore[attr-defined]

    def counting(*args: Any, **kwargs: Any) -> None:
        nonlocal count
        count += 1
        inner(*args, **kwargs)

    test.hypothesis.inner_test = counting  # type: ignore[attr-defined]
    try:
        test()
    finally:
        test.hypothesis.inner_test = inner  # type: ignore[attr-defined]
    print(f"\n{label}: {count} examples")
    assert count >= minimum, f"only {count} examples ran (at least {minimum} wanted)"
    return count


# ---- the strategies make valid data ------------------------------------------------------------

def test_strategy_single_node_data_is_valid() -> None:
    @settings(FAST, max_examples=150)
    @given(topology_data())
    def check(data: dict[str, Any]) -> None:
        model_of(data)
        assert "nodes" not in data  # one implicit node: what a sandbox applies

    run_counted(check, 150, "single-node data valid")


def test_strategy_multi_node_data_is_valid() -> None:
    @settings(FAST, max_examples=60)
    @given(topology_data(max_namespaces=5, max_bridges=3, max_nodes=3, max_links_per_namespace=3))
    def check(data: dict[str, Any]) -> None:
        model_of(data)

    run_counted(check, 60, "multi-node data valid")


def test_strategy_edits_are_valid_and_keep_the_name() -> None:
    @settings(FAST, max_examples=80)
    @given(topology_pairs(max_nodes=2))
    def check(pair: tuple[dict[str, Any], dict[str, Any]]) -> None:
        first, second = pair
        model_of(first)
        model_of(second)
        assert first["name"] == second["name"]
        assert first != second

    run_counted(check, 80, "edited pairs valid")


# ---- model -> file -> model --------------------------------------------------------------------

def test_random_topologies_round_trip() -> None:
    @settings(FAST, max_examples=220)
    @given(topology_specs(max_nodes=3, descriptions=st.text(max_size=30)))
    def check(spec: Any) -> None:
        assert_round_trip(model_of(render(spec)))

    run_counted(check, 200, "random round trips")


@pytest.mark.parametrize(
    "path,overrides",
    [(p, None) for p in EXAMPLES] + [(p, {"pods": "5", "subnet": "10.99.1"}) for p in EXAMPLES if p.name.startswith("07")],
    ids=[p.stem for p in EXAMPLES] + [p.stem + "-vars" for p in EXAMPLES if p.name.startswith("07")],
)
def test_example_round_trips(path: Path, overrides: dict[str, str] | None) -> None:
    doc = load(path, overrides)  # renders the template
    result = validate_document(doc)
    assert result.ok and result.topology is not None, errors(result)
    assert_round_trip(result.topology)


def test_dump_is_short_and_canonical() -> None:
    """What the dump leaves out and where it writes each setting (05 is the flannel lab)."""
    [path] = [p for p in EXAMPLES if p.name.startswith("05")]
    data = dump_topology(validate_document(load(path)).topology)  # type: ignore[arg-type]
    assert data["bridges"] == {"cni0": {"addresses": ["10.42.0.1/24"], "mtu": 1450}}
    assert data["namespaces"]["pod-a"] == {"interfaces": {"eth0": {"addresses": ["10.42.0.106/24"]}},
                                           "routes": [{"to": "default", "via": "10.42.0.1"}]}
    assert data["links"][0] == {"a": "pod-a:eth0", "b": "cni0:veth3b27737c", "mtu": 1450}


def test_dump_escapes_template_markers() -> None:
    model = model_of({"name": "t", "description": "a {{ b }} {% c %} {# d #} {{{ e", "namespaces": {"x": {"description": "{%"}}})
    text = dump_yaml(model)
    assert model_of_text(text) == model
    for tricky in ("{{", "{{{", "{%", "{#", "{{%", "}}", "{{ '{' }}", "{%- raw %}", "a{\n{b"):
        assert render_template("t", escape_template(tricky), {}) == tricky


def test_dump_ipv6_dev_default_route_keeps_its_family() -> None:
    model = model_of({"name": "t", "namespaces": {"a": {"routes": [{"to": "::/0", "dev": "lo"}, {"to": "default", "dev": "lo"}]}}})
    assert dump_topology(model)["namespaces"]["a"]["routes"] == [{"to": "::/0", "dev": "lo"}, {"to": "default", "dev": "lo"}]
    assert_round_trip(model)


def test_dump_vxlan_node_order_and_processes_and_checks() -> None:
    data = {
        "name": "vx",
        "nodes": {n: {"underlay": f"192.0.2.{i}/24", "bridges": {"br": {}}} for i, n in enumerate(["n1", "n2", "n3"], 11)},
        "vxlans": {"vx0": {"vni": 7, "bridge": "br", "nodes": ["n3", "n1"], "port": 8472},
                   "vx1": {"vni": 8, "bridge": "br", "nodes": ["n2", "n1", "n3"]}},
        "namespaces": {"p": {"node": "n1", "processes": {"web": "sleep 1", "db": {"command": "sleep 2", "env": {"A": 1, "B": True},
                                                                                  "user": "nobody"}}}},
        "checks": [{"from": "p", "to": "10.0.0.1", "external": True},  # none of the lab's own (it has no addresses)
                   {"from": "n2", "resolve": "p", "address": "10.0.0.1", "name": "x", "expect": "failure", "timeout": 0.5,
                    "external": True}, {"from": "p", "to": "h", "port": 80, "timeout": 5, "external": True}],
    }
    model = model_of(data)
    out = dump_topology(model)
    assert out["vxlans"] == {"vx0": {"vni": 7, "port": 8472, "bridge": "br", "nodes": ["n1", "n3"]},  # two: any order
                             "vx1": {"vni": 8, "bridge": "br", "nodes": ["n2", "n1", "n3"]}}
    assert out["namespaces"]["p"]["processes"] == {"web": "sleep 1", "db": {"command": "sleep 2", "env": {"A": "1", "B": "1"},
                                                                            "user": "nobody"}}
    assert out["checks"] == [{"from": "p", "to": "10.0.0.1", "external": True},
                             {"name": "x", "from": "n2", "resolve": "p", "address": "10.0.0.1", "expect": "failure", "timeout": 0.5,
                              "external": True},
                             {"from": "p", "to": "h", "port": 80, "timeout": 5, "external": True}]
    assert_round_trip(model)


def test_dump_multi_node_lifts_what_all_nodes_share() -> None:
    data = {
        "name": "two",
        "nodes": {"n1": {"sysctls": {"net.ipv4.ip_forward": 0}}, "n2": {"hosts": {"b": "10.0.0.2"}}},
        "sysctls": {"net.ipv4.ip_forward": 1, "net.core.somaxconn": "1024"},
        "hosts": {"a": ["10.0.0.1", "fd00::1"]},
        "namespaces": {"p": {"node": "n2"}},
    }
    model = model_of(data)
    out = dump_topology(model)
    assert out["sysctls"] == {"net.core.somaxconn": 1024}
    assert out["hosts"] == {"a": ["10.0.0.1", "fd00::1"]}
    assert out["nodes"] == {"n1": {"sysctls": {"net.ipv4.ip_forward": 0}},
                            "n2": {"sysctls": {"net.ipv4.ip_forward": 1}, "hosts": {"b": "10.0.0.2"}}}
    assert_round_trip(model)


# ---- fast IPv4 parsing agrees with ipaddress ---------------------------------------------------

def _octet() -> st.SearchStrategy[str]:
    return st.one_of(st.integers(0, 300).map(str), st.sampled_from(["00", "01", "007", "0x1", "-1", "", " 1", "1 ", "٣", "²"]))


ADDRESS_LIKE = st.one_of(
    st.builds(lambda a, b, c, d: f"{a}.{b}.{c}.{d}", _octet(), _octet(), _octet(), _octet()),
    st.builds(lambda a, b, c, d, p: f"{a}.{b}.{c}.{d}/{p}", _octet(), _octet(), _octet(), _octet(),
              st.one_of(st.integers(-1, 40).map(str), st.sampled_from(["08", "032", "", "255.255.255.0", "0.0.0.255", "1.2", "٣", "24 "]))),
    st.text(st.sampled_from("0123456789./:abcdefx%\n "), max_size=24),
    st.text(max_size=12),
    st.sampled_from(["1.2.3.4\n", "1.2.3.4/24\n", "fd00::1/64", "::ffff:1.2.3.4", "1.2.3", "1.2.3.4.5", "0.0.0.0/0", "255.255.255.255/32"]),
)


def _parse(fn: Callable[[str], Any], text: str) -> tuple[str, Any]:
    try:
        value = fn(text)
    except ValueError:
        return ("ValueError", None)
    return (type(value).__name__, value)


def test_fast_ip_parsers_agree_with_ipaddress() -> None:
    @settings(FAST, max_examples=600)
    @given(ADDRESS_LIKE)
    def check(text: str) -> None:
        fast, slow = _parse(ip_interface, text), _parse(ipaddress.ip_interface, text)
        assert fast == slow, (text, fast, slow)
        if fast[1] is not None:
            assert str(fast[1]) == str(slow[1]) and fast[1].network == slow[1].network
        assert _parse(ip_address, text) == _parse(ipaddress.ip_address, text), text

    run_counted(check, 600, "IPv4 fast parsers")
