"""The one rule for every name topo accepts, whatever it comes from (a file, a command line,
an Ansible module argument, an ownership record, the kernel or a node's answer), and the
one way topo turns a name into a path.

Each `*_problem` function returns why a value is not acceptable, or None when it is: the
validator reports it located in the file, the CLI and the records refuse it with the same
words. `inside(root, *parts)` builds a path under one of topo's roots and proves that it
stays there (no separator, no `..`, no `.` name, no symlink on the way out).
"""

from __future__ import annotations

import re
from pathlib import Path

LAB_NAME_MAX = 32
NAMESPACE_NAME_MAX = 64

LAB_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
"""A lab's name (as in the schema): letters, digits, `_`, `.` and `-`, not starting with `.` or `-`."""

PROCESS_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
"""C0 and C1 control characters, DEL and the Unicode line separators: never in a name."""

_TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
"""The control characters free text must not have: all of `_CONTROL` but tab and newline."""

_VALUE_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
"""The control characters a sysctl value must not have: all of `_CONTROL` but tab (a separator, as in tcp_rmem)."""

SYSCTL_VALUE_MAX = 1024

POSIX_USER = re.compile(r"[a-z_][a-z0-9_-]{0,31}")
"""A portable user name (POSIX's portable file name characters, as `useradd` accepts by default)."""

ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
"""An environment variable's name, as a shell can set and read it."""

_HOST_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
DNS_LABEL = re.compile(r"(?!-)[A-Za-z0-9_-]{1,63}")
"""One label of a name in a hosts file (RFC 1123 as resolvers read it: `_` and a trailing `-` too; never a leading `-`, which tools would take for an option)."""


def control_problem(what: str, value: str) -> str | None:
    """Why `value` has a character that must not be printed raw or written into a file."""
    return _control_found(_CONTROL, what, value, "control characters are not allowed")


def _control_found(pattern: re.Pattern[str], what: str, value: str, allowed: str) -> str | None:
    m = pattern.search(value)
    if m is None:
        return None
    return f"{what} contains the control character {m.group()!r}; {allowed}"


def text_problem(what: str, value: object) -> str | None:
    """Free text for people (a description): any printable text, tabs and line breaks too, but
    no other control character (an escape sequence would repaint the terminal that shows it)."""
    if not isinstance(value, str):
        return f"{what} must be a string, not {type(value).__name__}"
    return _control_found(_TEXT_CONTROL, what, value, "only tabs and line breaks are allowed in text")


def sysctl_value_problem(key: str, value: str) -> str | None:
    """A value to write to a sysctl: one line (tabs may separate its fields), at most
    SYSCTL_VALUE_MAX characters; the kernel reads a file of /proc/sys as one line."""
    if len(value) > SYSCTL_VALUE_MAX:
        return f"the value of {key} is {len(value)} characters; at most {SYSCTL_VALUE_MAX} are allowed"
    return _control_found(_VALUE_CONTROL, f"the value of {key}", value,
                          "a sysctl value is one line (tabs may separate its fields)")


def lab_name_problem(name: object) -> str | None:
    if not isinstance(name, str):
        return f"a lab name must be a string, not {type(name).__name__}"
    if not name:
        return "a lab name must not be empty"
    if len(name) > LAB_NAME_MAX:
        return f"{printable(name)} is not a valid lab name: it is {len(name)} characters; at most {LAB_NAME_MAX} are allowed"
    if not LAB_NAME.fullmatch(name):
        return (f"{printable(name)} is not a valid lab name: letters, digits, '_', '.' and '-', "
                "starting with a letter or digit")
    return None


def namespace_name_problem(name: object) -> str | None:
    """A network namespace's name: a file name under /run/netns and /etc/netns."""
    if not isinstance(name, str):
        return f"a namespace name must be a string, not {type(name).__name__}"
    if not name.isprintable() and (err := control_problem(f"namespace name {printable(name)}", name)):
        return err
    if not name or name in (".", "..") or "/" in name or any(c.isspace() for c in name) or ":" in name:
        return f"{printable(name)} is not a valid namespace name (no '/', ':' or whitespace)"
    if name.startswith("."):
        return f"namespace name {printable(name)} starts with '.'; hidden names are not allowed"
    if len(name) > NAMESPACE_NAME_MAX:
        return f"namespace name {printable(name)} is {len(name)} characters; at most {NAMESPACE_NAME_MAX} are allowed"
    return None


