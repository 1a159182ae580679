"""Reading a topology file and its template variables: a UTF-8 text file, refused (with a located
message) when huge, binary, special or unreadable; the `vars:` block, --vars-file files, --var pairs.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Any, Mapping

from .diagnostics import Diagnostic, TopoError, YamlPath
from .yamlpos import YamlLoadError, load_values, load_yaml, plain_scalar_problem

MAX_FILE_BYTES = 10 * 1024 * 1024
"""Files (and rendered templates) larger than this are refused before parsing."""

STDIN = "-"
"""The FILE that means standard input."""
STDIN_NAME = "<stdin>"
"""How messages name standard input."""

_VARS_START = re.compile(r"^vars:[ \t]*(#.*)?$|^vars:[ \t]*[{\[]")


def fail(name: str, message: str, line: int = 1, col: int = 1, path: YamlPath = (), hint: str | None = None) -> TopoError:
    diag = Diagnostic(name, line, col, path, message, hint)
    return TopoError(diag.render(), [diag])


_SPECIAL_FILES = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"),
                  (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


def _special_file(mode: int) -> str | None:
    """What a file that is not a regular file is (a FIFO or a device could block a read forever)."""
    return next((what for test, what in _SPECIAL_FILES if test(mode)), None if stat.S_ISREG(mode) else "not a regular file")


def read_text(path: Path, name: str | None = None) -> str:
    """Read a UTF-8 text file, refusing huge, binary, special (FIFO, device, socket, directory)
    or unreadable files with a located message. A special file is refused before it is opened
    where it can be; it is opened non-blocking and checked again on the open descriptor."""
    name = name or str(path)
    try:
        kind = _special_file(os.stat(path).st_mode)
        if kind is None:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
            with os.fdopen(fd, "rb") as fh:
                st = os.fstat(fh.fileno())
                kind = _special_file(st.st_mode)
                if kind is None:
                    if st.st_size > MAX_FILE_BYTES:
                        raise fail(
                            name,
                            f"file is {st.st_size / 1048576:.1f} MiB, over the {MAX_FILE_BYTES // 1048576} MiB limit; not parsed",
                            hint="a topology this large is better generated with a Jinja2 loop",
                        )
                    raw = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise fail(name, f"cannot read file: {exc.strerror or exc}") from None
    if kind is not None:
        raise fail(name, f"is {kind}, not a topology file",
                    hint="give the path of a regular file (write generated text to a file first)")
    if len(raw) > MAX_FILE_BYTES:  # grew while we looked
        raise fail(name, f"file is over the {MAX_FILE_BYTES // 1048576} MiB limit; not parsed")
    return decode_text(raw, name)


def is_stdin(path: Path | str) -> bool:
    """`-` as a FILE: the topology is read from standard input."""
    return os.fspath(path) == STDIN


def display_name(path: Path | str) -> str:
    """How messages name a topology file: its path as given, or `<stdin>`."""
    return STDIN_NAME if is_stdin(path) else os.fspath(path)


def read_stdin(name: str = STDIN_NAME) -> str:
    """The topology on standard input (`-`), under the same limits as a file's."""
    import sys

    try:
        raw = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
    except (OSError, ValueError, AttributeError) as exc:  # closed, or not a byte stream
        raise fail(name, f"cannot read standard input: {exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise fail(name, f"standard input is over the {MAX_FILE_BYTES // 1048576} MiB limit; not parsed")
    return decode_text(raw, name)


def decode_text(raw: bytes, name: str) -> str:
    """A topology's bytes as text: UTF-8 without NUL bytes (a leading BOM dropped)."""
    nul = raw.find(b"\x00")
    if nul >= 0:
        line = raw.count(b"\n", 0, nul) + 1
        raise fail(name, "binary file (contains a NUL byte); a topology is a UTF-8 text file", line)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise fail(name, "not valid UTF-8 text; a topology is a UTF-8 text file", line, col) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return text


def _vars_block(text: str) -> tuple[str, int] | None:
    """The top-level `vars:` block of a template (text, first line number), read before rendering."""
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if _VARS_START.match(line):
            block = [line]
            for follow in lines[i + 1 :]:
                if follow.strip() == "" or follow[0] in " \t#":
                    block.append(follow)
                else:
                    break
            return "".join(block), i + 1
    return None


def _parse_var_value(name: str, key: str, raw: str) -> Any:
    """A --var value as YAML data (a number, a list...), read like a topology file's values; a
    value that is not valid YAML is the text itself. It is data: printed into the template, it
    must be plain text or go through `| tojson` (see BoundedEnvironment.yaml_text)."""
    if not raw.strip():
        return ""
    trap = plain_scalar_problem(raw.strip())
    if trap is not None:
        raise fail(name, f"--var {key}: {trap[0]}", hint=trap[1])
    try:
        return load_values(raw)
    except YamlLoadError:
        return raw


def collect_variables(
    name: str, text: str, overrides: Mapping[str, str] | None, vars_files: list[Path] | None
) -> dict[str, Any]:
    """Template variables: the file's `vars:` block, then --vars-file files, then --var pairs."""
    variables: dict[str, Any] = {}
    block = _vars_block(text)
    if block is not None:
        block_text, first_line = block
        try:
            data, _ = load_yaml(block_text)
        except YamlLoadError as exc:
            raise fail(name, exc.message, exc.line + first_line - 1, exc.column, ("vars",) + exc.path[1:], exc.hint) from None
        vars_value = data.get("vars") if isinstance(data, dict) else None
        if vars_value is not None and not isinstance(vars_value, dict):
            raise fail(name, "vars must be a mapping of names to values", first_line, 1, ("vars",))
        variables.update(vars_value or {})
    for vf in vars_files or []:
        vtext = read_text(vf)
        try:
            data, _ = load_yaml(vtext)
        except YamlLoadError as exc:
            raise fail(str(vf), exc.message, exc.line, exc.column, exc.path, exc.hint) from None
        if data is None:
            continue
        if not isinstance(data, dict):
            raise fail(str(vf), "a vars file must be a mapping of names to values")
        variables.update(data)
    for key, raw in (overrides or {}).items():
        variables[key] = _parse_var_value(name, key, raw)
    return variables

