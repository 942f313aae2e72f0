"""The omitted-class tab's figure: the KD students' test errors against the bias added to the omitted class."""
from __future__ import annotations

from kdviz.experiments.dark_knowledge.omitted import OmittedSnapshot, bias_curve
from kdviz.experiments.real_images.omitted import OmittedImagesConfig, chosen_bias, class_names
from kdviz.plots import digits


def figures(cfg: OmittedImagesConfig, snap: OmittedSnapshot, bias: float = 0.0) -> dict:
    """{"bias curve": errors (all, on the omitted class) against its bias, the one chosen on validation and ``bias``
    (the page's slider) marked}; none before the run ends."""
    if not snap.done:
        return {}

    def curve():
        c, y = snap.omit, snap.y_test
        return digits.bias_figure(bias_curve(snap.test_logits["kd"], y, c), c, chosen_bias(snap), bias,
                                  int((y == c).sum()), class_names(cfg)[c])

    return {"bias curve": curve}


DRAWS = {"real_omitted": figures}
