"""The KD loss family beyond Hinton's KD: response, feature, relation, multi-teacher, mutual, mean teacher.

Every loss is a pure function on tensors. Student inputs are (B, ...) for one model or
(K, B, ...) for a population of K members trained in one pass; teacher inputs are shaped like
the student or lack K and broadcast. A loss returns the per-member batch mean: shape (K,), or a
scalar for unbatched input, so the engine can sum it and back-propagate. Hyperparameters are
numbers or tensors with one value per member. Bad shapes raise ValueError with a message a page
can show; values are not checked (a NaN from a diverging member reaches its loss, nothing syncs).
Hinton's KD itself and the DKD split live in kdviz.softening.
"""
from kdviz.losses.ema import consistency_loss, ema_decay, ema_update, sigmoid_rampup
from kdviz.losses.feature import HintRegressor, attention_loss, attention_map, fitnet_loss, hint_regress
from kdviz.losses.mutual import mutual_loss, mutual_mimicry
from kdviz.losses.notes import LOSS_FUNCTIONS, LOSS_NOTES, LossNote
from kdviz.losses.relation import (pairwise_distances, rkd_angle_loss, rkd_angles, rkd_distance_loss, rkd_distances,
                                   rkd_loss, similarity_loss, similarity_matrix)
from kdviz.losses.response import dkd_loss, soft_target_loss
from kdviz.losses.teachers import CONFIDENCE, RULES, TeacherMix, born_again_targets, combine_teachers

__all__ = [
    "CONFIDENCE", "HintRegressor", "LOSS_FUNCTIONS", "LOSS_NOTES", "LossNote", "RULES", "TeacherMix",
    "attention_loss", "attention_map", "born_again_targets", "combine_teachers", "consistency_loss",
    "dkd_loss", "ema_decay", "ema_update", "fitnet_loss", "hint_regress", "mutual_loss", "mutual_mimicry",
    "pairwise_distances", "rkd_angle_loss", "rkd_angles", "rkd_distance_loss", "rkd_distances", "rkd_loss",
    "sigmoid_rampup", "similarity_loss", "similarity_matrix", "soft_target_loss",
]
