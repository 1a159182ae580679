"""Fuzzing the loader and validator: mutated example files and templates, arbitrary YAML.

In process (fast, fixed seeds, hundreds of cases each):
- byte-level and token-level mutations of every example (topologies/) and golden-corpus file
  (byte flips, truncation, inserted tabs/colons/brackets/Jinja2 markers and snippets, duplicated
  and re-indented lines, random unicode, huge numbers, anchors/aliases/merge keys, YAML tags),
  read from a file through `validate_file` (so the file checks of `read_text` run too);
- hypothesis-generated YAML documents: arbitrary structures, and random edits of valid
  topologies (tests/strategies.py) at any place of the tree (values, keys of any type, deletions);
the oracle: nothing raises; an invalid document has at least one error, and every diagnostic
has a line and column >= 1 (within the file for a plain YAML file) and a message; a valid one
round-trips through `provisioner.dump` to an equal model.

Through the CLI (a smaller number, in ONE sandbox): `topo validate` and `topo plan` exit with 0
or 1 (plan: 2 for a valid file, changes to make), never print a traceback, every exit 1 of an
invalid file says FILE:LINE:COL:, and the sandbox's network state is the same afterwards.

The bugs the fuzzer found (KNOWN_BUGS, with a classifier) are fixed and their reproducers at
the end are regression tests; any crash fails the run (TOPO_FUZZ_STRICT=0 would only count the
classified ones, for triage of a new finding).
"""

from __future__ import annotations

import collections
import os
import random
import re
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import EXAMPLES
from provisioner.diagnostics import Severity, TopoError
from provisioner.dump import dump_yaml
from provisioner.loader import LoadedDocument, load, load_text
from provisioner.validate import ValidationResult, validate_document, validate_file
from sandbox import REPO, TOPO, Sandbox
from strategies import topology_data

