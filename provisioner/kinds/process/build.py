"""Build a namespace's processes (`processes:`): a name and a command, or a mapping with the
command, its environment, user and description."""

from __future__ import annotations

from typing import Any

from ...diagnostics import YamlPath
from ...model import Netns, Process
from ...names import env_name_problem, process_name_problem, user_problem
from ..buildctx import BuildContext

_NUL = "contains a NUL character, which no command line or environment variable can hold"
Problem = tuple[YamlPath, str, bool]  # where, why, reported on the key


def env_value(value: Any) -> str:
    return ("1" if value else "0") if isinstance(value, bool) else str(value)


def in_netns(ctx: BuildContext, ns: Netns, path: YamlPath, raw: dict[str, Any]) -> None:
    ppath = path + ("processes",)
    for name, value in (raw.get("processes") or {}).items():
        if process_name_problem(name):
            ctx.sink.error(ppath + (name,), f"'{name}' is not a valid process name",
                           "letters, digits, '_', '.' and '-' (it names the pid and log files)", key=True)
            continue
        spec = value if isinstance(value, dict) else {"command": value}
        where = ppath + (name,)
        problems = process_problems(where, spec, isinstance(value, dict))
        for at, problem, on_key in problems:
            ctx.sink.error(at, problem, key=on_key)
        if not problems:
            env = tuple(sorted((str(k), env_value(v)) for k, v in (spec.get("env") or {}).items()))
            ns.processes[name] = Process(name, str(spec["command"]), env,
                                         ctx.text(where + ("description",), spec.get("description")), spec.get("user"))


def process_problems(where: YamlPath, spec: dict[str, Any], mapping: bool) -> list[Problem]:
    """What keeps a process from being started: (where, why, on the key) for each problem."""
    out: list[Problem] = []
    if "\x00" in str(spec["command"]):
        out.append((where + ("command",) if mapping else where, f"the command {_NUL}", False))
    for key, value in (spec.get("env") or {}).items():
        if err := env_name_problem(key):
            out.append((where + ("env", key), err, True))
        elif "\x00" in env_value(value):
            out.append((where + ("env", key), f"the value of {key} {_NUL}", False))
    if "user" in spec and (err := user_problem(spec["user"])):
        out.append((where + ("user",), err, False))
    return out
