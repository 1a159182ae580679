"""The lab's whole table as one nftables script (the language `nft -f` reads), for the
transaction that makes it: libnftables parses its own language in about two thirds of the
time it takes for the same table in JSON (1,000 Services: 0.38 s against 0.55 s), and a
cold apply is that one transaction.

Only the expressions the table's builders use are written (ruleset.py, policy/ruleset.py),
each exactly as `nft -j` lists what it makes (tests/test_service_text.py makes the examples'
tables from this text and reads them back as values). Anything else raises `Unwritable` and
the caller sends the JSON commands instead. No value reaches the script unchecked: names are
single words of nft's own lexer (letters, digits, '/', '-', '_', '.'), the mark a quoted
string of such characters and ':', keywords lower-case words; numbers are integers; addresses go through `ipaddress`."""

from __future__ import annotations

import ipaddress
import json
import re
from typing import Any, Sequence

from .ruleset import FAMILY, SERVICES_CHAIN, Chain, Map

# nft's own lexer reads a name as one word when it starts with a letter, '_' or '.' and goes
# on with letters, digits, '/', '-', '_' and '.' (quoted names are not taken for chains and
# maps); one with a '-' or '/' cannot be a keyword of the language
_NAME = re.compile(r"[A-Za-z_.][A-Za-z0-9/_.-]{0,254}")
_PLAIN_NAMES = {SERVICES_CHAIN}
_COMMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:/-]{0,126}")
_KEYWORD = re.compile(r"[a-z][a-z0-9_]{0,31}")
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")  # written the one way ipaddress writes it
# a rule's IPv4 addresses stand in slots while it is written, so that rules that differ only in
# them (an endpoint's rules) are written once: the slots are then filled in
_QUOTED_IPV4 = re.compile(rf'"({_OCTET}(?:\.{_OCTET}){{3}})"')
_SLOT = re.compile("\x01([0-9]+)\x02")


class Unwritable(ValueError):
    """An expression or value this writer does not know: send the JSON commands instead."""


def _name(value: Any) -> str:
    if not isinstance(value, str) or not _NAME.fullmatch(value) or not ("-" in value or "/" in value or value in _PLAIN_NAMES):
        raise Unwritable(f"name {value!r}")
    return value


def _comment(value: str) -> str:
    if not _COMMENT.fullmatch(value):
        raise Unwritable(f"comment {value!r}")
    return f'"{value}"'


def _keyword(value: Any) -> str:
    if not isinstance(value, str) or not _KEYWORD.fullmatch(value):
        raise Unwritable(f"keyword {value!r}")
    return value


def _int(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Unwritable(f"number {value!r}")
    return str(value)


def _address(v: Any) -> str:
    if not isinstance(v, str):
        raise Unwritable(f"address {v!r}")
    if _IPV4.fullmatch(v) or _SLOT.fullmatch(v):
        return v
    try:
        return str(ipaddress.ip_address(v))
    except ValueError:
        raise Unwritable(f"value {v!r}") from None


def _value(v: Any) -> str:
    """A constant: a number, an address, a prefix, a keyword (tcp, local, established), a set."""
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v)
    if isinstance(v, str):
        return v if _KEYWORD.fullmatch(v) else _address(v)
    if isinstance(v, dict) and set(v) == {"prefix"}:
        p = v["prefix"]
        return f"{_address(p['addr'])}/{_int(p['len'])}"
    if isinstance(v, dict) and set(v) == {"set"}:
        return "{ " + ", ".join(_element(e) for e in v["set"]) + " }"
    if isinstance(v, dict) and set(v) == {"concat"}:
        return " . ".join(_value(p) for p in v["concat"])
    raise Unwritable(f"value {v!r}")


def _element(e: Any) -> str:
    if isinstance(e, list) and len(e) == 2:
        return f"{_value(e[0])} : {_verdict(e[1])}"
    return _value(e)


def _verdict(v: Any) -> str:
    if isinstance(v, dict) and len(v) == 1:
        (key, arg), = v.items()
        if key in ("accept", "drop", "return") and arg is None:
            return key
        if key in ("jump", "goto") and isinstance(arg, dict) and set(arg) == {"target"}:
            return f"{key} {_name(arg['target'])}"
    raise Unwritable(f"verdict {v!r}")


_PAYLOAD_PROTOCOLS = {"ip", "ip6", "tcp", "udp", "th"}
_PAYLOAD_FIELDS = {"saddr", "daddr", "sport", "dport"}
_META_KEYS = {"l4proto", "mark", "nfproto", "iifname", "oifname"}


