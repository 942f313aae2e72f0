"""Everything a run can be taken away as: figures, results, its config, its students, and ONNX for deployment.

Each function turns an experiment's settings and final snapshot into bytes, so the page's export
menu and the command line write exactly the same files. What an experiment exports comes from
its own hooks on kdviz.experiments.protocol.Experiment (students, weights, verdict), looked up in
the one registry, kdviz.experiments.EXPERIMENTS; a snapshot with a PopulationRun ``run`` needs
none (kdviz.experiments.members.run_members, its weights). Its figures are its page's, built by
kdviz.figures:
- figures(name, cfg, snap) -> {title: go.Figure}; figure_bytes(fig, "png" | "svg") through kaleido
  and the system's Chromium (offline);
- results_json / results_csv: the settings, one row per student (method, seed, T, alpha, test
  metrics) and the experiment's verdict in words;
- config_json (the file ``python -m kdviz <experiment> --config`` reads), config_url (the page link) and
  rerun_command (the command line that reruns the config: with ``--csv`` for a run on an uploaded CSV);
- student_safetensors + student_card: one trained student (a row of members()) as an nn.Linear state dict that
  ``kdviz.models.MLP(card["architecture"]["sizes"])`` loads, and its JSON card; the bundle offers the best
  student overall and, where a run trains several methods, the best of each (which_student names it);
- onnx_student / onnx_check: a student as ONNX (probabilities out), and onnxruntime's latency
  beside PyTorch's with a check that both predict the same classes.
"""
from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
import os
import shlex
import shutil
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import torch

from kdviz import site
from kdviz.config import query_key, to_query
from kdviz.data import csv as csv_data
from kdviz.data import spec
from kdviz.experiments import experiment
from kdviz.experiments.market.models import StudentPredictor  # a student as deployed: x -> probabilities
from kdviz.experiments.members import run_members
from kdviz.figures import figures_of
from kdviz.models import MLP

# From the pages' records (kdviz.site): experiment -> the URL path of the page that runs it; experiment -> the prefix
# its page gives its URL parameters; experiment -> the field its page shows one tab per value of, each tab's
# settings in the URL prefixed with that value ("capacity.steps=300").
PAGES = {name: p.path for p in site.PAGES for name in p.experiments}
QUERY_PREFIX = {name: prefix for p in site.PAGES for name, prefix in p.query_prefix.items()}
TAB_FIELD = {name: tab for p in site.PAGES for name, tab in p.tab_field.items()}
ARRAY_LIMIT = 4096  # arrays with more entries (decision grids, weights) stay out of the JSON results
CHROMIUM = os.environ.get("KDVIZ_CHROMIUM", "/usr/bin/chromium")


# ----------------------------------------------------------------------------- plain values
def plain(value, limit: int = ARRAY_LIMIT):
    """``value`` as JSON-ready Python (dataclasses, dicts, arrays, tensors); arrays over ``limit`` entries dropped."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name), limit) for f in dataclasses.fields(value)
                if f.name != "weights" and _small(getattr(value, f.name), limit)}
    if isinstance(value, dict):
        return {str(k): plain(v, limit) for k, v in value.items() if _small(v, limit)}
    if isinstance(value, (list, tuple)):
        return [plain(v, limit) for v in value]
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "M":
            return [str(d) for d in np.datetime_as_string(value, "D")]
        return plain(value.tolist(), limit)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _small(value, limit: int) -> bool:
    """Whether ``value`` is not an array, or an array of at most ``limit`` entries."""
    if isinstance(value, torch.Tensor):
        return value.numel() <= limit
    return not isinstance(value, np.ndarray) or value.size <= limit


# ----------------------------------------------------------------------------- results
def members(name: str, cfg, snap) -> list[dict]:
    """One record per trained student of the final snapshot (the experiment's ``students`` hook, or run_members)."""
    hook = experiment(name).students or run_members
    return hook(cfg, snap)


def verdict(name: str, cfg, snap) -> str:
    """The experiment's conclusion in words, as its page states it ("" when it has none)."""
    hook = experiment(name).verdict
    return hook(cfg, snap) if hook is not None else ""


def results(name: str, cfg, snap) -> dict:
    """The run's results as one JSON-ready record: settings, link, per-student numbers, verdict, snapshot."""
    return {"experiment": name, "settings": dataclasses.asdict(cfg), "url": config_url(name, cfg),
            "members": members(name, cfg, snap), "verdict": verdict(name, cfg, snap), "snapshot": plain(snap)}


def results_json(name: str, cfg, snap) -> bytes:
    """results() as indented JSON."""
    return json.dumps(results(name, cfg, snap), indent=1, allow_nan=False).encode()


def results_csv(name: str, cfg, snap) -> bytes:
    """One CSV row per student (the settings repeated on each row, so rows of several runs can be stacked)."""
    settings = dataclasses.asdict(cfg)
    rows = [{"experiment": name, **{f"setting.{k}": v for k, v in settings.items()}, **r} for r in members(name, cfg, snap)]
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(dict.fromkeys(k for r in rows for k in r)))
        writer.writeheader()
        writer.writerows(rows)
    return out.getvalue().encode()