SEED = 20251125
STRICT = os.environ.get("TOPO_FUZZ_STRICT", "1") == "1"  # every known bug is fixed: any crash fails
CORPUS = sorted((REPO / "tests" / "corpus").glob("*.yaml"))
SEEDS: list[tuple[str, bytes]] = [(p.name, p.read_bytes()) for p in EXAMPLES + CORPUS]
FAST = settings(derandomize=True, database=None, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
MARKERS = ("{{", "{%", "{#")


# ---- known bugs (see the xfail reproducers at the end) ---------------------------------------

KNOWN_BUGS: dict[str, str] = {
    "yaml-tag-constructor": "a scalar with an explicit tag PyYAML cannot construct (`!!int abc`, `!!bool maybe`, "
                            "`!!timestamp x`, `!!float x`, `!!int ²`) raises ValueError/KeyError/... out of yamlpos.load_yaml",
    "non-string-key": "a mapping key that YAML reads as int/float/bool/null (`namespaces: {123: {}}`, `hosts: {1: ...}`, "
                      "`sysctls: {1: 1}`, `bridges: {5: {}}`, `nodes: {1: {}}`) passes the schema and crashes desired.py "
                      "(TypeError/AttributeError wherever a name is used as a string)",
    "jinja-huge-constant": "a template constant over 4300 digits (`{{ 10**5000 }}`) raises ValueError while Jinja2 compiles",
    "jinja-unbounded-arithmetic": "the sandboxed template may compute without bound: `{{ 7**(7**9) }}` runs for minutes "
                                  "(constant folding at compile time), `{{ 'x' * 10**10 }}` allocates 10 GB before the "
                                  "10 MiB output limit is checked (MemoryError, or the OOM killer)",
}


def has_non_string_key(value: Any) -> bool:
    if isinstance(value, dict):
        return any(not isinstance(k, str) or has_non_string_key(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_non_string_key(v) for v in value)
    return False


def classify(exc: BaseException, data: Any = None) -> str | None:
    """Which known bug an exception is, from where it was raised (and the document's data,
    when it was parsed); None for a new one."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [(Path(f.filename).name, f.name) for f in frames if "/provisioner/" in f.filename]
    last = ours[-1] if ours else None
    if last == ("yamlpos.py", "load_yaml") and any(f.filename.endswith("yaml/constructor.py") for f in frames):
        return "yaml-tag-constructor"
    if (last is not None and last[0] in ("desired.py", "checks.py") and isinstance(exc, (TypeError, AttributeError))
            and has_non_string_key(data)):
        return "non-string-key"
    if last == ("loader.py", "render_template") and isinstance(exc, ValueError) and "integer string conversion" in str(exc):
        return "jinja-huge-constant"
    return None


# ---- the oracle --------------------------------------------------------------------------------

@dataclass
class Tally:
    """Outcomes of a fuzz run (printed, and the number of cases asserted)."""

    outcomes: collections.Counter[str] = field(default_factory=collections.Counter)

    @property
    def cases(self) -> int:
        return sum(self.outcomes.values())

    def report(self, what: str, minimum: int) -> None:
        print(f"\n{what}: {self.cases} cases: {dict(sorted(self.outcomes.items()))}")
        assert self.cases >= minimum, f"only {self.cases} cases ran (at least {minimum} wanted)"


def check_result(result: ValidationResult, name: str, text: str | None) -> str:
    """The oracle for one document; returns 'valid' or 'invalid'."""
    assert result.file == name
    for d in result.diagnostics:
        assert d.file == name, d
        assert d.line >= 1 and d.column >= 1, d.render()
        assert d.message.strip(), d
        if text is not None and not any(m in text for m in MARKERS):  # a plain file: the position is in it
            assert d.line <= text.count("\n") + 2, (d.render(), text)
    if result.ok:
        assert result.topology is not None
        model = result.topology
        dumped = dump_yaml(model)
        again = validate_document(load_text("dumped.yaml", dumped))
        assert again.ok and again.topology == model, (dumped, [d.render() for d in again.diagnostics])
        return "valid"
    assert result.topology is None
    assert any(d.severity is Severity.ERROR for d in result.diagnostics), result.diagnostics
    return "invalid"


def guarded(tally: Tally, run: Callable[[], str]) -> None:
    try:
        tally.outcomes[run()] += 1
    except AssertionError:
        raise
    except Exception as exc:  # noqa: BLE001 - a crash of the code under test
        bug = classify(exc, getattr(exc, "topo_data", None))
        if bug is None or STRICT:
            raise
        tally.outcomes[f"known bug: {bug}"] += 1


def validated(doc: LoadedDocument) -> ValidationResult:
    """validate_document; a crash carries the document's data (for `classify`)."""
    try:
        return validate_document(doc)
    except Exception as exc:
        exc.topo_data = doc.data  # type: ignore[attr-defined]
        raise


def check_text(name: str, text: str) -> str:
    try:
        doc = load_text(name, text)
    except TopoError as exc:
        result = ValidationResult(name, None, exc.diagnostics)
        assert result.diagnostics, "TopoError without a diagnostic"
        return check_result(result, name, text)
    return check_result(validated(doc), name, text)


def check_file(path: Path, raw: bytes) -> str:
    try:
        text: str | None = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and ("\x00" in text or text.startswith("\ufeff")):
        text = None  # refused before parsing / positions shift: no line bound
    try:
        result = validate_file(path)
    except Exception as exc:
        try:
            exc.topo_data = load(path).data  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - the crash was in loading
            pass
        raise
    return check_result(result, str(path), text)


# ---- mutations ---------------------------------------------------------------------------------

INSERTS = [b"\t", b":", b": ", b" :", b"[", b"]", b"{", b"}", b"{{", b"{%", b"{#", b"}}", b"%}", b"#}", b"- ", b"\n- ",
           b"&a ", b"*a", b"*nope", b"<<: *a\n", b"<<: [1]\n", b"? ", b"|", b">-", b"'", b'"', b"#", b"\\", b",", b"!",
           b"!!int ", b"!!str ", b"!!binary ", b"!!python/object/apply:os.system ", b"!local ", b"---\n", b"...\n",
           b"%YAML 1.1\n", b"%TAG ! tag:x:\n", b"\x00", b"\xff", b"\xc3", b"\r", b"\r\n", "\ufeff".encode(),
           "\u2028".encode(), "\x85".encode(), b"\x1b[31m", b"~", b"null", b"@", b"`", b"%"]
# Jinja2 snippets inserted by the mutator. None multiplies or raises to a power, and none takes a
# count (lipsum): another mutation may turn a number into a huge one, and those would run for
# minutes or allocate gigabytes (see KNOWN_BUGS "jinja-unbounded-arithmetic"); HOSTILE_TEMPLATES
# has the bounded hostile cases.
JINJA = ["{{ x }}", "{{ pods }}", "{{ 1/0 }}", "{{ pods + 'x' }}", "{% for i in range(3) %}", "{% endfor %}", "{% if %}",
         "{% if pods %}a{% else %}b{% endif %}", "{{ ''.__class__.__mro__ }}", "{{ range(1000000)|list }}",
         "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}", "{{ {}.x.y }}", "{# unclosed", "{% raw %}", "{% endraw %}",
         "{% include 'x.yaml' %}", "{% import 'os' as os %}", "{% extends 'base' %}", "{{ cycler(1, 2).next() }}",
         "{% set pods = 'many' %}", "{{ namespace(a=1).a }}", "{{ x|nosuchfilter }}", "{{ [1,2]|join(',') }}",
         "{%- for i in range(2) -%}\n  - {a: 'p{{ i }}:e', b: 'q{{ i }}:e'}\n{%- endfor %}",
         "{{ '%s' % pods }}", "{{ self }}", "{{ config }}", "{{ request }}", "{{ pods.__class__ }}",
         "{% for k, v in vars.items() %}{{ k }}{% endfor %}", "{{ 'x'|e }}", "{% filter upper %}x{% endfilter %}"]
HOSTILE_TEMPLATES = [
    "name: x\ndescription: \"{{ 'a' * 11000000 }}\"\n",  # over the 10 MiB output limit in one chunk
    "name: x\n{% for i in range(10**6) %}{% endfor %}\n",  # the sandbox's range limit
    "name: x\n{% for i in range(99999) %}{{ 'x' * 200 }}{% endfor %}\n",  # over the limit, chunk by chunk
    "name: x\n{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}\n",  # RecursionError
    "name: x\ndescription: \"{{ ''.__class__.__mro__[1].__subclasses__() }}\"\n",  # sandbox escape: SecurityError
    "name: x\ndescription: \"{{ cycler.__init__.__globals__ }}\"\n",
    "name: x\ndescription: \"{{ 9**9**9 }}\"\n",  # left-associative: (9**9)**9, small
    "name: x\ndescription: \"{{ 10**4000 }}\"\n",  # just under Python's 4300-digit str limit
    "name: x\nvars: {n: 3}\nnamespaces:\n{% for i in range(n) %}  p{{ i }}: {}\n{% endfor %}",
    "vars: [1]\nname: x\n{{ 1 }}\n",
    "vars: {a: &a [1], b: *a}\nname: '{{ a|length }}'\n",
    "name: x\n{{ '\\n' * 100000 }}\n",
]
SCALARS = ["null", "~", "true", "no", "0", "-1", "1.5", ".nan", "-.inf", "0x1F", "0o17", "1_000", "2001-01-01",
           "2001-12-14t21:59:43.10-05:00", "[]", "{}", "''", "' '", "a b", "::", "host:eth0:x", "300.1.1.1/24", "10.0.0.1/33",
           "10.0.0.1", "fd00::1/64", "fe80::1%eth0/64", "default", "9" * 30, "-" + "9" * 400, "1e999", "99999999999999999999",
           "ä", "\U0001f600", "lo", "host", "eth0:", ":eth0", "a" * 70, "net.ipv4.ip_forward", "*a", "&a x", "!!int 1",
           "!!int abc", "!!bool maybe", "!!float x", "!!timestamp x", "!!binary AAAA", "!!binary !!", "!!null x",
           "!!map {}", "!!seq []", "!!set {a}", "!!omap [a: 1]", "{a: 1, a: 2}", "[a, [b, [c]]]"]
BOMB = "bomb0: &b0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"bomb{i}: &b{i} [*b{i - 1}, *b{i - 1}, *b{i - 1}, *b{i - 1}, *b{i - 1}, *b{i - 1}, *b{i - 1}, *b{i - 1}, *b{i - 1}, *b{i - 1}]\n"
    for i in range(1, 8))


def _lines(b: bytes) -> list[bytes]:
    return b.splitlines(keepends=True) or [b""]


def m_flip(rng: random.Random, b: bytes) -> bytes:
    if not b:
        return b
    i = rng.randrange(len(b))
    return b[:i] + bytes([b[i] ^ (1 << rng.randrange(8))]) + b[i + 1:]


def m_truncate(rng: random.Random, b: bytes) -> bytes:
    return b[: rng.randrange(len(b) + 1)]


def m_insert(rng: random.Random, b: bytes) -> bytes:
    i = rng.randrange(len(b) + 1)
    return b[:i] + rng.choice(INSERTS) + b[i:]


def m_jinja(rng: random.Random, b: bytes) -> bytes:
    i = rng.randrange(len(b) + 1)
    return b[:i] + rng.choice(JINJA).encode() + b[i:]


def m_dup_line(rng: random.Random, b: bytes) -> bytes:
    lines = _lines(b)
    i = rng.randrange(len(lines))
    return b"".join(lines[: i + 1] + [lines[i]] + lines[i + 1:])


def m_del_line(rng: random.Random, b: bytes) -> bytes:
    lines = _lines(b)
    del lines[rng.randrange(len(lines))]
    return b"".join(lines)


def m_swap_lines(rng: random.Random, b: bytes) -> bytes:
    lines = _lines(b)
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    lines[i], lines[j] = lines[j], lines[i]
    return b"".join(lines)


def m_indent(rng: random.Random, b: bytes) -> bytes:
    lines = _lines(b)
    i = rng.randrange(len(lines))
    lines[i] = rng.choice([b" ", b"  ", b"\t", b"    "]) + lines[i] if rng.random() < 0.6 else lines[i].lstrip(b" ")
    return b"".join(lines)


def m_unicode(rng: random.Random, b: bytes) -> bytes:
    cp = rng.choice([rng.randrange(0x80, 0x800), rng.randrange(0x800, 0x10000), rng.randrange(0x10000, 0x110000),
                     rng.randrange(0, 0x20), rng.randrange(0xD800, 0xE000), 0xFEFF, 0xFFFE, 0x2028, 0x85])
    piece = chr(cp).encode("utf-8", "surrogatepass")  # a lone surrogate: not valid UTF-8
    i = rng.randrange(len(b) + 1)
    return b[:i] + piece + b[i:]


def m_scalar(rng: random.Random, b: bytes) -> bytes:
    """Replace one value (after `: `, or a flow-list item) with another type or a huge number."""
    spots = [m.end() for m in re.finditer(rb"(: |\[|, )", b)]
    if not spots:
        return m_insert(rng, b)
    i = rng.choice(spots)
    end = i
    while end < len(b) and b[end:end + 1] not in (b",", b"]", b"}", b"\n"):
        end += 1
    return b[:i] + rng.choice(SCALARS).encode() + b[end:]


def m_number(rng: random.Random, b: bytes) -> bytes:
    runs = list(re.finditer(rb"\d+", b))
    if not runs:
        return m_insert(rng, b)
    m = rng.choice(runs)
    return b[: m.start()] + rng.choice([b"9" * rng.randrange(10, 5000), b"0", b"-1", b"65536", b"4294967296", b"1e9",
                                        b"00", b"256", b"0x10"]) + b[m.end():]


def m_anchor(rng: random.Random, b: bytes) -> bytes:
    extra = rng.choice([
        "x-anchor: &a {up: true}\n", "x-list: &a [10.0.0.1/24]\n", BOMB, "ref: *a\n",
        "namespaces: &ns {p: {}}\nother: *ns\n", "base: &base {mtu: 1400}\nbridges: {b1: {<<: *base}}\n",
        "bridges: {b1: {<<: [*x, *y]}}\n", "a: &a\n  b: *a\n",
    ]).encode()
    lines = _lines(b)
    i = rng.randrange(len(lines) + 1)
    return b"".join(lines[:i] + [extra] + lines[i:])


MUTATORS = [m_flip, m_truncate, m_insert, m_jinja, m_dup_line, m_del_line, m_swap_lines, m_indent, m_unicode,
            m_scalar, m_number, m_anchor]


def mutated_cases(count: int, seed: int = SEED) -> list[tuple[str, bytes]]:
    """`count` deterministic mutants of the seed files: 1 to 3 mutations each."""
    rng = random.Random(seed)
    out = []
    for k in range(count):
        name, raw = SEEDS[k % len(SEEDS)]
        for _ in range(rng.choice([1, 1, 2, 3])):
            raw = rng.choice(MUTATORS)(rng, raw)
        out.append((f"{k:04d}-{name}", raw))
    return out


# ---- in process --------------------------------------------------------------------------------

def test_mutated_files(tmp_path: Path) -> None:
    tally = Tally()
    for name, raw in mutated_cases(700):
        path = tmp_path / name
        path.write_bytes(raw)
        guarded(tally, lambda: check_file(path, raw))
    tally.report("mutated example and corpus files", 700)
    assert tally.outcomes["valid"] >= 20 and tally.outcomes["invalid"] >= 300


def test_hostile_templates() -> None:
    tally = Tally()
    for i, text in enumerate(HOSTILE_TEMPLATES):
        guarded(tally, lambda: check_text(f"hostile-{i}.yaml", text))
    tally.report("hostile templates", len(HOSTILE_TEMPLATES))


def test_seed_files_unchanged(tmp_path: Path) -> None:
    """The seeds themselves: examples valid, corpus files invalid, each with located diagnostics."""
    tally = Tally()
    for name, raw in SEEDS:
        path = tmp_path / name
        path.write_bytes(raw)
        guarded(tally, lambda: check_file(path, raw))
    tally.report("seed files", len(SEEDS))
    assert tally.outcomes["valid"] >= len(EXAMPLES) and tally.outcomes["invalid"] >= len(CORPUS)


KEYS = st.one_of(
    st.sampled_from(["name", "description", "vars", "nodes", "namespaces", "bridges", "links", "vxlans", "routes", "sysctls",
                     "hosts", "interfaces", "addresses", "mtu", "mac", "up", "a", "b", "at", "to", "via", "dev", "metric",
                     "onlink", "src", "node", "vni", "bridge", "underlay", "<<", "lo", "eth0", "host"]),
    st.text(max_size=8), st.integers(-5, 10**6), st.booleans(), st.none(), st.floats(allow_nan=False, width=16),
)
SCALAR_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(), st.text(max_size=16),
    st.sampled_from(["default", "10.0.0.1/24", "10.0.0.1", "fd00::1/64", "host:eth0", "lo", "net.ipv4.ip_forward",
                     "02:00:00:00:00:01", "01:00:5e:00:00:01", "{{ x }}", "{% if %}", "a:b:c", ""]),
)
YAML_VALUES = st.recursive(SCALAR_VALUES, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                                   st.dictionaries(KEYS, inner, max_size=4)), max_leaves=20)
DOCUMENTS = st.one_of(
    YAML_VALUES,
    st.fixed_dictionaries({"name": st.one_of(st.sampled_from(["lab", "x"]), SCALAR_VALUES)},
                          optional={k: YAML_VALUES for k in ("namespaces", "bridges", "links", "routes", "sysctls", "hosts",
                                                             "nodes", "vxlans", "vars", "description")}),
)


