"""The impair kind, root-free: impairments are written back where the file gave them (a link's,
an end's, a namespace's by interface name), every setting in a form the builder reads back to the
same values; a captured impairment (no path) goes on its link when both ends share it, else on its end."""

from __future__ import annotations

from dataclasses import replace

from provisioner.dump import dump_topology, dump_yaml
from provisioner.kinds.testing import topology

LAB = """
name: imp
namespaces:
  left: {}
  right:
    impair:
      eth1: {delay: 20ms, jitter: 2ms, loss: {percent: '1.5%', correlation: 25}, reorder: 0}
links:
  - a: left:eth0
    b: right:eth0
    impair: {rate: 10mbit, limit: 100}
  - a: {at: left:eth1, impair: {duplicate: 2, corrupt: 0.1, rate: 1500kbit}}
    b: right:eth1
  - a: {at: left:eth2, addresses: [10.0.0.1/24], impair: {rate: 1mbit}}
    b: {at: right:eth2, impair: {rate: 1mbit}}
"""


def test_impair_dump_writes_each_where_the_file_had_it() -> None:
    model = topology(LAB)
    data = dump_topology(model)
    links = data["links"]
    assert links[0] == {"a": "left:eth0", "b": "right:eth0", "impair": {"rate": "10mbit", "limit": 100}}
    assert links[1] == {"a": {"at": "left:eth1", "impair": {"rate": "1500kbit", "duplicate": 2.0, "corrupt": 0.1}}, "b": "right:eth1"}
    assert links[2] == {"a": {"at": "left:eth2", "impair": {"rate": "1mbit"}}, "b": {"at": "right:eth2", "impair": {"rate": "1mbit"}}}
    assert data["namespaces"]["right"]["impair"] == {
        "eth1": {"delay": "20ms", "jitter": "2ms", "loss": {"percent": 1.5, "correlation": 25.0}, "reorder": 0.0}}
    again = topology(dump_yaml(model))
    assert again == model
    assert [i.path for i in again.impairments] == [i.path for i in model.impairments]
    assert dump_topology(again) == data


def test_impair_dump_places_a_captured_impairment() -> None:
    model = topology(LAB)
    model.impairments[:] = [replace(i, path=()) for i in model.impairments]
    data = dump_topology(model)
    assert data["links"][0]["impair"] == {"rate": "10mbit", "limit": 100}
    assert data["links"][1]["a"] == {"at": "left:eth1", "impair": {"rate": "1500kbit", "duplicate": 2.0, "corrupt": 0.1}}
    assert data["links"][1]["b"] == {"at": "right:eth1", "impair": {"delay": "20ms", "jitter": "2ms", "loss": {"percent": 1.5, "correlation": 25.0}, "reorder": 0.0}}
    assert data["links"][2]["impair"] == {"rate": "1mbit"}
    assert "impair" not in data["namespaces"]["right"]
    again = topology(dump_yaml(model))
    assert sorted(again.impairments, key=str) == sorted(model.impairments, key=str)  # the link's now come first
    assert replace(again, impairments=[]) == replace(model, impairments=[])