# ----------------------------------------------------------------------------- the config
def config_json(name: str, cfg) -> bytes:
    """The settings as the JSON file the command line reads back (``--config``)."""
    return json.dumps({"experiment": name, "settings": dataclasses.asdict(cfg)}, indent=1).encode()


def config_url(name: str, cfg, base: str = "") -> str:
    """The page link that opens these settings ("<base>/compare?dataset=blobs&…")."""
    to_page = experiment(name).page_config
    shown = to_page(cfg) if to_page is not None else cfg
    tab = TAB_FIELD.get(name)
    prefix = getattr(shown, tab) if tab else QUERY_PREFIX.get(name, "")
    query = to_query(shown, prefix)
    if tab:
        del query[query_key(prefix, tab)]  # the tab is chosen on the page; its settings carry its name
    return f"{base}/{PAGES.get(name, name)}?{urlencode(query)}"


MAX_LABEL = 80  # characters of a label column's name written into a command line (a longer one: a placeholder)


def rerun_command(name: str, cfg, label: str | None = None) -> str:
    """The command line that reruns these settings from config.json; a run on an uploaded CSV ("csv:<digest>") also
    needs that file (``--csv``, its digest checked) and, when it was not the last column, its label column."""
    cmd = f"python -m kdviz {name.replace('_', '-')} --config config.json"
    if not csv_data.names_upload(getattr(cfg, "dataset", None)):
        return cmd
    column = shlex.quote(label) if label and len(label) <= MAX_LABEL else "COLUMN" if label else None
    return f"{cmd} --csv yourfile.csv" + (f" --label {column}" if column else "")


# ----------------------------------------------------------------------------- figures
def figure_makers(name: str, cfg, snap) -> dict:
    """{title: () -> go.Figure} of the run's figures: its page's builders (kdviz.figures) in the page's default view."""
    return figures_of(name)(cfg, snap)


def figures(name: str, cfg, snap) -> dict:
    """The run's figures by title: the figures its page draws for the same settings."""
    return {title: make() for title, make in figure_makers(name, cfg, snap).items()}


def _system_browser() -> None:
    if "BROWSER_PATH" not in os.environ and (shutil.which(CHROMIUM) or os.path.exists(CHROMIUM)):
        os.environ["BROWSER_PATH"] = CHROMIUM  # kaleido's browser: never a download


def figure_bytes(fig, fmt: str) -> bytes:
    """A Plotly figure as PNG or SVG bytes, rendered offline by kaleido in the system's Chromium.

    Alone, each call starts and stops its own Chromium (about 2-4 s); inside ``one_browser()`` every
    call shares one."""
    if fmt not in ("png", "svg"):
        raise ValueError(f"figure format must be png or svg, got {fmt!r}")
    _system_browser()
    return fig.to_image(format=fmt, width=fig.layout.width or 1000, height=fig.layout.height or 500)


_BROWSER_LOCK = threading.Lock()
_BROWSER_USERS = 0  # nested or concurrent one_browser() blocks sharing the one kaleido server


