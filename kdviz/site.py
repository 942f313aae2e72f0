"""The app's pages: one record per page, in the suggested order, that everything else reads.

The router (app.py) builds its navigation from PAGES; Home's cards, each page's "What to notice" line and
Next link (kdviz.guide), Home's card figures (thumbnail: each page's ``card()`` in its figures module
kdviz.figures.<path>), the pages a lesson step can open
(kdviz.lessons), the page a run's link opens and its URL prefixes (kdviz.exports, the command line), and
the results computed ahead at a server's start (warm_runs) all come from here. A run's cost is
registered by its experiment (kdviz.experiments.budget.loops_of), the experiment and its figures by their
modules' existing (kdviz.experiments.EXPERIMENTS, kdviz.figures.FIGURES); each experiment belongs to exactly one
page.

Adding a page: its file app_pages/<path>.py, its experiment module kdviz/experiments/<path>.py, its figures module
kdviz/figures/<path>.py (with its card), one PageRecord below, and its tests.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field

from kdviz.experiments import budget
from kdviz.experiments.beyond import BeyondConfig
from kdviz.experiments.claims import CLAIMS, ClaimsConfig
from kdviz.experiments.compare import CompareConfig
from kdviz.experiments.dark_knowledge import DarkConfig
from kdviz.experiments.dark_knowledge.page import part_run
from kdviz.experiments.gradients import GradientsConfig
from kdviz.experiments.language import LanguageConfig
from kdviz.experiments.live import LiveConfig
from kdviz.experiments.market import MarketConfig
from kdviz.experiments.market.transfer import TransferConfig
from kdviz.experiments.real_images.page import PARTS as REAL_PARTS, part_run as real_part_run
from kdviz.experiments.real_images.settings import RealConfig
from kdviz.experiments.temperature import TemperatureConfig
from kdviz.experiments.which_teacher import PARTS, WhichTeacherConfig
from kdviz.figures import CARDS


@dataclass(frozen=True)
class PageRecord:
    """One page of the app: where it lives, how the sidebar and Home show it, what it runs."""

    path: str  # its URL path and its file's name in app_pages/
    title: str  # the sidebar's and the Home card's name (the page's own st.title says the same)
    icon: str  # a Material icon, as st.Page writes it
    group: str  # the sidebar section it is listed under
    line: str = ""  # one line for its Home card; where to look, never what a run will show
    minutes: int = 0  # estimated time to work through it
    notice: str = ""  # "What to notice", shown at its top (Markdown)
    experiments: tuple[str, ...] = ()  # the experiments it runs (kdviz.experiments.EXPERIMENTS names)
    query_prefix: dict[str, str] = field(default_factory=dict)  # experiment -> prefix of its URL parameters
    tab_field: dict[str, str] = field(default_factory=dict)  # experiment -> the field with one tab per value,
    # each tab's settings in the URL prefixed with that value ("capacity.steps=300")
    config: type | None = None  # the settings a lesson step opens it with (None: no lesson step opens it)
    warm: tuple[tuple[str, object], ...] = ()  # (experiment, settings) computed ahead at a server's start
    default: bool = False  # the page the root URL opens (Home); it lists the others and has no card itself
    # its Home card figure is card() of its figures module, kdviz.figures.<path> (see thumbnail)

    @property
    def file(self) -> str:
        """Its script, relative to the repository root (what st.Page and st.page_link take)."""
        return f"app_pages/{self.path}.py"


def _dark_parts(*parts: str) -> tuple[tuple[str, object], ...]:
    """(experiment, settings) of the Dark knowledge page's tabs ``parts`` at the page's defaults."""
    return tuple((exp.name, sub) for part in parts for exp, sub in [part_run(DarkConfig(), part)])


PAGES: tuple[PageRecord, ...] = (
    PageRecord("home", "Home", ":material/home:", "Start", default=True),
    PageRecord("temperature", "Temperature", ":material/thermostat:", "The mathematics",
               line="How T softens a teacher's output, and what it never changes.", minutes=3,
               notice="Watch the wrong classes' bars as you raise T, and whether the order of the bars ever changes.",
               config=TemperatureConfig),
    PageRecord("gradients", "Gradients", ":material/functions:", "The mathematics",
               line="The soft loss's gradient, why T² is there, KD as logit matching.", minutes=5,
               notice="Compare the two gradient-norm curves (with and without T²) at high T, and find where the "
                      "first one peaks.",
               config=GradientsConfig),
    PageRecord("live", "Live training", ":material/play_circle:", "Training",
               line="A student learns a class it never saw, live, beside its baseline.", minutes=5,
               notice="Look at the unseen class's region in the KD student's and the baseline's panels, and at the "
                      "recall they end with.",
               experiments=("live",), config=LiveConfig,
               warm=(("live", LiveConfig()),)),
    PageRecord("dark_knowledge", "Dark knowledge", ":material/dark_mode:", "Training",
               line="Handwritten digits: soft targets, the omitted digit, T × α.", minutes=8,
               notice="Read the small bars: which wrong digits the teacher finds likely for an image, and what a "
                      "student that never saw a digit makes of it.",
               experiments=("dark_knowledge", "dark_teachers", "dark_omitted", "dark_sweep"), config=DarkConfig,
               warm=_dark_parts("omitted", "smoothing", "sweep")),
    PageRecord("compare", "Compare paradigms", ":material/compare:", "Training",
               line="Response, feature and relation KD side by side over seeds.", minutes=6,
               notice="Read each method's gain over the baseline against its seed spread, not the accuracies alone.",
               experiments=("compare",), config=CompareConfig,
               warm=(("compare", CompareConfig()),)),
    PageRecord("beyond", "Beyond one teacher", ":material/groups:", "Training",
               line="Several teachers, mutual learning, EMA and born-again students.", minutes=6,
               notice="In each tab, check whether the effect is larger than the seed spread before reading its size.",
               experiments=("beyond",), warm=(("beyond", BeyondConfig()),)),
    PageRecord("which_teacher", "Which teacher?", ":material/school:", "Training",
               line="Capacity gap, a teacher assistant, early-stopped teachers.", minutes=8,
               notice="Compare the teachers' own accuracies with the accuracies of the students they teach.",
               experiments=("which_teacher",), tab_field={"which_teacher": "part"},
               warm=tuple(("which_teacher", WhichTeacherConfig(part=p)) for p in PARTS)),
    PageRecord("claims", "Claims on trial", ":material/gavel:", "Training",
               line="The textbook's advice on T, alpha and smoothness, tested.", minutes=8,
               notice="Each tab's verdict is computed from paired seeds: compare it with the claim as written.",
               experiments=("claims",), tab_field={"claims": "claim"},
               warm=tuple(("claims", ClaimsConfig(claim=c)) for c in CLAIMS)),
    PageRecord("market", "Market", ":material/candlestick_chart:", "Training",
               line="An ensemble distilled into a tiny, fast trading model.", minutes=8,
               notice="Compare every model with the majority class and logistic regression, and the student's latency "
                      "with the ensemble's.",
               experiments=("market", "market_transfer"), query_prefix={"market_transfer": "tr"},
               warm=(("market", MarketConfig()), ("market_transfer", TransferConfig()))),
    PageRecord("real_images", "Real images", ":material/image:", "Training",
               line="Fashion-MNIST: soft targets you can see, Hinton's three-way at scale.", minutes=8,
               notice="Look at which classes the teacher's small probabilities fall on for a shirt, and compare the "
                      "distilled student's errors with the student alone's, seed by seed.",
               experiments=tuple(real_part_run(RealConfig(), p)[0].name for p in REAL_PARTS), config=RealConfig,
               warm=tuple((exp.name, sub) for p in REAL_PARTS for exp, sub in [real_part_run(RealConfig(), p)])),
    PageRecord("language", "Distilling a language model", ":material/text_fields:", "Language models",
               line="A character model distilled seven ways: forward and reverse KL, JSD, top-k, on-policy.",
               minutes=8,
               notice="Compare the students' bars where the teacher is torn between two characters, then each "
                      "method's bits per character against labels only and its seed spread.",
               experiments=("language",), config=LanguageConfig,
               warm=(("language", LanguageConfig()),)),
    PageRecord("board", "Class board", ":material/groups_2:", "Workshop",
               line="Workshops: a room where the class posts its runs.", minutes=2,
               notice="One person's run is an anecdote; thirty runs with different settings show the trend, and how "
                      "much it varies from run to run."),
)
BY_PATH = {p.path: p for p in PAGES}


def page(path: str) -> PageRecord:
    """The page at URL path ``path``; ValueError naming the pages if there is none."""
    if path not in BY_PATH:
        raise ValueError(f"no page called {path!r}: pages are {', '.join(BY_PATH)}")
    return BY_PATH[path]


def of_experiment(name: str) -> PageRecord:
    """The page that runs experiment ``name``; ValueError if no page runs it."""
    for p in PAGES:
        if name in p.experiments:
            return p
    raise ValueError(f"no page runs the experiment {name!r}")


@functools.cache
def thumbnail(path: str) -> str:
    """The SVG text of page ``path``'s Home card figure, drawn by ``card()`` of its figures module
    (kdviz.figures.<path>) and computed once per process; ValueError for a page without one."""
    page(path)
    if path not in CARDS:
        raise ValueError(f"the page {path!r} has no card figure")
    return CARDS[path]()


def heavy(name: str, cfg) -> bool:
    """Whether a run costs more than one page run may (its budget estimate, kdviz.experiments.budget, above
    MAX_RUN_SECONDS; an experiment without an estimate counts as heavy)."""
    seconds = budget.estimate(name, cfg)
    return seconds is None or seconds > budget.MAX_RUN_SECONDS


def warm_runs() -> list[tuple[str, object]]:
    """(experiment, settings) of every page's results computed ahead: every light run first, in the pages' suggested
    order (the order a visitor or a lesson reaches them: Live training's first), then the heavy ones (heavy: stored
    teachers, minutes of work) in the same order, so that no page's first load waits behind another's heavy run."""
    runs = [run for p in PAGES for run in p.warm]
    return sorted(runs, key=lambda run: heavy(*run))  # stable: the pages' order within each group


def experiments_in_order() -> list[str]:
    """Every page's experiments, in the pages' suggested order (how the command line lists its subcommands)."""
    return [name for record in PAGES for name in record.experiments]
