"""The Real images page's figures: one module per tab's experiment (seen, threeway, omitted, width), each declaring
its DRAWS, gathered here in the page's order; this package also draws the page's Home card."""
from __future__ import annotations

import numpy as np

from kdviz.data.image_files import ImagesMissing, load
from kdviz.figures.real_images import omitted, seen, threeway, width
from kdviz.plots import svg

DRAWS = {**seen.DRAWS, **threeway.DRAWS, **omitted.DRAWS, **width.DRAWS}  # experiment -> its figures


def card() -> str:
    """Home's card figure (SVG text): the first Fashion-MNIST test image, or a plain shape where the set is missing."""
    try:
        return svg.image(load("fashion_mnist").x_test[0])  # (28, 28)
    except ImagesMissing:
        return svg.image(np.tri(28))  # (28, 28) a shape: the page says how to get the images
