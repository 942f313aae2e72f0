"""Everything a run can be taken away as: figures, results, its config, its students, and ONNX for deployment.

Each function turns an experiment's settings and final snapshot into bytes, so the page's export
menu and the command line write exactly the same files:
- figures(name, cfg, snap) -> {title: go.Figure}; figure_bytes(fig, "png" | "svg") through kaleido
  and the system's Chromium (offline);
- results_json / results_csv: the settings, one row per student (method, seed, T, alpha, test
  metrics) and the experiment's verdict in words;
- config_json (the file ``python -m kdviz <experiment> --config`` reads) and config_url (the page link);
- student_safetensors + student_card: one trained student as an nn.Linear state dict that
  ``kdviz.models.MLP(card["architecture"]["sizes"])`` loads, and its JSON card;
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
import shutil
import warnings
from collections.abc import Callable
from urllib.parse import urlencode

import numpy as np
import torch

from kdviz.config import to_query
from kdviz.data import spec
from kdviz.experiments.market.models import StudentPredictor  # a student as deployed: x -> probabilities
from kdviz.models import MLP

PAGES = {"live": "live", "compare": "compare", "beyond": "beyond", "dark_teachers": "dark_knowledge",
         "dark_omitted": "dark_knowledge", "dark_sweep": "dark_knowledge", "market": "market",
         "market_transfer": "market"}  # experiment -> the page's URL path
QUERY_PREFIX = {"market_transfer": "tr"}  # experiments whose page prefixes their URL parameters
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
def members(snap) -> list[dict]:
    """One record per student of the final snapshot: its position, method, seed, T, alpha, status, test metrics."""
    run, final = getattr(snap, "run", None), getattr(snap, "final", None)
    if run is None:
        return []
    rows = []
    for k, m in enumerate(run.members):
        row = {"member": k, "method": m["method"], "seed": m["seed"], "T": m["T"], "alpha": m["alpha"],
               "lr": m["lr"], "status": run.status[k]}
        for metric, values in (final or {}).items():
            v = np.asarray(values)[k]
            if np.ndim(v) == 0:
                row[metric] = float(v)
            else:  # per class (recall)
                row.update({f"{metric}_{c}": float(x) for c, x in enumerate(v)})
        rows.append(row)
    return rows


def verdict(name: str, cfg, snap) -> str:
    """The experiment's conclusion in words, as its page states it ("" when it has none)."""
    from kdviz.experiments import compare, live, market

    if name == "compare" and getattr(snap, "final", None) is not None:
        return compare.takeaway(compare.summarise(snap, cfg.omit))
    if name == "live" and getattr(snap, "final", None) is not None:
        return live.verdict(live.summarise(snap, cfg.omit))
    if name == "market" and getattr(snap, "result", None) is not None:
        return " ".join(market.verdict(snap.result))
    return ""


def results(name: str, cfg, snap) -> dict:
    """The run's results as one JSON-ready record: settings, link, per-student numbers, verdict, snapshot."""
    return {"experiment": name, "settings": dataclasses.asdict(cfg), "url": config_url(name, cfg),
            "members": members(snap), "verdict": verdict(name, cfg, snap), "snapshot": plain(snap)}


def results_json(name: str, cfg, snap) -> bytes:
    """results() as indented JSON."""
    return json.dumps(results(name, cfg, snap), indent=1, allow_nan=False).encode()


def results_csv(name: str, cfg, snap) -> bytes:
    """One CSV row per student (the settings repeated on each row, so rows of several runs can be stacked)."""
    settings = dataclasses.asdict(cfg)
    rows = [{"experiment": name, **{f"setting.{k}": v for k, v in settings.items()}, **r} for r in members(snap)]
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
    return f"{base}/{PAGES.get(name, name)}?{urlencode(to_query(cfg, QUERY_PREFIX.get(name, '')))}"


