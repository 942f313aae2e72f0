"""The Dark knowledge page's figures: the teachers' three tabs, the omitted digit's bias curve, the sweep's three.

What the figures show is computed by kdviz.experiments.dark_knowledge (soft targets, class
similarity, the loss split over T, the bias curve, accuracy against T) and drawn by
kdviz.plots.digits. teachers, omitted and sweep are the figures of those experiments' snapshots
(one tab's run each); figures is the whole page's, every finished tab titled "<part> <figure>".
"""
from __future__ import annotations

from sklearn.datasets import load_digits

from kdviz.experiments.dark_knowledge import soft_targets
from kdviz.experiments.dark_knowledge.omitted import OmittedConfig, OmittedSnapshot, best_bias, bias_curve
from kdviz.experiments.dark_knowledge.page import DarkSnapshot, part_run
from kdviz.experiments.dark_knowledge.settings import DarkConfig
from kdviz.experiments.dark_knowledge.sweep import SHOWN_ALPHA, SweepConfig, SweepSnapshot, accuracy_curves
from kdviz.experiments.dark_knowledge.teachers import TeachersConfig, TeachersSnapshot, names
from kdviz.plots import digits, svg


def teachers(cfg: TeachersConfig, snap: TeachersSnapshot, image: int | None = None, T: float | None = None,
             log: bool = True, profiles: dict | None = None) -> dict:
    """The first three tabs' figures: test image ``image`` and the normal teacher's soft targets for it at ``T``
    (beside T = 1; ``log``: a log probability axis), both teachers' class similarity at T, and their KD-loss split
    over T with T marked (``profiles``: soft_targets.profiles of the snapshot, when the caller has it). ``image``
    and ``T`` default to the page's defaults."""
    shown = DarkConfig()
    i, t = shown.image if image is None else image, shown.T if T is None else T

    def bars():
        z = snap.logits[0, i]  # (C,) the normal teacher's logits
        return digits.soft_target_bars(soft_targets.soft_targets(z, t), soft_targets.soft_targets(z, 1.0),
                                       int(snap.labels[i]), t, log=log)

    def similarity():
        return digits.similarity_heatmaps([(n, soft_targets.similarity(snap.logits[k], snap.labels, t))
                                           for k, n in enumerate(names(snap))])

    def profile():
        split = soft_targets.profiles(snap.logits, snap.labels) if profiles is None else profiles
        return digits.profile_curves(split, t)

    return {"test image": lambda: digits.digit_image(snap.images[i], f"Test image {i}: a {int(snap.labels[i])}"),
            "soft targets": bars, "class similarity": similarity, "what T reveals": profile}


def omitted(cfg: OmittedConfig, snap: OmittedSnapshot, bias: float = 0.0) -> dict:
    """The omitted-digit tab's figure: the KD students' errors against the omitted digit's bias, with the one
    chosen on validation and ``bias`` (the page's slider) marked; none for a run without baselines (the
    label-smoothing tab draws no figure)."""
    if not snap.done or "baseline" not in snap.test_logits:
        return {}

    def curve():
        c, y = snap.omit, snap.y_test
        chosen = best_bias(snap.val_logits["kd"], snap.y_val, c)
        return digits.bias_figure(bias_curve(snap.test_logits["kd"], y, c), c, chosen, bias, int((y == c).sum()))

    return {"bias curve": curve}


def sweep(cfg: SweepConfig, snap: SweepSnapshot) -> dict:
    """The sweep tab's figures: accuracy and fidelity heatmaps, and accuracy against T at SHOWN_ALPHA."""
    r = snap.result
    if r is None:
        return {}
    return {"accuracy heatmaps": lambda: digits.sweep_heatmaps(r, "accuracy"),
            "fidelity heatmaps": lambda: digits.sweep_heatmaps(r, "fidelity"),
            "accuracy vs T": lambda: digits.accuracy_vs_t(*accuracy_curves(r, SHOWN_ALPHA), SHOWN_ALPHA)}


PARTS = {"dark_teachers": teachers, "dark_omitted": omitted, "dark_sweep": sweep}  # experiment -> its figures


def figures(cfg: DarkConfig, snap: DarkSnapshot) -> dict:
    """Every finished tab's figures, titled "<part> <figure>", drawn with the page's display settings (the test
    image and T shown, the bias)."""
    out = {}
    for name, sub_snap in snap.parts.items():
        exp, sub = part_run(cfg, name)
        shown = {"teachers": {"image": cfg.image, "T": cfg.T}, "omitted": {"bias": cfg.bias}}.get(name, {})
        out.update({f"{name} {title}": make for title, make in PARTS[exp.name](sub, sub_snap, **shown).items()})
    return out


DRAWS = {"dark_knowledge": figures, **PARTS}  # experiment -> its figures (kdviz.figures.FIGURES)


def card() -> str:
    """Home's card figure (SVG text): a handwritten 3, the digit the page's students never see."""
    return svg.image(load_digits().images[3])  # (8, 8)
