"""The settings every real-image experiment shares: which images, how many, which teacher.

ImagesRun is the base of each experiment's settings dataclass. A number of images of 0 means all
of them (the command line's full-size runs: ``--n 0``).
"""
from __future__ import annotations

from dataclasses import dataclass

from kdviz.config import setting
from kdviz.experiments.real_images.teachers import DATASETS, TEACHERS, image_data
from kdviz.softening_curves import T_CHOICES

STUDENT_LRS = (0.0003, 0.001, 0.003, 0.01)  # the students' Adam learning rates offered (784-input nets)
PAGE_N = 6000  # training images at the page's defaults (a stratified subset: fast enough to train live)


def all_if_zero(n: int) -> int | None:
    """A number of images as image_data takes it: None (all of them) for 0."""
    return int(n) if n else None


@dataclass
class ImagesRun:
    """Which images a run trains on and which teacher it distils from."""

    image_set: str = setting("fashion_mnist", "Image set", choices=DATASETS)
    n: int = setting(PAGE_N, "Students' training images (0: all 60,000 less the validation split)", lo=0,
                     hi=60_000, step=100, help="the transfer set; the teacher learns from every training image")
    test_n: int = 0  # test images (0: the official 10,000)
    teacher: str = setting("page", "Teacher size", choices=tuple(TEACHERS),
                           help="page: 784-400-400-10, dropout 0.2; full: Hinton's 784-1200-1200-10, dropout 0.5")

    def __post_init__(self):
        if self.image_set not in DATASETS:
            raise ValueError(f"unknown image set {self.image_set!r}; choose one of {', '.join(DATASETS)}")
        if self.teacher not in TEACHERS:
            raise ValueError(f"unknown teacher size {self.teacher!r}; choose one of {', '.join(TEACHERS)}")
        if int(self.n) < 0 or int(self.test_n) < 0:
            raise ValueError(f"numbers of images are at least 0 (0: all), got {self.n} and {self.test_n}")

    def data(self):
        """The Dataset the students train and are tested on (built once per process)."""
        return image_data(self.image_set, all_if_zero(self.n), all_if_zero(self.test_n))

    def teacher_data(self):
        """The Dataset the teacher trains on: every training image, the same test images."""
        return image_data(self.image_set, None, all_if_zero(self.test_n))


@dataclass
class StudentsRun(ImagesRun):
    """A run of students of two hidden layers, a baseline and a KD student per seed: their width and training."""

    width: int = setting(100, "Student units per hidden layer (Hinton: 800)", lo=10, hi=1200, step=10)
    T: float = setting(20.0, "Distillation temperature", choices=T_CHOICES)
    alpha: float = setting(0.1, "alpha (weight of the hard labels)", lo=0.0, hi=1.0, step=0.05)
    steps: int = setting(1500, "Training steps", lo=50, hi=100_000, step=50)
    seeds: int = setting(3, "Seeds (students per role)", lo=1, hi=5)
    lr: float = setting(0.001, "Learning rate", choices=STUDENT_LRS)


@dataclass
class RealConfig(StudentsRun):
    """Everything the Real images page shows or trains, round-tripped through the URL (the three-way's and the omitted
    class's students are StudentsRun's fields)."""

    image: int = setting(4, "Test image (0 to 9999)", lo=0, hi=9999)
    shown_T: float = setting(4.0, "Temperature T of the soft targets shown", choices=T_CHOICES)
    omit: int = setting(3, "Class left out of the students' transfer set (0 to 9)", lo=0, hi=9)
    bias: float = setting(0.0, "Bias added to the omitted class's logit", lo=-2.0, hi=10.0, step=0.25)
    sweep_steps: int = setting(300, "Steps per student", lo=50, hi=100_000, step=50)
    sweep_seeds: int = setting(2, "Seeds per cell", lo=1, hi=5)


def _shared(cfg: ImagesRun) -> dict:
    """The image settings of any real-image run, as RealConfig's fields."""
    return {"image_set": cfg.image_set, "n": cfg.n, "test_n": cfg.test_n, "teacher": cfg.teacher}


def _students(cfg: StudentsRun) -> dict:
    """The image and student settings of a run of students, as RealConfig's fields."""
    return {**_shared(cfg), "width": cfg.width, "T": cfg.T, "alpha": cfg.alpha, "steps": cfg.steps,
            "seeds": cfg.seeds, "lr": cfg.lr}


def from_seen(cfg) -> RealConfig:
    """The page's settings that show a soft-targets run."""
    return RealConfig(**_shared(cfg))


def from_threeway(cfg) -> RealConfig:
    """The page's settings that show a three-way run."""
    return RealConfig(**_students(cfg))


def from_omitted(cfg) -> RealConfig:
    """The page's settings that show an omitted-class run."""
    return RealConfig(**_students(cfg), omit=cfg.omit)


def from_width(cfg) -> RealConfig:
    """The page's settings that show a width sweep (its alpha, steps, seeds and learning rate; the default grid)."""
    return RealConfig(**_shared(cfg), alpha=cfg.alpha, lr=cfg.lr, sweep_steps=cfg.steps, sweep_seeds=cfg.seeds)
