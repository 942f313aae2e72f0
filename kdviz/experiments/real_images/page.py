"""The Real images page's runs from its settings (RealConfig): each tab's experiment and that experiment's settings."""
from __future__ import annotations

from kdviz.experiments.real_images import omitted, seen, threeway, width
from kdviz.experiments.real_images.settings import RealConfig

PARTS = ("seen", "threeway", "omitted", "width")  # the page's tabs that train, in order


def seen_config(cfg: RealConfig) -> seen.SeenConfig:
    """The soft-targets run the page's settings describe."""
    return seen.SeenConfig(cfg.image_set, cfg.n, cfg.test_n, cfg.teacher)


def threeway_config(cfg: RealConfig) -> threeway.ThreeWayConfig:
    """The three-way run the page's settings describe."""
    return threeway.ThreeWayConfig(cfg.image_set, cfg.n, cfg.test_n, cfg.teacher, cfg.width, cfg.T, cfg.alpha,
                                   cfg.steps, cfg.seeds, cfg.lr)


def omitted_config(cfg: RealConfig) -> omitted.OmittedImagesConfig:
    """The omitted-class run the page's settings describe (the three-way's students, one class left out)."""
    return omitted.OmittedImagesConfig(cfg.image_set, cfg.n, cfg.test_n, cfg.teacher, cfg.width, cfg.T, cfg.alpha,
                                       cfg.steps, cfg.seeds, cfg.lr, cfg.omit)


def width_config(cfg: RealConfig) -> width.WidthConfig:
    """The width sweep the page's settings describe (the default widths and temperatures)."""
    return width.WidthConfig(cfg.image_set, cfg.n, cfg.test_n, cfg.teacher, alpha=cfg.alpha, steps=cfg.sweep_steps,
                             seeds=cfg.sweep_seeds, lr=cfg.lr)


def part_run(cfg: RealConfig, part: str) -> tuple:
    """(experiment, its settings) of one tab's run under the page's settings."""
    return {"seen": (seen.EXPERIMENT, seen_config(cfg)), "threeway": (threeway.EXPERIMENT, threeway_config(cfg)),
            "omitted": (omitted.EXPERIMENT, omitted_config(cfg)), "width": (width.EXPERIMENT, width_config(cfg))}[part]