def process_name_problem(name: object) -> str | None:
    if not isinstance(name, str) or not PROCESS_NAME.fullmatch(name):
        return (f"process name {printable(str(name))} is not valid: letters, digits, '_', '.' and '-', "
                "starting with a letter or digit, at most 64 characters")
    return None


def user_problem(user: object) -> str | None:
    if not isinstance(user, str) or not POSIX_USER.fullmatch(user):
        return (f"{printable(str(user))} is not a valid user name: lower-case letters, digits, '_' and '-', "
                "starting with a letter or '_', at most 32 characters")
    return None


def env_name_problem(name: object) -> str | None:
    if not isinstance(name, str) or not ENV_NAME.fullmatch(name):
        return (f"{printable(str(name))} is not a valid environment variable name: letters, digits and '_', "
                "not starting with a digit")
    return None


def hostname_problem(host: object) -> str | None:
    """A node's `host`: an IPv4 or IPv6 address, or a DNS host name (RFC 1123)."""
    import ipaddress

    if not isinstance(host, str) or not host:
        return "a host must be a non-empty string"
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass
    name = host[:-1] if host.endswith(".") else host
    if len(name) <= 253 and name and all(_HOST_LABEL.fullmatch(label) for label in name.split(".")):
        return None
    return (f"{printable(host)} is not an IP address or a host name "
            "(letters, digits and '-' in dot-separated labels of 1 to 63 characters)")


def hosts_name_problem(name: object) -> str | None:
    """A name in a hosts file: DNS labels, at most 253 characters."""
    if not isinstance(name, str) or not name:
        return "a host name must be a non-empty string"
    base = name[:-1] if name.endswith(".") else name
    if len(base) > 253 or not base or not all(DNS_LABEL.fullmatch(label) for label in base.split(".")):
        return (f"{printable(name)} is not a valid host name: dot-separated labels of letters, digits, '-' "
                "and '_', 1 to 63 characters each, at most 253 in all")
    return None


def printable(text: str, limit: int = 80) -> str:
    """`text` quoted for a message: control characters escaped, long values cut."""
    shown = text if len(text) <= limit else text[:limit] + "..."
    return "'" + escape(shown) + "'"


def escape(text: str) -> str:
    """Control characters (and backslashes before them) as visible escapes, for a terminal."""
    if _CONTROL.search(text) is None:
        return text
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


class PathEscape(ValueError):
    """A name would make a path outside the root it belongs to."""


def inside(root: Path, *parts: str) -> Path:
    """`root / part / ...`, proven to stay under `root`: each part is one plain file name (no
    separator, not empty, not `.` or `..`, no NUL), and the resolved parent (following any
    symlink that exists on the way) is still under the resolved root. The last component
    itself is not resolved: callers open it without following links."""
    path = root
    for part in parts:
        if not isinstance(part, str) or not part or part in (".", "..") or "/" in part or "\x00" in part:
            raise PathEscape(f"{printable(str(part))} cannot name a file under {root}")
        path = path / part
    if len(parts) == 1:
        return path  # its parent is the root itself: nothing on the way to follow
    real_root = root.resolve()
    real_parent = path.parent.resolve()
    if real_parent != real_root and real_root not in real_parent.parents:
        raise PathEscape(f"{path} leads outside {root} (through a symbolic link)")
    return path


_SYSCTL_PART = re.compile(r"[A-Za-z0-9_@+-]+(?:/[A-Za-z0-9_@+-]+)*")


def sysctl_key_problem(key: object) -> str | None:
    """A sysctl a lab may set: under net.* (per network namespace), dot-separated plain parts
    (an interface name's own dots are written as '/', as sysctl(8) does), never a path."""
    if not isinstance(key, str):
        return "a sysctl name must be a string"
    parts = key.split(".")
    if (parts[0] != "net" or len(parts) < 3 or len(key) > 256
            or not all(_SYSCTL_PART.fullmatch(p) for p in parts)):
        return f"{printable(key)} is not a network sysctl"
    return None


def sysctl_path(key: str) -> Path:
    """/proc/sys/... for a checked sysctl name (ValueError for any other)."""
    if err := sysctl_key_problem(key):
        raise ValueError(err)
    return Path("/proc/sys", *(p.replace("/", ".") for p in key.split(".")))