def _dump(doc: Any, flow: bool | None, unicode: bool) -> str:
    return yaml.safe_dump(doc, default_flow_style=flow, allow_unicode=unicode, sort_keys=False)


def test_arbitrary_yaml_documents() -> None:
    tally = Tally()

    @settings(FAST, max_examples=250)
    @given(DOCUMENTS, st.sampled_from([None, False, True]), st.booleans())
    def check(doc: Any, flow: bool | None, unicode: bool) -> None:
        text = _dump(doc, flow, unicode)
        guarded(tally, lambda: check_text("fuzz.yaml", text))

    check()
    tally.report("arbitrary YAML documents", 250)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, path + (i,))
    return out


@st.composite
def edited_documents(draw: st.DrawFn) -> Any:
    """A valid topology with 1 to 3 random edits anywhere in its tree."""
    doc = draw(topology_data(max_nodes=2))
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(doc)
        path = paths[draw(st.integers(0, len(paths) - 1))]
        op = draw(st.sampled_from(["replace", "replace", "delete", "add-key", "rename-key", "key-type"]))
        if not path:
            doc = draw(YAML_VALUES) if op == "replace" else doc
            continue
        parent = doc
        for part in path[:-1]:
            parent = parent[part]
        last = path[-1]
        if op == "replace":
            parent[last] = draw(YAML_VALUES)
        elif op == "delete":
            del parent[last]
        elif op == "add-key" and isinstance(parent[last], dict):
            parent[last][draw(KEYS)] = draw(YAML_VALUES)
        elif op == "rename-key" and isinstance(parent, dict):
            parent[draw(KEYS)] = parent.pop(last)
        elif op == "key-type" and isinstance(parent, dict) and isinstance(last, str):  # `123:` is read as an int
            parent[draw(st.sampled_from([123, 0, True, False, None, 1.5, -7]))] = parent.pop(last)
    return doc