@contextmanager
def one_browser() -> Iterator[None]:
    """Render every figure_bytes() call inside in one kaleido session: one Chromium started once and
    its page reused, instead of a browser started and stopped per image (the cost of a run's figures)."""
    global _BROWSER_USERS
    import kaleido

    _system_browser()
    with _BROWSER_LOCK:
        if _BROWSER_USERS == 0:
            kaleido.start_sync_server(silence_warnings=True)
        _BROWSER_USERS += 1
    try:
        with warnings.catch_warnings():  # plotly passes its per-call browser options, which a running server keeps
            warnings.filterwarnings("ignore", message="The kopts argument is ignored")
            yield
    finally:
        with _BROWSER_LOCK:
            _BROWSER_USERS -= 1
            if _BROWSER_USERS == 0:
                kaleido.stop_sync_server(silence_warnings=True)


# ----------------------------------------------------------------------------- students
def student_state(weights: dict, k: int) -> dict[str, torch.Tensor]:
    """Member k of Population.arrays() as an MLP state dict ("layers.0.weight" (out, in), "layers.0.bias" (out,))."""
    state = {}
    for i, (w, b) in enumerate(zip(weights["weight"], weights["bias"])):
        state[f"layers.{i}.weight"] = torch.as_tensor(np.ascontiguousarray(w[k]), device="cpu")  # (out, in)
        state[f"layers.{i}.bias"] = torch.as_tensor(np.ascontiguousarray(b[k, :, 0]), device="cpu")  # (out,)
    return state


def student_model(weights: dict, k: int) -> MLP:
    """Member k as a plain MLP in eval mode."""
    model = MLP(weights["sizes"], weights["activation"], weights["dropout"], seed=0)
    model.load_state_dict(student_state(weights, k))
    return model.eval()


IDENTITY = ("member", "part", "topic", "role", "student", "dataset", "method", "teacher", "eps", "generation", "decay",
            "seed", "T", "alpha", "lr", "steps", "status")  # row keys that say what a student is; the rest are metrics


def student_weights(name: str, cfg, snap, k: int) -> tuple[dict, int] | None:
    """(Population.arrays(), member) holding row k's student (the experiment's ``weights`` hook, or snap.run's
    weights); None when that student's weights are not kept."""
    hook = experiment(name).weights
    if hook is not None:
        return hook(cfg, snap, k)
    w = getattr(getattr(snap, "run", None), "weights", None)
    return None if w is None else (w, k)


def best_member(name: str, cfg, snap) -> int | None:
    """The row of the most accurate student whose weights are kept (the first on ties); None when there is none."""
    rows = members(name, cfg, snap)
    ranked = sorted(range(len(rows)), key=lambda k: (-np.nan_to_num(rows[k].get("accuracy", -1.0), nan=-1.0), k))
    return next((k for k in ranked if student_weights(name, cfg, snap, k) is not None), None)


def best_of_each_method(name: str, cfg, snap) -> dict[str, int]:
    """{method: row of its most accurate student whose weights are kept}, methods in their rows' order; empty
    when the rows name fewer than two methods (then best_member is the only best student)."""
    rows = members(name, cfg, snap)
    methods = list(dict.fromkeys(r["method"] for r in rows if r.get("method") is not None))
    if len(methods) < 2:
        return {}
    best = {}
    for m in methods:
        ranked = sorted((k for k, r in enumerate(rows) if r.get("method") == m),
                        key=lambda k: (-np.nan_to_num(rows[k].get("accuracy", -1.0), nan=-1.0), k))
        k = next((k for k in ranked if student_weights(name, cfg, snap, k) is not None), None)
        if k is not None:
            best[m] = k
    return best


def method_name(method: str) -> str:
    """A method's display name ("kd" -> "KD (Hinton)", "baseline" -> "baseline (no KD)")."""
    from kdviz.paradigms import NOTES

    if method == "baseline":
        return "baseline (no KD)"
    return NOTES[method].name if method in NOTES else str(method)


def which_student(name: str, cfg, snap, k: int) -> str:
    """Row k's student in words: "KD (Hinton), seed 1, 81.2% test accuracy" (what it is is told, never implied)."""
    row = members(name, cfg, snap)[k]
    parts = [method_name(row["method"]) if row.get("method") is not None else f"member {k}"]
    if row.get("seed") is not None:
        parts.append(f"seed {row['seed']}")
    acc = row.get("accuracy")
    if acc is not None and math.isfinite(float(acc)):
        parts.append(f"{float(acc):.1%} test accuracy")
    return ", ".join(parts)