def _operand(e: Any) -> str:
    """What an expression reads: payload, meta, ct, fib, numgen, a concatenation, a bitwise
    operation, or a constant."""
    if isinstance(e, dict) and len(e) == 1:
        (key, arg), = e.items()
        if key == "payload" and isinstance(arg, dict) and set(arg) == {"protocol", "field"} \
                and arg["protocol"] in _PAYLOAD_PROTOCOLS and arg["field"] in _PAYLOAD_FIELDS:
            return f"{arg['protocol']} {arg['field']}"
        if key == "meta" and isinstance(arg, dict) and set(arg) == {"key"} and arg["key"] in _META_KEYS:
            return f"meta {arg['key']}"
        if key == "ct" and arg == {"key": "state"}:
            return "ct state"
        if key == "fib" and arg == {"result": "type", "flags": ["daddr"]}:
            return "fib daddr type"
        if key == "numgen" and isinstance(arg, dict) and arg.get("mode") == "random" and arg.get("offset", 0) == 0 \
                and set(arg) <= {"mode", "mod", "offset"}:
            return f"numgen random mod {_int(arg['mod'])}"
        if key == "concat" and isinstance(arg, list) and arg:
            return " . ".join(_operand(p) for p in arg)
        if key in ("&", "|") and isinstance(arg, list) and len(arg) == 2:
            return f"{_operand(arg[0])} {key} {_hex(arg[1])}"
    return _value(e)


def _hex(v: Any) -> str:
    return f"0x{int(_int(v)):08x}"


def _statement(s: Any) -> str:
    if not (isinstance(s, dict) and len(s) == 1):
        raise Unwritable(f"statement {s!r}")
    (key, arg), = s.items()
    if key == "match" and isinstance(arg, dict) and set(arg) == {"op", "left", "right"}:
        left, right = _operand(arg["left"]), arg["right"]
        if arg["op"] == "in" and isinstance(right, list) and right:
            return f"{left} {','.join(_keyword(r) for r in right)}"  # flags: ct state established,related
        if arg["op"] in ("==", "!="):
            masked = isinstance(arg["left"], dict) and "&" in arg["left"]
            return f"{left} {arg['op']} {_hex(right) if masked else _value(right)}"
        raise Unwritable(f"match {arg!r}")
    if key == "vmap" and isinstance(arg, dict) and set(arg) == {"key", "data"}:
        data = arg["data"]
        target = f"@{_name(data[1:])}" if isinstance(data, str) and data.startswith("@") else _value(data)
        return f"{_operand(arg['key'])} vmap {target}"
    if key == "mangle" and isinstance(arg, dict) and arg.get("key") == {"meta": {"key": "mark"}} and set(arg) == {"key", "value"}:
        return f"meta mark set {_operand(arg['value'])}"
    if key == "dnat" and isinstance(arg, dict) and arg.get("family") == "ip" and set(arg) == {"family", "addr", "port"}:
        addr = _address(arg["addr"])
        if ":" in addr:
            raise Unwritable(f"address {addr!r}")  # dnat ip: an IPv4 address
        return f"dnat ip to {addr}:{_int(arg['port'])}"
    if key == "masquerade" and arg is None:
        return "masquerade"
    return _verdict(s)


def rule_text(rule: str, written: dict[str, str] | None = None) -> str:
    """One rule (its expressions as canonical JSON) in nft's language. `written`: the rules
    written so far with their addresses in slots (a cache for one script)."""
    addresses: list[str] = []

    def slot(m: re.Match[str]) -> str:
        addresses.append(m.group(1))
        return f'"\\u0001{len(addresses) - 1}\\u0002"'  # JSON for the slot's characters

    skeleton = _QUOTED_IPV4.sub(slot, rule)
    text = written.get(skeleton) if written is not None else None
    if text is None:
        text = " ".join(_statement(s) for s in json.loads(skeleton))
        if written is not None:
            written[skeleton] = text
    return _SLOT.sub(lambda m: addresses[int(m.group(1))], text) if addresses else text


def _declare(table: str, chain: Chain) -> str:
    hook = "" if chain.hook is None else (
        f" {{ type {_keyword(chain.hook.type)} hook {_keyword(chain.hook.hook)} priority {_int(chain.hook.prio)}; "
        f"policy {_keyword(chain.hook.policy)}; }}")
    return f"add chain {FAMILY} {table} {_name(chain.name)}{hook}"


def _rules(table: str, chain: Chain, mark: str, written: dict[str, str]) -> list[str]:
    suffix = "" if chain.hook is None else f" comment {_comment(mark)}"  # the lab's mark, on its hooks' rules
    return [f"add rule {FAMILY} {table} {_name(chain.name)} {rule_text(r, written)}{suffix}" for r in chain.rules]


def _map(table: str, m: Map) -> list[str]:
    lines = [f"add map {FAMILY} {table} {_name(m.name)} {{ type {' . '.join(_keyword(t) for t in m.type)} : verdict; }}"]
    if m.elements:
        elems = ", ".join(f"{_value(json.loads(k))} : goto {_name(target)}" for k, target in sorted(m.elements))
        lines.append(f"add element {FAMILY} {table} {_name(m.name)} {{ {elems} }}")
    return lines


def create_script(table_name: str, chains: Sequence[Chain], maps: Sequence[Map], mark: str) -> str:
    """The script that makes the table with everything in it, failing whole if a table of that
    name exists already (`create`): all chains are declared before any rule or element names
    one."""
    t = _name(table_name)
    lines = [f"create table {FAMILY} {t}"]
    lines += [_declare(t, c) for c in chains]
    for m in maps:
        lines += _map(t, m)
    written: dict[str, str] = {}
    for c in chains:
        lines += _rules(t, c, mark, written)
    return "\n".join(lines) + "\n"
