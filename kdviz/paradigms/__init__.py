"""The KD paradigms, one file each: its pure loss, its adapter to the engine and its Note.

Importing this package registers every paradigm as an engine method (kdviz imports it, so a
MemberConfig("dkd") is valid whatever was imported first). The list below is the one list of
paradigms: pages, plots, the command line and the README read names, colours and formulas from
NOTES. Adding a paradigm (say, contrastive representation distillation) is one new file here
holding its loss, its registered method and its NOTE, one line in MODULES, and one test.
"""
from kdviz.paradigms import (attention, baseline, born_again, dkd, fitnet, kd, mean_teacher, multi_teacher, mutual,
                             rkd, similarity)
from kdviz.paradigms.note import Note

MODULES = (baseline, kd, dkd, fitnet, attention, rkd, similarity, multi_teacher, mutual, born_again, mean_teacher)
NOTES: dict[str, Note] = {m.NOTE.key: m.NOTE for m in MODULES}
PARADIGMS = tuple(k for k in NOTES if k != "baseline")  # what a student can be trained with beside the baseline


def note(key: str) -> Note:
    """The Note of a method name; ValueError naming the choices otherwise."""
    if key not in NOTES:
        raise ValueError(f"unknown method {key!r}; choose from {', '.join(PARADIGMS)}")
    return NOTES[key]


def names_to_type(keys=PARADIGMS) -> str:
    """Each paradigm's display name beside the short name a settings box or the command line takes, as Markdown:
    "KD (Hinton): `kd`; DKD: `dkd`; ..."."""
    return "; ".join(f"{NOTES[k].name}: `{k}`" for k in keys)


__all__ = ["MODULES", "NOTES", "Note", "PARADIGMS", "names_to_type", "note"]
