"""What the app says about a paradigm, in one place: its name, colour, what it transfers and its formula as trained."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

FAMILIES = ("none", "response", "feature", "relation", "teachers", "peers", "self")


@dataclass(frozen=True)
class Note:
    """A paradigm as the pages, plots, the command line and the README present it.

    ``formula`` is the LaTeX of the whole objective the engine trains (hard-label term included)
    and ``function`` the one function computing it, which the engine method calls; a test checks
    the two agree on a real batch. ``uses`` names the page settings the method reads (the
    temperature "T", the hard-label weight "alpha"); ``defaults`` its own weights and options.
    """

    key: str  # the method's name in the engine registry (MemberConfig.method)
    name: str  # display name
    colour: str  # one colour per paradigm, the same in every figure
    family: str  # what kind of knowledge moves: one of FAMILIES
    transfers: str  # what the student learns from, in one sentence
    formula: str  # LaTeX for st.latex (no surrounding $), exactly as trained
    function: Callable  # computes the formula (kdviz.paradigms.<module>.<function>)
    uses: tuple[str, ...] = ()  # page settings the method reads: "T", "alpha"
    defaults: Mapping[str, float | str] = field(default_factory=dict)  # its own options and their defaults
    reference: str = ""  # the paper

    def __post_init__(self):
        if self.family not in FAMILIES:
            raise ValueError(f"family must be one of {', '.join(FAMILIES)}, got {self.family!r}")

    @property
    def function_name(self) -> str:
        """The dotted name of the function computing the formula, for the page to cite."""
        return f"{self.function.__module__}.{self.function.__name__}"

    def settings_used(self) -> str:
        """Which of the page's settings this method uses, in words."""
        names = {"T": "the temperature T", "alpha": "alpha (the hard-label weight)"}
        used = [names[u] for u in self.uses]
        return ("Uses " + " and ".join(used) if used else "Uses neither T nor alpha") + (
            "; its own settings: " + ", ".join(f"{k} = {v:g}" if isinstance(v, float) else f"{k} = `{v}`"
                                                for k, v in self.defaults.items()) if self.defaults else "") + "."
