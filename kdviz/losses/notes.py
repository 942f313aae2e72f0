"""What each KD paradigm transfers, with its formula in LaTeX (for st.latex) and the function computing it."""
from __future__ import annotations

from typing import NamedTuple

from kdviz import softening
from kdviz.losses import ema, feature, mutual, relation, response, teachers


class LossNote(NamedTuple):
    """A loss for the comparison page: unpacks as (transfers, formula)."""

    transfers: str  # what knowledge the loss hands from teacher to student, in one sentence
    formula: str  # LaTeX for st.latex (no surrounding $)


LOSS_NOTES: dict[str, LossNote] = {
    "kd": LossNote(
        "The teacher's whole output distribution at temperature T: which wrong classes look alike (dark knowledge).",
        r"\mathcal{L} = \alpha\,\mathrm{CE}(p^{1}, y) + (1-\alpha)\,T^2\,\mathrm{KL}(q^T \,\|\, p^T)"),
    "dkd": LossNote(
        "The same distribution split in two: confidence on the target class (TCKD) and the ranking of "
        "the other classes (NCKD), with NCKD freed from the (1 - q_t) damping of classic KD.",
        r"\mathcal{L} = T^2\left(\alpha\,\mathrm{KL}(b^q \,\|\, b^p)"
        r" + \beta\,\mathrm{KL}(\hat q^{\setminus t} \,\|\, \hat p^{\setminus t})\right)"),
    "fitnet": LossNote(
        "Intermediate representations: the student's hidden layer, through a learned linear regressor, "
        "must reproduce the teacher's hidden layer.",
        r"\mathcal{L} = \frac{1}{B\,H_t}\sum_{b} \left\| h^s_b W + c - h^t_b \right\|_2^2"),
    "attention": LossNote(
        "Where the network puts its activation energy: the normalised squared activations, not their values.",
        r"\mathcal{L} = \frac{1}{B}\sum_b \left\| \frac{e^s_b}{\|e^s_b\|_2} - \frac{e^t_b}{\|e^t_b\|_2} \right\|_2^2,"
        r"\quad e_b = \mathrm{pool}(h_b^{2})"),
    "rkd": LossNote(
        "The geometry of the batch: relative distances between samples and angles between triplets, "
        "whatever the scale, rotation or offset of the embedding.",
        r"\mathcal{L} = 25\,\overline{\ell_\delta\!\left(\frac{\|s_i - s_j\|}{\mu_s} - \frac{\|t_i - t_j\|}{\mu_t}\right)}"
        r" + 50\,\overline{\ell_\delta\!\left(\cos\angle s_i s_j s_k - \cos\angle t_i t_j t_k\right)}"),
    "similarity": LossNote(
        "Which samples the teacher finds similar: the row-normalised Gram matrix of a batch's activations.",
        r"\mathcal{L} = \frac{1}{B^2}\left\| \tilde G^s - \tilde G^t \right\|_F^2,\quad"
        r" \tilde G = \mathrm{rownorm}(h h^\top)"),
    "multi_teacher": LossNote(
        "A consensus of several teachers: averaged probabilities, averaged logits, or a per-sample "
        "mixture weighted by each teacher's confidence.",
        r"r = \sum_{m=1}^{M} w_m\, q_m^T,\quad w = \mathrm{softmax}_m(\kappa\, c_m),\quad"
        r" \mathcal{L} = T^2\,\mathrm{KL}(r \,\|\, p^T)"),
    "mutual": LossNote(
        "No fixed teacher: a cohort of students trained together, each matching its peers' current predictions.",
        r"\mathcal{L}_k = \mathrm{CE}(p_k, y) + \frac{1}{K-1}\sum_{j \ne k} \mathrm{KL}(p_j \,\|\, p_k)"),
    "born_again": LossNote(
        "The model's own earlier self: generation k learns from generation k-1 of the same architecture.",
        r"\mathcal{L}^{(k)} = \alpha\,\mathrm{CE}(p^{(k)}, y) + (1-\alpha)\,T^2\,\mathrm{KL}(p^{(k-1),T} \,\|\, p^{(k),T})"),
    "mean_teacher": LossNote(
        "A smoothed version of the student itself: its exponential moving average, which is steadier than any single step.",
        r"\theta'_t = \gamma\,\theta'_{t-1} + (1-\gamma)\,\theta_t,\quad"
        r" \mathcal{L} = \mathrm{CE}(p, y) + w(t)\,\frac{1}{C}\left\| p - p_{\theta'} \right\|_2^2"),
}

LOSS_FUNCTIONS = {  # the one function computing each loss (a page names it beside the formula)
    "kd": softening.kd_loss,
    "dkd": response.dkd_loss,
    "fitnet": feature.fitnet_loss,
    "attention": feature.attention_loss,
    "rkd": relation.rkd_loss,
    "similarity": relation.similarity_loss,
    "multi_teacher": teachers.combine_teachers,
    "mutual": mutual.mutual_loss,
    "born_again": teachers.born_again_targets,
    "mean_teacher": ema.consistency_loss,
}