# ----------------------------------------------------------------------------- figures
def figures(name: str, cfg, snap) -> dict:
    """The run's figures by title, built with the same kdviz.plots builders as its page."""
    from kdviz.experiments import compare, live
    from kdviz.paradigms import NOTES
    from kdviz.plots import market as market_plots
    from kdviz.plots.paradigms import method_curves, seed_strip
    from kdviz.plots.training import decision_boundaries, learning_curves

    out = {}
    scene = getattr(snap, "scene", None)
    plane = getattr(scene, "plane", None)
    if name == "live":
        label = f"step {snap.run.step}"
        out["decision regions"] = decision_boundaries(
            [("Teacher", scene.teacher_grid), (f"KD student, {label}", snap.kd_grid), (f"Baseline, {label}", snap.baseline_grid)],
            *plane.axes, plane.points, plane.labels, plane.class_names)
        out["learning curves"] = learning_curves(*live.curves(snap.run.history))
    elif name == "compare":
        if snap.grids is not None:
            panels = [("Teacher", scene.teacher_grid), *((NOTES[m].name, g) for m, g in zip(scene.methods, snap.grids))]
            out["decision regions"] = decision_boundaries(panels, *plane.axes, plane.points, plane.labels,
                                                          plane.class_names)
        steps, acc = compare.curves(snap, "test_acc")
        out["learning curves"] = method_curves(steps, {"Test accuracy (mean over seeds)": acc,
                                                       "Fidelity to the teacher": compare.curves(snap, "fidelity")[1]})
        if snap.final is not None:
            rows = compare.summarise(snap, cfg.omit)
            out["accuracy per seed"] = seed_strip([r.name for r in rows], [r.method for r in rows],
                                                  np.stack([r.acc for r in rows]), "test accuracy (%)")
    elif name == "market" and snap.result is not None:
        r = snap.result
        out["accuracy"] = market_plots.accuracy_bars(r.models)
        out["latency"] = market_plots.latency_chart(r.latency, r.latency_batches, r.params)
        out["calibration"] = market_plots.reliability_chart(r.reliability)
        out["equity"] = market_plots.equity_chart(r.dates, r.backtest)
    return out


def figure_bytes(fig, fmt: str) -> bytes:
    """A Plotly figure as PNG or SVG bytes, rendered offline by kaleido in the system's Chromium."""
    if fmt not in ("png", "svg"):
        raise ValueError(f"figure format must be png or svg, got {fmt!r}")
    if "BROWSER_PATH" not in os.environ and (shutil.which(CHROMIUM) or os.path.exists(CHROMIUM)):
        os.environ["BROWSER_PATH"] = CHROMIUM  # kaleido's browser: never a download
    return fig.to_image(format=fmt, width=fig.layout.width or 1000, height=fig.layout.height or 500)


# ----------------------------------------------------------------------------- students
def best_member(snap) -> int:
    """The student with the highest test accuracy (the first on ties); 0 without final metrics."""
    final = getattr(snap, "final", None)
    return int(np.argmax(final["accuracy"])) if final is not None else 0


def student_state(weights: dict, k: int) -> dict[str, torch.Tensor]:
    """Member k of Population.arrays() as an MLP state dict ("layers.0.weight" (out, in), "layers.0.bias" (out,))."""
    state = {}
    for i, (w, b) in enumerate(zip(weights["weight"], weights["bias"])):
        state[f"layers.{i}.weight"] = torch.as_tensor(np.ascontiguousarray(w[k]))  # (out, in)
        state[f"layers.{i}.bias"] = torch.as_tensor(np.ascontiguousarray(b[k, :, 0]))  # (out,)
    return state


def student_model(weights: dict, k: int) -> MLP:
    """Member k as a plain MLP in eval mode."""
    model = MLP(weights["sizes"], weights["activation"], weights["dropout"], seed=0)
    model.load_state_dict(student_state(weights, k))
    return model.eval()


def _weights(snap) -> dict:
    w = getattr(getattr(snap, "run", None), "weights", None)
    if w is None:
        raise ValueError("this snapshot carries no weights: export students from a finished run")
    return w


