"""The diff every kind of link shares (libnmstate style: the shared part here, one class per
kind in its folder). Each kind of link in registry order makes, claims or remakes its devices
(a kind made on its own in each namespace in scope; a paired kind, veth, by its pairs); then
the lab's links the file no longer names go; then the settings of the links that exist and stay."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from ...core.diff import DiffContext, Outcome
from ...core.effects import Effect, Effects, ForeignLink, LinkGoes, LinkGoesDown, LinkMade, RefusedLink
from ...core.keys import LinkKey
from ...core.plan import Change
from ...model import Interface, Kind
from ...state import ALIAS_PREFIX, alias_for
from .apply import DELETE_LINK, SET_LINK, LinkSpec

if TYPE_CHECKING:
    from ...live import LiveLink, LiveNetns


class LinkKind(Protocol):
    """What the shared link diff asks of a kind of link."""

    name: str  # the kind's name: Interface.kind, and the kernel's kind of its devices
    paired: bool  # made in pairs across namespaces (veth): `pairs` plans them, not `plan`

    def plan(self, d: "LinkDiff", netns: str | None, iface: Interface, link: LiveLink | None) -> None:
        """Make (or claim, or remake) the kind's device `iface`; `link` is what has its name now."""

    def pairs(self, d: "LinkDiff") -> None:
        """For a paired kind: plan every pair of the node."""

    # optional: `renames(d)`, the kind's links the file now names otherwise, renamed in place
    # (link/rename.py), before any kind plans its devices


def link_summary(iface: Interface) -> str:
    parts = [iface.name]
    if iface.mtu:
        parts.append(f"mtu {iface.mtu}")
    if iface.master:
        parts.append(f"master {iface.master}")
    if iface.mac:
        parts.append(f"mac {iface.mac}")
    return " ".join(parts)


def spec_of(iface: Interface, alias: str, master: bool = True) -> LinkSpec:
    """A new link's settings as the file gives them."""
    return LinkSpec(iface.name, iface.mtu, iface.mac, iface.up, iface.master if master else None, alias=alias)


