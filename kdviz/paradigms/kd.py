"""Hinton's knowledge distillation (Hinton, Vinyals and Dean 2015): match the teacher's softened outputs.

The engine method "kd" (kdviz.train.hinton) trains kdviz.softening.kd_loss with its analytic
gradient (tested against it); this module holds what the app says about it.
"""
from kdviz import softening
from kdviz.paradigms.note import Note

TRANSFERS = ("The teacher's whole output distribution at temperature T: which wrong classes look alike "
             "(dark knowledge).")
FORMULA = r"\mathcal{L} = \alpha\,\mathrm{CE}(p, y) + (1-\alpha)\,T^2\,\mathrm{KL}(q^T \,\|\, p^T)"  # as trained

NOTE = Note("kd", "KD (Hinton)", "#D55E00", "response", TRANSFERS, FORMULA, softening.kd_loss,
            uses=("T", "alpha"),
            reference="Hinton, Vinyals and Dean 2015, Distilling the knowledge in a neural network")