def student_safetensors(snap, k: int) -> bytes:
    """Student k as safetensors bytes (an MLP state dict; its card says how to load it)."""
    from safetensors.torch import save

    return save(student_state(_weights(snap), k), metadata={"format": "pt"})


def student_card(name: str, cfg, snap, k: int) -> dict:
    """What student k is: architecture, data, method, T, alpha, seed, its test metrics, and how to load it."""
    w, member = _weights(snap), snap.run.members[k]
    settings = dataclasses.asdict(cfg)
    data = settings.get("dataset") or settings.get("source")
    try:
        title = spec(data).title if "dataset" in settings else data
    except ValueError:
        title = data
    metrics = {key: value for key, value in members(snap)[k].items() if key not in ("member", "method", "seed", "T",
                                                                                    "alpha", "lr", "status")}
    return {"experiment": name, "member": k, "method": member["method"], "seed": member["seed"],
            "T": member["T"], "alpha": member["alpha"], "lr": member["lr"], "steps": snap.run.step,
            "architecture": {"kind": "MLP", "sizes": list(w["sizes"]), "activation": w["activation"]},
            "data": {"name": data, "title": title, "inputs": "features standardised with the training split's "
                                                             "mean and std", "classes": w["sizes"][-1]},
            "metrics": metrics, "settings": settings, "url": config_url(name, cfg),
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

    from kdviz.market.latency import measure_latency

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


def _slug(title: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in title.lower()).strip("-")


def onnx_inputs(n_features: int, n: int = 1000) -> torch.Tensor:
    """Inputs for the ONNX check (n, n_features): standard normal, the scale of standardised features. Seeded."""
    return torch.randn(n, n_features, generator=torch.Generator().manual_seed(0))


def bundle(name: str, cfg, snap, with_figures: bool = True) -> list[Export]:
    """Every export of a finished run: results, config, figures (PNG, SVG), the best student, and on Market its ONNX."""
    def json_bytes(make):
        return lambda: json.dumps(plain(make()), indent=1, allow_nan=False).encode()

    out = [Export("results.csv", "Numbers (CSV)", "text/csv", lambda: results_csv(name, cfg, snap)),
           Export("results.json", "Numbers (JSON)", "application/json", lambda: results_json(name, cfg, snap)),
           Export("config.json", "Config (JSON, for python -m kdviz)", "application/json", lambda: config_json(name, cfg)),
           Export("link.txt", "Config (page link)", "text/plain", lambda: config_url(name, cfg).encode())]
    if with_figures:
        figs = {}

        def figure(title: str, fmt: str):
            def build() -> bytes:
                if not figs:
                    figs.update(figures(name, cfg, snap))
                return figure_bytes(figs[title], fmt)
            return build

        for title in FIGURES.get(name, ()):
            if title != "decision regions" or getattr(snap, "grids", True) is not None:
                out += [Export(f"{_slug(title)}.{fmt}", f"{title} ({fmt.upper()})", mime, figure(title, fmt))
                        for fmt, mime in (("png", "image/png"), ("svg", "image/svg+xml"))]
    if getattr(getattr(snap, "run", None), "weights", None) is not None:
        k = best_member(snap)
        out += [Export("student.safetensors", f"Best student (member {k}, safetensors)", "application/octet-stream",
                       lambda: student_safetensors(snap, k)),
                Export("student.json", "Its card (JSON)", "application/json",
                       json_bytes(lambda: student_card(name, cfg, snap, k)))]
        if name == "market":
            model = student_model(snap.run.weights, k)
            width = snap.run.weights["sizes"][0]
            out += [Export("student.onnx", "Student as ONNX", "application/octet-stream", lambda: onnx_student(model, width)),
                    Export("onnx-check.json", "ONNX check: same predictions, latency (JSON)", "application/json",
                           json_bytes(lambda: onnx_check(model, onnx_student(model, width), onnx_inputs(width))))]
    return out


FIGURES = {"live": ("decision regions", "learning curves"),
           "compare": ("decision regions", "learning curves", "accuracy per seed"),
           "market": ("accuracy", "latency", "calibration", "equity")}  # what figures() draws, by experiment
