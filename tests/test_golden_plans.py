"""Golden plans: `topo plan --json` of every example (clean, applied, after each drift case of
tests/test_drift.py), of each node of the multi-node example planned on its own machine, and of
the 100-pod bench lab, byte for byte as saved in tests/golden/plans/ (cases: tests/golden/cases.py).

A mismatch means the planner's output changed. If that was meant, regenerate the files
(tests/golden/make.py says how) and review their diff; if not, fix the code.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from golden.cases import PLANS, GoldenLab, case_names, golden_file, golden_labs, plan_lab
from sandbox import Sandbox

LABS = golden_labs()


def mismatch(case: str, want: str | None, got: str) -> str:
    if want is None:
        return f"{case}: no golden file {golden_file(case)} (tests/golden/make.py writes it)"
    diff = difflib.unified_diff(want.splitlines(True), got.splitlines(True), f"{case} (golden)", f"{case} (now)")
    return "".join(diff)


@pytest.mark.kernel
@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.name)
def test_plans_match_golden_files(sandbox: Sandbox, tmp_path: Path, lab: GoldenLab) -> None:
    got = plan_lab(sandbox, lab, tmp_path / "lab")
    assert list(got) == case_names(lab)
    wrong = []
    for case, text in got.items():
        file = golden_file(case)
        want = file.read_text() if file.exists() else None
        if want != text:
            wrong.append(mismatch(case, want, text))
    if wrong:
        pytest.fail(f"{len(wrong)} of {len(got)} plans differ from their golden files:\n" + "\n".join(wrong), pytrace=False)


def test_every_golden_file_belongs_to_a_case() -> None:
    cases = {golden_file(c) for lab in LABS for c in case_names(lab)}
    stale = sorted(p.name for p in PLANS.glob("*.json") if p not in cases)
    assert not stale, f"golden files of no case (tests/golden/make.py removes them): {stale}"
    assert len(cases) == 50  # 14 local examples x 2 + 2 nodes x 2 + bench x 2 + 16 drift cases
