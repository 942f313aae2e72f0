"""The server's figure caches (ui.figure_cache): copies that do not share state, one build per key, bounded size."""
import plotly.graph_objects as go

from kdviz.plots import training as PT
from kdviz.plots.training import FigureSpec
from ui.figure_cache import FigureTemplates, SharedFigures


def _figure() -> FigureSpec:
    fig = go.Figure(go.Scatter(x=[0, 1], y=[1, 0]))
    fig.add_annotation(text="panel 0", x=0, y=0)
    return FigureSpec(fig)


def test_figure_templates_hand_out_independent_copies_and_stay_bounded():
    store = FigureTemplates(size=2)
    fig = _figure()
    store.keep("a", fig)
    first, second = store.copy("a"), store.copy("a")
    first.spec["layout"]["annotations"][0]["text"] = "changed"
    assert second.spec["layout"]["annotations"][0]["text"] == "panel 0"
    assert fig.spec["layout"]["annotations"][0]["text"] == "panel 0"
    assert first.drawn == {} and store.copy("missing") is None
    store.keep("b", fig)
    store.keep("c", fig)
    assert store.copy("a") is None and store.copy("c") is not None  # the least recently used went


def test_shared_figures_build_once_per_key_and_stay_bounded():
    store, built = SharedFigures(size=2), []

    def build(name):
        def make():
            built.append(name)
            return name
        return make

    assert store.get("a", build("a")) == "a" and store.get("a", build("again")) == "a"
    assert built == ["a"]
    store.get("b", build("b"))
    store.get("c", build("c"))
    assert store.get("a", build("a2")) == "a2"  # "a" was the least recently used: built anew


def test_the_core_holds_no_figure_cache():
    assert not any(hasattr(PT, name) for name in ("FigureCache", "FigureTemplates", "SharedFigures"))
