"""Check results for people (a table), for CI (JUnit XML) and for programs (JSON)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING, Any

from ..probes import CheckResult

if TYPE_CHECKING:
    from rich.console import Console


def _status(r: CheckResult) -> str:
    return "skipped" if r.skipped else ("passed" if r.passed else "FAILED")


def render_table(console: "Console", lab: str, results: list[CheckResult]) -> None:
    from rich.table import Table

    table = Table(title=f"checks of lab {lab}", title_justify="left")
    for col in ("check", "from", "kind", "expect", "result", "detail"):
        table.add_column(col)
    for r in results:
        c = r.check
        style = None if r.skipped else ("green" if r.passed else "bold red")
        table.add_row(c.name, c.place.netns or c.place.node, c.kind, "success" if c.expect_success else "failure",
                      _status(r), r.detail, style=style)
    console.print(table)
    failed = sum(1 for r in results if not r.passed)
    ran = sum(1 for r in results if not r.skipped)
    console.print(f"{ran - failed} passed, {failed} failed" + (f", {len(results) - ran} skipped" if ran < len(results) else ""),
                  style="bold red" if failed else "bold green", markup=False)


def to_json(lab: str, results: list[CheckResult]) -> dict[str, Any]:
    return {
        "lab": lab,
        "passed": all(r.passed for r in results),
        "checks": [{"name": r.check.name, "from": r.check.place.netns or r.check.place.node, "node": r.check.place.node,
                    "kind": r.check.kind, "target": r.check.target, "port": r.check.port,
                    "expect": "success" if r.check.expect_success else "failure", "result": _status(r).lower(),
                    "detail": r.detail, "seconds": round(r.seconds, 3)} for r in results],
    }


def to_junit(lab: str, results: list[CheckResult]) -> str:
    """JUnit XML (one testsuite, one testcase per check), as CI systems read it."""
    failures = sum(1 for r in results if not r.passed)
    skipped = sum(1 for r in results if r.skipped)
    suite = ET.Element("testsuite", name=f"topo checks: {lab}", tests=str(len(results)), failures=str(failures),
                       errors="0", skipped=str(skipped), time=f"{sum(r.seconds for r in results):.3f}")
    for r in results:
        case = ET.SubElement(suite, "testcase", classname=f"topo.{lab}", name=r.check.name, time=f"{r.seconds:.3f}")
        if r.skipped:
            ET.SubElement(case, "skipped", message=r.detail)
        elif not r.passed:
            want = "success" if r.check.expect_success else "failure"
            ET.SubElement(case, "failure", message=f"expected {want}: {r.detail}").text = r.detail
    ET.indent(suite)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"
