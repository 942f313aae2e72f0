"""Distillation on real 28x28 images (Fashion-MNIST, and MNIST where it is on the machine), at the papers' scale.

One experiment per tab of the Real images page, each a settings dataclass (sharing
settings.ImagesRun: which images, how many, which teacher) and a generator of snapshots:
seen.py (the teacher's soft targets on real test images), threeway.py (Hinton's teacher, student
alone and student distilled), omitted.py (one class left out of the transfer set, the bias
that restores it), width.py (student width against T). teachers.py holds the data and the stored teachers they share.
"""
from __future__ import annotations

from kdviz.experiments.real_images import omitted, seen, threeway, width

EXPERIMENTS = (seen.EXPERIMENT, threeway.EXPERIMENT, omitted.EXPERIMENT, width.EXPERIMENT)
