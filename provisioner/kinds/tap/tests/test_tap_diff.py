"""The tap kind's diff, case by case (cases/*.yaml): a topology, live facts and a record in,
the plan's lines, conflicts and unmanaged objects out (provisioner/kinds/testing.py)."""

from pathlib import Path

import pytest

from provisioner.kinds.testing import case_files, run_case


@pytest.mark.parametrize("case", case_files(__file__))
def test_tap_diff(case: Path) -> None:
    run_case(case)
