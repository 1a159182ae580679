"""Ownership: topo changes only what the lab made (or adopts).

The kinds say which objects the file names that are another's (`ForeignNamespace`,
`ForeignLink`, `RefusedLink` effects). Every action is then admitted here or not: one that
would change another's object is not planned; it becomes part of that object's conflict
("to match the file it would need: ..."). Another's objects that need no change are
*unmanaged*: in sync, left alone, kept by destroy."""

from __future__ import annotations

from dataclasses import dataclass, field

from .diff import ForeignDiff, Outcome
from .effects import Effects
from .keys import LinkKey, NetnsKey, ObjectKey
from .plan import Action, Conflict, Unmanaged

_HINT = ("topo changes only what it created: make the file say what is there (topo save writes it), delete or "
         "rename the object, or pass --adopt to take it over")


@dataclass
class Ownership:
    lab: str
    admitted: list[Action] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    unmanaged: list[Unmanaged] = field(default_factory=list)
    diffs: dict[ObjectKey, tuple[str | None, str, list[str]]] = field(default_factory=dict)

    def take(self, outcome: Outcome, effects: Effects) -> None:
        """A kind's outcome, judged with the effects known once it is in."""
        for action in outcome.actions:
            self.admit(action, effects)
        for diff in outcome.foreign:
            self.differs(diff)
        self.conflicts += outcome.conflicts
        self.unmanaged += outcome.unmanaged

    def admit(self, action: Action, effects: Effects) -> None:
        places = [(link.netns, link.name) for link in action.links] or [(action.netns, None)]
        if any(name is not None and effects.refused(ns, name) for ns, name in places):
            return  # a device of another kind in the way: its conflict is reported already
        for ns, name in places:
            if ns is not None and effects.foreign_namespace(ns):
                self.differs(ForeignDiff(NetnsKey(ns), f"namespace {ns}", ns, action.describe()))
                return
            if ns is None and name is not None and effects.foreign_link(None, name):
                self.differs(ForeignDiff(LinkKey(None, name), f"link {name}", None, action.describe()))
                return
        self.admitted.append(action)

    def differs(self, diff: ForeignDiff) -> None:
        self.diffs.setdefault(diff.subject, (diff.netns, diff.label, []))[2].append(diff.change)

    def outcome(self, effects: Effects) -> tuple[list[Conflict], list[Unmanaged]]:
        """Each foreign object that differs from the file is a conflict naming how; the
        others are unmanaged and in sync."""
        conflicts = []
        for netns, label, changes in self.diffs.values():
            shown = "; ".join(changes[:4]) + (f"; and {len(changes) - 4} more" if len(changes) > 4 else "")
            conflicts.append(Conflict(netns, label, f"{label} exists and was not created by lab {self.lab}; "
                                      f"to match the file it would need: {shown}", _HINT))
        from .effects import ForeignLink, ForeignNamespace

        subjects: list[tuple[ObjectKey, str | None, str]] = (
            [(NetnsKey(f.name), f.name, f"namespace {f.name}") for f in sorted(effects.of_type(ForeignNamespace), key=lambda f: f.name)]
            + [(f.link, None, f"link {f.link.name}") for f in sorted(effects.of_type(ForeignLink), key=lambda f: f.link.name)])
        unmanaged = [Unmanaged(n, label) for key, n, label in subjects if key not in self.diffs]
        return self.conflicts + conflicts, unmanaged + self.unmanaged
