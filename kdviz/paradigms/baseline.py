"""The baseline: the same student trained on the labels alone, the reference every paradigm is compared with.

The engine method "baseline" (kdviz.train.hinton) trains labelled_ce with its analytic gradient.
"""
from kdviz.paradigms.note import Note
from kdviz.train.kernels import labelled_ce

TRANSFERS = ("Nothing from a teacher: cross-entropy on the labels alone, from the same initial weights and "
             "batch order as every student it is compared with.")
FORMULA = r"\mathcal{L} = \mathrm{CE}(p, y)"  # as trained

NOTE = Note("baseline", "Baseline", "#7a7a7a", "none", TRANSFERS, FORMULA, labelled_ce)