@dataclass
class LinkDiff:
    """One run of the shared link diff: its outcome so far, and the effects it knows."""

    ctx: DiffContext
    effects: Effects
    kinds: list[Any]
    out: Outcome = field(default_factory=Outcome)
    used: set[str] = field(default_factory=set)  # other labs' root links the file declares
    _declared: dict[str | None, set[str]] | None = None  # the file's link names by namespace (made once)

    def declared(self, netns: str | None) -> set[str]:
        """The names the file gives the links of a namespace of the node."""
        if self._declared is None:
            self._declared = {ns.place.netns: set(ns.interfaces) for ns in self.ctx.node.all_netns()}
        return self._declared.get(netns, set())

    def effect(self, *facts: Effect) -> None:
        self.out.effect(*facts)
        self.effects = self.effects.plus(facts)

    def made(self, netns: str | None, name: str) -> None:
        self.effect(LinkMade(LinkKey(netns, name)))

    def live_ns(self, netns: str | None) -> LiveNetns | None:
        return self.ctx.live_ns(netns, self.effects)

    def live_link(self, netns: str | None, name: str) -> LiveLink | None:
        live = self.live_ns(netns)
        return live.links.get(name) if live else None

    def owned(self, netns: str | None, link: LiveLink) -> bool:
        """Every link in a lab namespace is the lab's; in the root namespace, the marked ones."""
        return netns is not None or link.alias == self.ctx.alias

    def delete(self, netns: str | None, link: LiveLink, why: str, before: str | None = None) -> None:
        self.effect(LinkGoes(LinkKey(netns, link.name)))
        self.out.add(DELETE_LINK, Change.DELETE, netns, f"link {link.name} ({why})", LinkSpec(link.name), before=before,
                     key=LinkKey(netns, link.name), links=(LinkKey(netns, link.name),))

    def claim(self, netns: str | None, link: LiveLink, kind: str) -> bool:
        """True when `link` may be used as the lab's `kind` link (owned, or adopted, or
        another's of that kind: then compared, never changed)."""
        if self.owned(netns, link):
            if link.kind != kind:
                self.delete(netns, link, f"{link.kind or 'device'}, want {kind}")
                return False
            return True
        if link.kind == kind:
            if not self.ctx.adopt:
                self.effect(ForeignLink(LinkKey(netns, link.name)))
                if netns is None and (link.alias or "").startswith(ALIAS_PREFIX):
                    self.used.add(link.name)  # another lab's: handed over to this one when that lab goes
            return True  # adopted: its settings mark it with the lab's alias
        self.effect(RefusedLink(LinkKey(netns, link.name)))
        self.out.conflict(netns, f"link {link.name}",
                          f"{link.kind or 'a device'} {link.name} exists and was not created by lab {self.ctx.topo.name}",
                          "rename it in the file, delete it, or pass --adopt to take it over")
        return False

    # ---- the passes ---------------------------------------------------------------------------
    def run(self) -> Outcome:
        """Each kind of link in registry order (a kind after its parents': a macvlan sees its
        parent being remade), then the links no longer declared, then the settings. Renames
        come first: every later pass sees the renamed links by their new names."""
        for kind in self.kinds:
            renames = getattr(kind, "renames", None)
            if renames is not None:
                renames(self)
        for kind in self.kinds:
            if kind.paired:
                kind.pairs(self)
                continue
            for ns in list(self.ctx.scoped(self.effects)):
                for iface in ns.interfaces.values():
                    if iface.kind == kind.name:
                        kind.plan(self, ns.place.netns, iface, self.live_link(ns.place.netns, iface.name))
        for ns in list(self.ctx.scoped(self.effects)):
            self.extra_links(ns.place.netns, set(ns.interfaces))
        self.settings_of_existing()
        self.ctx.record.uses = sorted(self.used)
        return self.out

    def extra_links(self, netns: str | None, declared: set[str]) -> None:
        """Links inside lab namespaces the file does not name, or the lab's root links no
        longer in the file."""
        live = self.live_ns(netns)
        if live is None:
            return
        vanishing = vanishing_ends(self.ctx, self.effects) if netns is None else set()
        for link in live.links.values():
            if link.name in declared or link.name == "lo":
                continue
            heir = heir_of(self.ctx, link) if netns is None else None
            if heir is not None:
                alias = alias_for(heir)
                self.out.add(SET_LINK, Change.UPDATE, None, f"link {link.name}", LinkSpec(link.name, alias=alias),
                             before=f"alias {link.alias}", after=f"alias {alias} (lab {heir} declares it: handed over, kept)",
                             key=LinkKey(None, link.name), links=(LinkKey(None, link.name),))
            elif self.owned(netns, link):
                self.effect(LinkGoes(LinkKey(netns, link.name)))
                self.out.add(DELETE_LINK, Change.DELETE, netns, f"link {link.name} ({link.kind or 'device'})",
                             LinkSpec(link.name, vanishes=link.index in vanishing), before=f"{link.kind} {link.name}",
                             key=LinkKey(netns, link.name), links=(LinkKey(netns, link.name),))

    def settings_of_existing(self) -> None:
        """Links made on their own and loopbacks: the settings of the ones that exist and stay."""
        paired = {k.name for k in self.kinds if k.paired}
        for ns in list(self.ctx.scoped(self.effects)):
            name = ns.place.netns
            live = self.live_ns(name)
            for iface in ns.interfaces.values():
                if self.effects.link_made(name, iface.name):
                    made_settings(self, name, iface)
                if iface.kind in paired or self.effects.link_made(name, iface.name):
                    continue
                link = live.links.get(iface.name) if live else None
                if iface.kind == Kind.LOOPBACK and link is None:
                    continue  # fresh namespace: lo exists once it is created
                if link is not None and (iface.kind == Kind.LOOPBACK or self.owned(name, link) or self.ctx.adopt
                                         or self.effects.foreign_link(name, link.name)):
                    self.settings(name, iface, link)
            if self.effects.made(name):
                lo = ns.interfaces.get("lo")
                if lo is not None and lo.up:
                    self.out.add(SET_LINK, Change.UPDATE, name, "link lo", LinkSpec("lo", up=True), before="down",
                                 after="up", key=LinkKey(name, "lo"), links=(LinkKey(name, "lo"),))

    def settings(self, netns: str | None, iface: Interface, link: LiveLink) -> None:
        """The changes that make an existing link's settings the file's."""
        before: list[str] = []
        after: list[str] = []
        spec: dict[str, object] = {}
        if iface.mtu is not None and link.mtu != iface.mtu:
            spec["mtu"] = iface.mtu
            before.append(f"mtu {link.mtu}")
            after.append(f"mtu {iface.mtu}")
        elif iface.mtu is not None and iface.kind == Kind.BRIDGE and ports_leave(self, netns, iface.name):
            # the MTU is the kernel's, taken from its ports: set it, or the kernel resets it to
            # 1500 when the last of them leaves (br_mtu_auto_adjust spares a chosen MTU only)
            spec["mtu"] = iface.mtu
            before.append(f"mtu {link.mtu} (from its ports)")
            after.append(f"mtu {iface.mtu} (kept when they leave)")
        if iface.mac is not None and link.mac != iface.mac:
            spec["mac"] = iface.mac
            before.append(f"mac {link.mac}")
            after.append(f"mac {iface.mac}")
        for key, was, want in port_and_queue(iface, link):
            spec[key] = want
            before.append(was)
            after.append(describe_setting(key, want))
        if link.up != iface.up:
            spec["up"] = iface.up
            if not iface.up:
                self.effect(LinkGoesDown(LinkKey(netns, iface.name)))
            before.append("up" if link.up else "down")
            after.append("up" if iface.up else "down")
        if link.master != iface.master:
            if iface.master is None:
                spec["nomaster"] = True
            else:
                spec["master"] = iface.master
            before.append(f"master {link.master or '(none)'}")
            after.append(f"master {iface.master or '(none)'}")
        if link.alias != self.ctx.alias and iface.kind != Kind.LOOPBACK and not self.effects.foreign_link(netns, iface.name):
            spec["alias"] = self.ctx.alias
            before.append(f"alias {link.alias or '(none)'}")
            after.append(f"alias {self.ctx.alias}")
        if before:
            self.out.add(SET_LINK, Change.UPDATE, netns, f"link {iface.name}", LinkSpec(iface.name, **spec),  # type: ignore[arg-type]
                         before=", ".join(before), after=", ".join(after), key=LinkKey(netns, iface.name),
                         links=(LinkKey(netns, iface.name),))


