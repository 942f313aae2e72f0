"""The Real images page's figures: one module per tab's experiment (seen, threeway, omitted, width), each declaring
its DRAWS, gathered here in the page's order; this package also draws the page's Home card."""
from __future__ import annotations

import numpy as np

from kdviz.data.idx import IdxError, read_idx
from kdviz.data.image_files import FASHION, locate
from kdviz.figures.real_images import omitted, seen, threeway, width
from kdviz.plots import svg

DRAWS = {**seen.DRAWS, **threeway.DRAWS, **omitted.DRAWS, **width.DRAWS}  # experiment -> its figures


def card() -> str:
    """Home's card figure (SVG text): the first Fashion-MNIST test image (its test file alone is read, so Home stays
    fast), or a plain shape where the set is missing or unreadable (the page then says why)."""
    found = locate(FASHION)
    try:
        return svg.image(read_idx(found[0]["test_images"])[0])  # (28, 28)
    except (TypeError, KeyError, IndexError, IdxError, OSError):
        return svg.image(np.tri(28))  # (28, 28) a shape