def _weights(name: str, cfg, snap, k: int) -> tuple[dict, int]:
    held = student_weights(name, cfg, snap, k)
    if held is None:
        raise ValueError("this snapshot carries no weights for that student: export students from a finished run")
    return held


def student_safetensors(name: str, cfg, snap, k: int) -> bytes:
    """Row k's student as safetensors bytes (an MLP state dict; its card says how to load it)."""
    from safetensors.torch import save

    return save(student_state(*_weights(name, cfg, snap, k)), metadata={"format": "pt"})


def student_card(name: str, cfg, snap, k: int) -> dict:
    """What row k's student is: architecture, data, method, T, alpha, seed, its test metrics, and how to load it."""
    w, _ = _weights(name, cfg, snap, k)
    row = members(name, cfg, snap)[k]
    settings = dataclasses.asdict(cfg)
    data = row.get("dataset") or settings.get("dataset") or settings.get("source")
    try:
        title = spec(data).title if "source" not in settings else data
    except ValueError:
        title = data
    return {"experiment": name, **{key: row[key] for key in IDENTITY if key in row}, "member": k,
            "architecture": {"kind": "MLP", "sizes": list(w["sizes"]), "activation": w["activation"]},
            "data": {"name": data, "title": title, "inputs": "features standardised with the training split's "
                                                             "mean and std", "classes": w["sizes"][-1]},
            "metrics": {key: value for key, value in row.items() if key not in IDENTITY},
            "settings": settings, "url": config_url(name, cfg),
            "load": "from safetensors.torch import load_file; m = kdviz.models.MLP(sizes, activation); "
                    "m.load_state_dict(load_file(path))"}


# ----------------------------------------------------------------------------- ONNX
def onnx_student(model: torch.nn.Module, n_features: int) -> bytes:
    """``model`` (an MLP) as ONNX bytes: input "x" (batch, n_features), output "probs" (batch, C)."""
    buf = io.BytesIO()
    with warnings.catch_warnings():  # the tracer notes the input-shape check, a constant for this export
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        torch.onnx.export(StudentPredictor(model.eval().cpu()), (torch.zeros(2, n_features),), buf, input_names=["x"],
                      output_names=["probs"], dynamic_axes={"x": {0: "batch"}, "probs": {0: "batch"}},
                          dynamo=False)
    return buf.getvalue()


@dataclasses.dataclass
class OnnxCheck:
    """ONNX against PyTorch on the same inputs: agreement and latency (us per prediction per batch size)."""

    same_predictions: bool  # every argmax equal
    max_abs_diff: float  # largest probability difference
    batch_sizes: list[int]
    torch_us: list[float]
    onnx_us: list[float]

    def text(self) -> str:
        """One sentence for the page and the command line."""
        same = "the same class for every input" if self.same_predictions else "DIFFERENT classes for some inputs"
        lat = "; ".join(f"batch {b}: {o:.2f} us in onnxruntime vs {t:.2f} us in PyTorch per prediction"
                        for b, t, o in zip(self.batch_sizes, self.torch_us, self.onnx_us))
        return f"ONNX and PyTorch predict {same} (largest probability difference {self.max_abs_diff:.1e}). {lat}."


def onnx_check(model: torch.nn.Module, onnx: bytes, x: torch.Tensor, batch_sizes=(1, 1024)) -> OnnxCheck:
    """Run the ONNX student in onnxruntime and the MLP in PyTorch on x (N, D): compare outputs and latency."""
    import onnxruntime as ort

    from kdviz.trading.latency import measure_latency

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    session = ort.InferenceSession(onnx, opts, providers=["CPUExecutionProvider"])
    xs = x.detach().cpu().float()
    net = StudentPredictor(model.eval().cpu())
    with torch.inference_mode():
        p_torch = net(xs).numpy()  # (N, C)
    p_onnx = session.run(["probs"], {"x": xs.numpy()})[0]  # (N, C)
    lat_t = measure_latency(net, xs, tuple(batch_sizes))
    lat_o = measure_latency(lambda b: session.run(["probs"], {"x": b}), xs.numpy(), tuple(batch_sizes))
    return OnnxCheck(bool(np.array_equal(p_torch.argmax(1), p_onnx.argmax(1))), float(np.abs(p_torch - p_onnx).max()),
                     list(batch_sizes), [m.us_per_prediction for m in lat_t], [m.us_per_prediction for m in lat_o])


