"""Which class the students may never see: one rule for every page and the command line.

A training setting asks to leave class ``omit`` out of the students' transfer set (-1: none). On
a dataset with fewer classes, or on a two-class set (where leaving one out leaves a single class
to learn), the request cannot hold: rather than refusing to run, the omitted class moves onto the
dataset's classes (its last class; none on a two-class set) and a sentence says what moved and why.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from kdviz.data.registry import spec


@dataclass(frozen=True)
class Omission:
    """The omitted class a dataset can take for a requested one."""

    dataset: str
    classes: int
    requested: int  # what the settings asked (-1: none)
    omit: int  # what the run leaves out (-1: none)

    @property
    def moved(self) -> bool:
        """Whether the run leaves out another class than the one asked for."""
        return self.omit != self.requested

    @property
    def shown_name(self) -> str:
        """The dataset as a sentence names it ("your CSV" for an upload, whose stored name means nothing)."""
        return "your CSV" if spec(self.dataset).kind == "table" else self.dataset

    def notice(self) -> str | None:
        """Why the omitted class changed, in words; None when it did not."""
        if not self.moved:
            return None
        now = "no class is left out now" if self.omit < 0 else f"class {self.omit} is left out instead"
        why = ("leaving one out would leave a single class" if self.classes == 2
               else f"it has classes 0 to {self.classes - 1}")
        return (f"{self.shown_name} has {self.classes} classes, so class {self.requested} cannot be left out "
                f"({why}): {now}.")


def omission(dataset: str, requested: int) -> Omission:
    """The omitted class of ``dataset`` for a requested one: kept when the dataset has it and keeps two
    classes or more; otherwise none on a two-class set, else the dataset's last class."""
    classes = spec(dataset).classes
    requested = int(requested)
    if requested < 0 or classes > 2 and requested < classes:
        return Omission(dataset, classes, requested, requested)
    return Omission(dataset, classes, requested, -1 if classes == 2 else classes - 1)


def fit(cfg):
    """(``cfg`` with its ``omit`` moved onto its ``dataset``'s classes, the sentence saying so or None); a
    config without both settings comes back as it is."""
    if not (hasattr(cfg, "dataset") and hasattr(cfg, "omit")):
        return cfg, None
    o = omission(cfg.dataset, cfg.omit)
    return (dataclasses.replace(cfg, omit=o.omit) if o.moved else cfg), o.notice()


def check(cfg) -> None:
    """ValueError when ``cfg`` asks for an omitted class its dataset cannot take (what fit() would move)."""
    o = omission(cfg.dataset, cfg.omit)
    if not o.moved:
        return
    if o.classes == 2:
        raise ValueError(f"omitting a class of {o.shown_name} leaves one class: choose -1 (none)")
    raise ValueError(f"{o.shown_name} has {o.classes} classes (0 to {o.classes - 1}): the omitted class must be one "
                     f"of them, or -1 for none")
