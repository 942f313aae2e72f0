"""Home's card figures: SVG drawn by each page's figures module (kdviz.figures.<path>.card) from the page's own kdviz
functions, one per page, cached by kdviz.site.thumbnail."""
import re

import numpy as np
import pytest

from kdviz import guide, site, softening
from kdviz.plots import svg


def test_every_page_has_a_distinct_svg_thumbnail_computed_once():
    drawn = {p.path: site.thumbnail(p.path) for p in guide.PAGES}
    assert all(s.startswith("<svg") and s.endswith("</svg>") for s in drawn.values())
    assert len(set(drawn.values())) == len(drawn)
    assert site.thumbnail("live") is drawn["live"]  # cached
    with pytest.raises(ValueError, match="no page called"):
        site.thumbnail("nowhere")
    with pytest.raises(ValueError, match="no card figure"):
        site.thumbnail("home")


def test_bars_are_the_softened_distribution_scaled_to_the_tallest():
    p = softening.softmax_t([8.0, 3.0, 1.5, 0.0, -2.0], 4.0).numpy()
    text = svg.bars([(p, "#000")])
    heights = [float(h) for h in re.findall(r'<rect [^>]*height="([0-9.]+)"', text)]
    assert len(heights) == 5
    assert np.allclose(np.array(heights) / heights[0], p / p[0], atol=0.02)