def made_settings(d: LinkDiff, netns: str | None, iface: Interface) -> None:
    """A link the plan makes: the settings its kind's create request leaves out (queue
    length, a port's hairpin mode), once it exists and is a port."""
    wanted = [(key, want) for key, _, want in port_and_queue(iface, None)]
    if wanted:
        d.out.add(SET_LINK, Change.UPDATE, netns, f"link {iface.name}", LinkSpec(iface.name, **dict(wanted)),  # type: ignore[arg-type]
                  before="(new)", after=", ".join(describe_setting(k, v) for k, v in wanted),
                  key=LinkKey(netns, iface.name), links=(LinkKey(netns, iface.name),))


def port_and_queue(iface: Interface, link: LiveLink | None) -> list[tuple[str, str, object]]:
    """(LinkSpec field, what the link has, what the file wants) of the queue length and a
    port's hairpin mode where they differ; `link` None: a link the plan makes (the kernel's
    defaults: its queue length left alone unless declared, hairpin off). A port that changes
    bridge is a new port (hairpin off)."""
    out: list[tuple[str, str, object]] = []
    if iface.txqueuelen is not None and (link is None or link.txqlen != iface.txqueuelen):
        out.append(("txqlen", f"txqueuelen {link.txqlen}" if link else "(new)", iface.txqueuelen))
    if iface.master is not None:
        have = link is not None and link.master == iface.master and link.hairpin
        if have != iface.hairpin:
            out.append(("hairpin", f"hairpin {'on' if have else 'off'}", iface.hairpin))
    return out


def describe_setting(key: str, value: object) -> str:
    return f"txqueuelen {value}" if key == "txqlen" else f"hairpin {'on' if value else 'off'}"


def heir_of(ctx: DiffContext, link: LiveLink) -> str | None:
    """Another lab of the machine that declares this root link of the lab's (the first by
    name): the link is handed over to it instead of deleted."""
    if link.alias != ctx.alias:
        return None
    users = [lab for lab, rec in sorted(ctx.live.other_labs.items()) if link.name in rec.uses]
    return users[0] if users else None


def vanishing_ends(ctx: DiffContext, effects: Effects) -> set[int]:
    """Root-namespace veth ends whose peer is in a namespace this plan deletes."""
    live = ctx.live
    nsids = {ns.nsid for name in effects.doomed()
             if (ns := live.namespaces.get(name)) is not None and ns.nsid is not None}
    return {link.index for link in live.root.links.values()
            if link.kind == "veth" and link.peer_netnsid is not None and link.peer_netnsid in nsids}


def ports_leave(d: LinkDiff, netns: str | None, bridge: str) -> bool:
    """Whether a port the bridge has now is not among the ports the file gives it (a bridge
    losing its last port gets the kernel's MTU back)."""
    live = d.live_ns(netns)
    kept = {i.name for ns in d.ctx.node.all_netns() if ns.place.netns == netns
            for i in ns.interfaces.values() if i.master == bridge and not d.effects.link_made(netns, i.name)}
    return live is not None and any(link.master == bridge and name not in kept for name, link in live.links.items())


def diff(ctx: DiffContext, effects: Effects, kinds: list[Any]) -> Outcome:
    return LinkDiff(ctx, effects, kinds).run()
