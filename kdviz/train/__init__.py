"""The training engine: populations of K students trained in one pass, their methods, teachers and evaluation.

protocol.py says what a method sees (Batch) and is (Method) and holds the registry; kernels.py
holds the loss kernels every method builds on (with their analytic gradients), optimiser.py the
Adam that steps a population's one parameter buffer; hinton.py
registers Hinton's KD and the baseline with their analytic fast path (smoothing.py the
label-smoothed cross-entropy of smoothed teachers); run.py is PopulationRun, K students of one
shape whose member k equals the same member trained alone; teacher.py trains and caches
teachers; evaluate.py turns models into numbers and heatmaps. The KD paradigms beyond Hinton's
register themselves from kdviz.paradigms (imported by kdviz itself, so every name is always known).
"""
from kdviz.train import hinton, smoothing  # noqa: F401  (register baseline, kd, smoothed_ce)
from kdviz.train.batches import IndexStream
from kdviz.train.configs import MemberConfig, TeacherConfig
from kdviz.train.evaluate import GridPredictions, evaluate, grid_predictions, plane_extent
from kdviz.train.outputs import TeacherOutputs, model_logits, teacher_outputs
from kdviz.train.kernels import hard_loss
from kdviz.train.methods import METHODS, Batch, Grad, Method, lookup, register_method
from kdviz.train.history import HISTORY_KEYS
from kdviz.train.run import PopulationRun, RunSnapshot
from kdviz.train import teacher_store  # noqa: F401  (teachers on disk)
from kdviz.train.teacher import (TEACHER_CACHE_SIZE, Checkpoints, clear_teacher_cache, dataset_key, train_checkpointed,
                                 train_ensemble, train_teacher)

__all__ = [
    "Batch", "Checkpoints", "Grad", "GridPredictions", "HISTORY_KEYS", "IndexStream", "METHODS", "MemberConfig", "Method",
    "PopulationRun", "RunSnapshot", "TEACHER_CACHE_SIZE", "TeacherConfig", "TeacherOutputs", "clear_teacher_cache",
    "dataset_key", "evaluate", "grid_predictions", "hard_loss", "lookup", "model_logits", "plane_extent",
    "register_method", "teacher_outputs", "teacher_store", "train_checkpointed", "train_ensemble", "train_teacher",
]