def test_randomly_edited_topologies() -> None:
    tally = Tally()

    @settings(FAST, max_examples=200)
    @given(edited_documents(), st.sampled_from([None, False]))
    def check(doc: Any, flow: bool | None) -> None:
        text = _dump(doc, flow, True)
        guarded(tally, lambda: check_text("edited.yaml", text))

    check()
    tally.report("randomly edited valid topologies", 200)
    assert tally.outcomes["valid"] >= 10 and tally.outcomes["invalid"] >= 100


# ---- through the CLI, in one sandbox ---------------------------------------------------------

LOCATED = r"^{}:\d+:\d+: "


def cli_cases(count: int) -> list[tuple[str, bytes]]:
    """The examples as they are, then mutants of examples and corpus files."""
    cases = [(p.name, p.read_bytes()) for p in EXAMPLES]
    return cases + mutated_cases(count - len(cases), seed=SEED + 1)


@pytest.mark.kernel
def test_cli_validate_and_plan_never_crash(sandbox: Sandbox, tmp_path: Path) -> None:
    before = sandbox.snapshot()
    cases = cli_cases(30)
    paths = []
    for name, raw in cases:
        path = tmp_path / "cli" / name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(raw)
        paths.append(path)

    def expected(path: Path) -> tuple[str | None, list[str]]:
        """In process: a known bug the file hits, or None; and plan's extra arguments (--node of a multi-node lab)."""
        try:
            check_file(path, path.read_bytes())
            result = validate_file(path)
        except AssertionError:
            raise
        except Exception as exc:  # noqa: BLE001
            bug = classify(exc, getattr(exc, "topo_data", None))
            if bug is None or STRICT:
                raise
            return bug, []
        if result.ok and result.topology is not None and len(result.topology.nodes) > 1:
            return None, ["--node", next(iter(result.topology.nodes))]
        return None, []

    expectations = {path: expected(path) for path in paths}  # in this thread: validation pauses the GC

    def run(path: Path) -> tuple[Path, Any, Any]:
        validate = sandbox.topo("validate", str(path), check=False, timeout=60)
        plan = sandbox.topo("plan", str(path), *expectations[path][1], check=False, timeout=60)
        return path, validate, plan

    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(run, paths))

    tally = Tally()
    for path, validate, plan in results:
        bug = expectations[path][0]
        located = re.compile(LOCATED.format(re.escape(str(path))), re.MULTILINE)
        for res, allowed in ((validate, {0, 1}), (plan, {0, 1, 2})):
            out = res.stdout + res.stderr
            assert "Traceback" not in out, (path, out)
            assert res.returncode in allowed, (path, res.args, res.returncode, out)
            if bug is not None:  # a known crash: one line, exit 1
                assert res.returncode == 1 and "internal error:" in res.stderr, (path, out)
                continue
            assert "internal error" not in out, (path, out)
            if res.returncode == 1:
                assert located.search(res.stderr), (path, res.args, out)
        if bug is None and validate.returncode == 0:
            assert plan.returncode in (0, 2), (path, plan.stdout + plan.stderr)  # a fresh sandbox has no conflicts
        tally.outcomes[f"known bug: {bug}" if bug else ("valid" if validate.returncode == 0 else "invalid")] += 1
    tally.report("CLI validate + plan in one sandbox", 30)
    assert tally.outcomes["valid"] >= len(EXAMPLES)
    assert sandbox.snapshot() == before  # validate and plan never change the machine


