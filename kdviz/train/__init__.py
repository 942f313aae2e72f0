"""The training engine: teachers, and populations of K students trained in one pass.

PopulationRun (run.py) trains K students of one shape together; members may differ in method,
temperature T, alpha, learning rate and seed, and member k's numbers equal those of the same
member trained alone. Methods are pluggable (methods.py: METHODS, register_method). Teachers are
trained with the same engine and cached (teacher.py); evaluate and grid_predictions (evaluate.py)
turn models into numbers and heatmaps.
"""
from kdviz.train.batches import IndexStream
from kdviz.train.configs import MemberConfig, TeacherConfig
from kdviz.train.evaluate import GridPredictions, evaluate, grid_predictions
from kdviz.train.methods import METHODS, Batch, Method, hard_loss, register_method, soft_loss
from kdviz.train.outputs import TeacherOutputs, model_logits, teacher_outputs
from kdviz.train.run import HISTORY_KEYS, PopulationRun
from kdviz.train.teacher import TEACHER_CACHE_SIZE, clear_teacher_cache, dataset_key, train_teacher

__all__ = [
    "Batch", "GridPredictions", "HISTORY_KEYS", "IndexStream", "METHODS", "MemberConfig", "Method", "PopulationRun",
    "TEACHER_CACHE_SIZE", "TeacherConfig", "TeacherOutputs", "clear_teacher_cache", "dataset_key", "evaluate",
    "grid_predictions", "hard_loss", "model_logits", "register_method", "soft_loss", "teacher_outputs", "train_teacher",
]
