"""The Dark knowledge you can see tab's figures: a test image, its soft targets at T beside T = 1, the class
similarity the soft targets imply, and the images the teacher is least sure about."""
from __future__ import annotations

from kdviz.experiments.dark_knowledge import soft_targets
from kdviz.experiments.real_images.seen import SeenConfig, SeenSnapshot, ambiguous, image_title
from kdviz.plots import digits, images

SHOWN_IMAGE, SHOWN_T = 4, 4.0  # the page's default test image and temperature shown


def figures(cfg: SeenConfig, snap: SeenSnapshot, image: int | None = None, T: float | None = None,
            log: bool = True) -> dict:
    """The tab's figures for test image ``image`` at temperature ``T`` (the page's defaults when None; ``log``: a log
    probability axis)."""
    i = min(SHOWN_IMAGE if image is None else int(image), len(snap.labels) - 1)
    t = SHOWN_T if T is None else float(T)
    names = snap.class_names

    def bars():
        z = snap.logits[i]  # (C,)
        return digits.soft_target_bars(soft_targets.soft_targets(z, t), soft_targets.soft_targets(z, 1.0),
                                       int(snap.labels[i]), t, log=log, names=names, what="class")

    def similarity():
        return digits.similarity_heatmaps([(f"mean soft target at T = {t:g}",
                                            soft_targets.similarity(snap.logits, snap.labels, t))], names, "class")

    def gallery():
        top = ambiguous(snap.logits)
        return images.image_grid(snap.images[top], [image_title(snap, int(k)).replace("Test image", "#")
                                                    for k in top], "The images the teacher is least sure about")

    return {"test image": lambda: digits.digit_image(snap.images[i], image_title(snap, i), zmax=255),
            "soft targets": bars, "class similarity": similarity, "ambiguous images": gallery}


DRAWS = {"real_seen": figures}
