"""The pages in a suggested order, and what to notice on each: the one source of Home's cards and every page's
"What to notice" line and "Next" link.

The lines say where to look, never what a run will show: a page's own results say that, computed
from the run (KD does not always help).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    """One page in the suggested order."""

    page: str  # the page's file in app_pages/ (and its URL path)
    title: str
    icon: str  # a Material icon name, as the router writes it
    line: str  # one line for its Home card
    minutes: int  # estimated time to work through it
    notice: str  # what to notice, shown at its top (Markdown)


PAGES = (
    Page("temperature", "Temperature", ":material/thermostat:",
         "How T softens a teacher's output, and what it never changes.", 3,
         "Watch the wrong classes' bars as you raise T, and whether the order of the bars ever changes."),
    Page("gradients", "Gradients", ":material/functions:",
         "The soft loss's gradient, why T² is there, KD as logit matching.", 5,
         "Compare the two gradient-norm curves (with and without T²) at high T, and find where the first one peaks."),
    Page("live", "Live training", ":material/play_circle:",
         "A student learns a class it never saw, live, beside its baseline.", 5,
         "Look at the unseen class's region in the KD student's and the baseline's panels, and at the recall "
         "they end with."),
    Page("dark_knowledge", "Dark knowledge", ":material/dark_mode:",
         "Handwritten digits: soft targets, the omitted digit, T × α.", 8,
         "Read the small bars: which wrong digits the teacher finds likely for an image, and what a student "
         "that never saw a digit makes of it."),
    Page("compare", "Compare paradigms", ":material/compare:",
         "Response, feature and relation KD side by side over seeds.", 6,
         "Read each method's gain over the baseline against its seed spread, not the accuracies alone."),
    Page("beyond", "Beyond one teacher", ":material/groups:",
         "Several teachers, mutual learning, EMA and born-again students.", 6,
         "In each tab, check whether the effect is larger than the seed spread before reading its size."),
    Page("which_teacher", "Which teacher?", ":material/school:",
         "Teacher size, early stopping, fidelity, Hinton's result.", 8,
         "Compare the teachers' own accuracies with the accuracies of the students they teach."),
    Page("claims", "Claims on trial", ":material/gavel:",
         "The textbook's advice on T, alpha and smoothness, tested.", 8,
         "Each tab's verdict is computed from paired seeds: compare it with the claim as written."),
    Page("market", "Market", ":material/candlestick_chart:",
         "An ensemble distilled into a tiny, fast trading model.", 8,
         "Compare every model with the majority class and logistic regression, and the student's latency with "
         "the ensemble's."),
    Page("board", "Board", ":material/groups_2:", "Workshops: a room where the class posts its runs.", 2,
         "One person's run is an anecdote; thirty runs with different settings show the trend, and how much it "
         "varies from run to run."),
)
BY_PAGE = {p.page: p for p in PAGES}
HOME = "home"


def page(name: str) -> Page:
    """The page called ``name`` (its file name in app_pages/); ValueError if there is none."""
    if name not in BY_PAGE:
        raise ValueError(f"no page called {name!r}: pages are {', '.join(BY_PAGE)}")
    return BY_PAGE[name]


def next_page(name: str) -> Page | None:
    """The page after ``name`` in the suggested order; None after the last one (back to Home)."""
    i = PAGES.index(page(name))
    return PAGES[i + 1] if i + 1 < len(PAGES) else None
