"""The link kind's diff, case by case (cases/*.yaml): a topology, live facts and a record in,
the plan's lines, conflicts and unmanaged objects out (provisioner/kinds/testing.py)."""

from pathlib import Path

import pytest

from provisioner.kinds.testing import case_files, run_case


@pytest.mark.parametrize("case", case_files(__file__))
def test_link_diff(case: Path) -> None:
    run_case(case)


def test_link_diff_a_root_end_vanishing_with_its_namespace_is_waited_for() -> None:
    plan = run_case(Path(__file__).parent / "cases" / "vanishing_with_namespace.yaml")
    [delete] = [a for a in plan.actions if a.op.value == "delete-link"]
    assert delete.payload.vanishes and delete.payload.name == "veth1"