# ---- reproducers of the bugs the fuzzer found (fixed; kept as regression tests) ----------------

BUG_REPRODUCERS = [
    ("yaml-tag-constructor", "name: x\ndescription: !!int abc\n"),
    ("yaml-tag-constructor", "name: x\ndescription: !!bool maybe\n"),
    ("yaml-tag-constructor", "name: x\ndescription: !!timestamp x\n"),
    ("yaml-tag-constructor", "name: x\ndescription: !!int ²\n"),
    ("non-string-key", "name: x\nnamespaces: {123: {}}\n"),
    ("non-string-key", "name: x\nhosts: {123: 10.0.0.1}\n"),
    ("non-string-key", "name: x\nsysctls: {1: 1}\n"),
    ("non-string-key", "name: x\nbridges: {5: {}}\n"),
    ("non-string-key", "name: x\nnodes: {1: {}}\n"),
    ("non-string-key", "name: x\nnamespaces: {a: {interfaces: {true: {}}}}\n"),
    ("non-string-key", "name: x\nnodes: {a: {}, 0: {}}\nbridges: {br: {}}\n"),
    ("jinja-huge-constant", "name: x\ndescription: '{{ 10**5000 }}'\n"),
]


UNBOUNDED_TEMPLATES = [
    ("power", "name: x\ndescription: \"{{ 7**(7**9) }}\"\n"),
    ("repeat", "name: x\ndescription: \"{{ 'x' * 10**10 }}\"\n"),
]


@pytest.mark.parametrize("text", [t for _, t in UNBOUNDED_TEMPLATES], ids=[i for i, _ in UNBOUNDED_TEMPLATES])
def test_unbounded_template_arithmetic_is_refused_quickly(tmp_path: Path, text: str) -> None:
    """`topo validate` (no kernel) under a 2 GB address-space limit must answer within 3 s with a
    located diagnostic. Today it runs for minutes (killed at the timeout) or dies of MemoryError."""
    import resource
    import subprocess

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    path = tmp_path / "t.yaml"
    path.write_text(text)
    res = subprocess.run([TOPO, "validate", str(path)], capture_output=True, text=True, timeout=3, preexec_fn=limit)
    assert res.returncode == 1 and re.search(LOCATED.format(re.escape(str(path))), res.stderr, re.MULTILINE), res.stderr


@pytest.mark.parametrize("bug,text", BUG_REPRODUCERS, ids=[f"{b}-{i}" for i, (b, _) in enumerate(BUG_REPRODUCERS)])
def test_known_bug_is_reported_as_a_diagnostic(bug: str, text: str) -> None:
    assert check_text("bug.yaml", text) == "invalid", bug