# ----------------------------------------------------------------------------- everything, built on demand
@dataclasses.dataclass
class Export:
    """One downloadable file of a run; ``build()`` makes its bytes (only when asked)."""

    file_name: str
    label: str
    mime: str
    build: Callable[[], bytes]
    student_of: str = ""  # the method whose best student this file holds ("": not one method's student)


def write_bundle(items: list[Export], out_dir: Path, progress: Callable[[int, int, str], None] | None = None) -> list[Path]:
    """Write every export of ``items`` into ``out_dir``, the figures in one browser session (one_browser);
    ``progress(done, total, file_name)`` is called after each file. The paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    renders = any(item.mime.startswith("image/") for item in items)
    with one_browser() if renders else nullcontext():
        for i, item in enumerate(items, 1):
            path = out_dir / item.file_name
            path.write_bytes(item.build())
            paths.append(path)
            if progress is not None:
                progress(i, len(items), item.file_name)
    return paths


def _slug(title: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in title.lower()).strip("-")


def onnx_inputs(n_features: int, n: int = 1000) -> torch.Tensor:
    """Inputs for the ONNX check (n, n_features): standard normal, the scale of standardised features. Seeded."""
    return torch.randn(n, n_features, generator=torch.Generator().manual_seed(0))


def bundle(name: str, cfg, snap, with_figures: bool = True) -> list[Export]:
    """Every export of a finished run: results, config, figures (PNG, SVG), the best student overall and of each
    method, and on Market its ONNX."""
    def json_bytes(make):
        return lambda: json.dumps(plain(make()), indent=1, allow_nan=False).encode()

    out = [Export("results.csv", "Numbers (CSV)", "text/csv", lambda: results_csv(name, cfg, snap)),
           Export("results.json", "Numbers (JSON)", "application/json", lambda: results_json(name, cfg, snap)),
           Export("config.json", "Config (JSON, for python -m kdviz)", "application/json", lambda: config_json(name, cfg)),
           Export("link.txt", "Config (page link)", "text/plain", lambda: config_url(name, cfg).encode())]
    if with_figures:
        makers, figs = figure_makers(name, cfg, snap), {}

        def figure(title: str, fmt: str):
            def build() -> bytes:
                if title not in figs:
                    figs[title] = makers[title]()
                return figure_bytes(figs[title], fmt)
            return build

        for title in makers:
            out += [Export(f"{_slug(title)}.{fmt}", f"{title} ({fmt.upper()})", mime, figure(title, fmt))
                    for fmt, mime in (("png", "image/png"), ("svg", "image/svg+xml"))]
    k = best_member(name, cfg, snap)
    if k is not None:
        out += [Export("student.safetensors", f"Best student overall: {which_student(name, cfg, snap, k)} "
                                              "(safetensors)", "application/octet-stream",
                       lambda: student_safetensors(name, cfg, snap, k)),
                Export("student.json", "Its card (JSON)", "application/json",
                       json_bytes(lambda: student_card(name, cfg, snap, k)))]
        for method, j in best_of_each_method(name, cfg, snap).items():
            said, slug = which_student(name, cfg, snap, j), _slug(str(method))
            out += [Export(f"student-{slug}.safetensors", f"Best {method_name(method)} student: {said} (safetensors)",
                           "application/octet-stream", lambda j=j: student_safetensors(name, cfg, snap, j),
                           method_name(method)),
                    Export(f"student-{slug}.json", "Its card (JSON)", "application/json",
                           json_bytes(lambda j=j: student_card(name, cfg, snap, j)), method_name(method))]
        if name == "market":
            weights, m = _weights(name, cfg, snap, k)
            model, width = student_model(weights, m), weights["sizes"][0]
            out += [Export("student.onnx", "Student as ONNX", "application/octet-stream", lambda: onnx_student(model, width)),
                    Export("onnx-check.json", "ONNX check: same predictions, latency (JSON)", "application/json",
                           json_bytes(lambda: onnx_check(model, onnx_student(model, width), onnx_inputs(width))))]
    return out
