"""python -m kdviz: run any page's experiment from flags, a JSON config or a copied page link, and write its exports.

One subcommand per experiment of kdviz.experiments.EXPERIMENTS (``dark_omitted`` is typed
``dark-omitted``; ``dark-knowledge`` runs every tab of the Dark knowledge page), plus ``sweep`` (a grid of students, kdviz.experiments.grid)
and ``prepare`` (every page's first-load results computed ahead, kdviz.prepare). Settings come, each
overriding the one before, from the defaults, ``--config FILE`` (the page's config export),
``--from-url LINK`` (a page link: its query is read exactly as the page reads it) and one flag per
setting, whose help is the setting's label; a config or link of a run on an uploaded CSV (``dataset=csv:<digest>``)
takes the same file with ``--csv``, its digest checked. Every input is checked before any work: each value by
the same parser as the page (the settings' field metadata: bounds, choices), the config file's
shape, the link's page, the device, the experiment's own validation and the output folder
(created and write-probed); a bad one prints one line on stderr and exits with code 2. A failure
after the checks prints one line too, its traceback saved to a file the line names: exit code 1,
or 2 when the run itself refused a setting (a ValueError).
Progress goes to a rich progress bar on a terminal, or one JSON line per snapshot on a
pipe; at the end the page's exports (results, config, figures, best student, ONNX) go to ``--out``.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import math
import signal
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from kdviz import exports, prepare, site
from kdviz.config import MAX_LIST, fields, parse_list, parse_setting, parse_widths, query_key
from kdviz.data import csv as csv_data
from kdviz.data import omission
from kdviz.experiments import EXPERIMENTS, grid
from kdviz.experiments.protocol import Phase
from kdviz.train.configs import whole


class UsageError(ValueError):
    """A bad flag, config or link: printed as one line, exit code 2."""


class Failure(Exception):
    """A run that failed after every input was checked (its cause chained): one line, exit code 1 (2 when the cause is
    a ValueError: a setting the run itself refused)."""

    def __init__(self, folder: Path | None):
        super().__init__("the run failed")
        self.folder = folder  # where the traceback goes, when it can be written


MAX_CONFIG_BYTES = 1_000_000  # a config file is a few hundred bytes; anything this big is not one
MAX_LINE = 400  # characters of an error line


class Parser(argparse.ArgumentParser):
    """argparse, whose errors (unknown subcommand or flag, a value of the wrong type) are one line, exit code 2."""

    def error(self, message: str):
        """Raise the message as a UsageError instead of printing the usage and exiting."""
        raise UsageError(f"{self.prog}: {message}")


def _path(text: str) -> Path:
    """A path flag's value (an empty one is refused: an unset shell variable, most likely)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty path")
    return Path(text)


def command(name: str) -> str:
    """The subcommand of experiment ``name`` ("dark_omitted" -> "dark-omitted")."""
    return name.replace("_", "-")


def flag(field: str) -> str:
    """The flag of a setting ("train_ratio" -> "--train-ratio"; "T" stays "--T")."""
    return "--" + field.replace("_", "-")


def _help(f: dataclasses.Field) -> str:
    meta = f.metadata
    bounds = (f" [{meta['lo']}, {meta['hi']}]" if "lo" in meta else
              f" one of {', '.join(map(str, meta['choices']))}" if "choices" in meta else "")
    extra = f" ({meta['help']})" if meta.get("help") else ""
    return f"{meta.get('label', f.name)}{bounds}{extra}; default {f.default}".replace("%", "%%")


def add_common(p: argparse.ArgumentParser) -> None:
    """Flags every experiment subcommand takes."""
    p.add_argument("--config", type=_path, help="a config JSON file (the page's 'Config (JSON)' export)")
    p.add_argument("--from-url", dest="from_url", help="a page link: its settings are read as the page reads them")
    p.add_argument("--out", type=_path, default=Path("results"), help="folder for the exports (default: results/)")
    p.add_argument("--device", default=None, help="torch device (default: the best available)")
    p.add_argument("--no-figures", dest="figures", action="store_false", help="skip the PNG/SVG figures")
    p.add_argument("--progress", choices=("auto", "bar", "json", "none"), default="auto",
                   help="a progress bar, JSON lines, or nothing (auto: a bar on a terminal, JSON lines on a pipe)")


def parser() -> argparse.ArgumentParser:
    """The argument parser: one subcommand per experiment, with one flag per setting, and sweep."""
    top = Parser(prog="python -m kdviz", description="Run kdviz's experiments without the browser.")
    subs = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in site.experiments_in_order():
        exp = EXPERIMENTS[name]
        p = subs.add_parser(command(name), help=exp.title, description=exp.title)
        p.set_defaults(experiment=name)
        add_common(p)
        for f in settable(exp.config).values():
            p.add_argument(flag(f.name), dest=f"set_{f.name}", metavar="VALUE", help=_help(f))
        if "dataset" in fields(exp.config):
            p.add_argument("--csv", type=_path, help="your own classification CSV (numeric features, one label column)")
            p.add_argument("--label", help="the CSV's label column (default: the last column)")
        if "source" in fields(exp.config):
            p.add_argument("--prices", type=_path, help="daily prices CSV (Date, Close, optional Volume) for --source upload")
    sweep_arguments(subs.add_parser("sweep", help=grid.__doc__.splitlines()[0], description=grid.__doc__))
    prepare_arguments(subs.add_parser("prepare", help=prepare.__doc__.splitlines()[0], description=prepare.__doc__))
    return top


# ----------------------------------------------------------------------------- settings from three sources
def settable(cls) -> dict[str, dataclasses.Field]:
    """The fields a page shows as controls (declared with kdviz.config.setting): one flag each."""
    return {name: f for name, f in fields(cls).items() if "label" in f.metadata}


def url_params(link: str, name: str) -> dict[str, str]:
    """The query parameters of a page link of experiment ``name``'s page (the last value of a repeated one);
    a UsageError for a link with no settings or a link to another page."""
    parts = urlsplit(link.strip())
    page, want = parts.path.rstrip("/").rpartition("/")[2], exports.PAGES.get(name, name)
    if page and page != want:
        runs = [command(n) for n, e in EXPERIMENTS.items() if exports.PAGES.get(n, n) == page and e.page_config is None]
        hint = (f"run python -m kdviz {runs[0]} --from-url ..." if runs else f"the {page[:40]!r} page has no run "
                "of its own")
        raise UsageError(f"--from-url: the link opens the {page[:40]!r} page, but {command(name)} runs the {want!r} "
                         f"page's settings: {hint}, or copy the {want!r} page's link")
    if not parts.query:
        raise UsageError(f"--from-url: {link[:80]!r} has no settings (nothing after '?'); copy the page's link after "
                         "changing a setting")
    return dict(parse_qsl(parts.query, keep_blank_values=True))


def _kind(value) -> str:
    """What a JSON value is, in words."""
    return {dict: "an object", list: "a list", str: "a string", bool: "true or false", type(None): "null"}.get(
        type(value), "a number")



def _tail(path, width: int = 80) -> str:
    """``path`` as text cut to ``width`` characters from its start, so a message keeps the file's own name."""
    text = str(path)
    return text if len(text) <= width else "…" + text[-(width - 1):]

def read_config(path: Path, name: str) -> dict:
    """The settings of a config file (the page's 'Config (JSON)' export, or its "settings" object alone), checked for
    shape: a JSON object of settings, for experiment ``name``. A UsageError says what is wrong."""
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_CONFIG_BYTES + 1)
    except OSError as err:
        raise UsageError(f"--config: cannot read {_tail(path)!r}: {err.strerror or err}") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise UsageError(f"--config: {_tail(path)!r} is over {MAX_CONFIG_BYTES:,} bytes: not a config file")
    try:
        data = json.loads(raw)
    except RecursionError:
        raise UsageError(f"--config: {_tail(path)!r} nests too deeply to be a config file") from None
    except ValueError as err:
        raise UsageError(f"--config: {_tail(path)!r} is not JSON: {str(err)[:120]}") from None
    if not isinstance(data, dict):
        raise UsageError(f"--config: {_tail(path)!r} holds {_kind(data)}, not an object of settings like "
                         '{"experiment": ..., "settings": {...}}')
    other = data.get("experiment", name)
    if other != name:
        known = isinstance(other, str) and other in EXPERIMENTS
        raise UsageError(f"--config: {_tail(path)!r} is a config of {str(other)[:40]!r}, not of {command(name)}"
                         + (f": run python -m kdviz {command(other)} --config ..." if known else ""))
    if "settings" not in data:
        return {k: v for k, v in data.items() if k != "experiment"}
    extra = sorted(set(data) - {"experiment", "settings"})
    if extra:
        raise UsageError(f"--config: {_tail(path)!r} holds {str(extra[0])[:40]!r} beside experiment and settings")
    if not isinstance(data["settings"], dict):
        raise UsageError(f"--config: its settings are {_kind(data['settings'])}, not an object of settings")
    return data["settings"]


def plain_value(cls, key: str, raw):
    """A config file's value for a field that has no control (a list of numbers, a flag, a number), checked against
    the field's type: finite numbers, at most MAX_LIST of them in a list; ValueError otherwise."""
    kind = str(fields(cls)[key].type).replace(" ", "")

    def number(x, whole: bool):
        if isinstance(x, bool) or not isinstance(x, (int, float)) or (whole and not isinstance(x, int)):
            raise ValueError(f"expected {'a whole number' if whole else 'a number'}, got {_kind(x)}")
        if not math.isfinite(x):
            raise ValueError("expected a finite number")
        return x

    if kind == "bool":
        if not isinstance(raw, bool):
            raise ValueError(f"expected true or false, got {_kind(raw)}")
        return raw
    if kind in ("int", "float"):
        return number(raw, kind == "int")
    if kind in ("tuple[float,...]", "tuple[int,...]"):
        if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_LIST:
            raise ValueError(f"expected a list of 1 to {MAX_LIST} numbers, got {_kind(raw)}"
                             + (f" of {len(raw)}" if isinstance(raw, list) else ""))
        return tuple(number(x, kind == "tuple[int,...]") for x in raw)
    raise ValueError(f"a setting of type {kind} is not read from a config file")


def tab_prefix(name: str, cls, params: dict[str, str], chosen: str | None) -> tuple[str, dict[str, str]]:
    """(the URL prefix, the tab's setting) of a page with one tab per value of a field: the tab a flag chose, else the
    one tab whose settings the link holds. ("", {}) for other experiments."""
    tab = exports.TAB_FIELD.get(name)
    if tab is None:
        return exports.QUERY_PREFIX.get(name, ""), {}
    held = sorted({k.partition(".")[0] for k in params if "." in k} & set(fields(cls)[tab].metadata["choices"]))
    if chosen is None and len(held) > 1:
        raise UsageError(f"--from-url: the link holds the settings of {', '.join(held)}: choose one with {flag(tab)}")
    pick = chosen if chosen is not None else held[0] if held else None
    return (pick, {tab: pick}) if pick else ("", {})


def settings(name: str, args: argparse.Namespace):
    """The experiment's config from the defaults, --config, --from-url and the flags, each value checked."""
    cls, values = EXPERIMENTS[name].config, {}
    sources = []
    if args.config is not None:
        sources.append(("--config", read_config(args.config, name)))
    if args.from_url is not None and not args.from_url.strip():
        raise UsageError("--from-url: an empty link; copy the page's address after changing a setting")
    if args.from_url and EXPERIMENTS[name].page_config is not None:
        page = next(n for n, e in EXPERIMENTS.items() if e.config is type(EXPERIMENTS[name].page_config(cls())))
        raise UsageError(f"--from-url: a page link holds the whole page's settings, not {command(name)}'s: run "
                         f"python -m kdviz {command(page)} --from-url ...")
    flags = {f: getattr(args, f"set_{f}") for f in settable(cls) if getattr(args, f"set_{f}") is not None}
    if args.from_url:
        params = url_params(args.from_url, name)
        prefix, tab = tab_prefix(name, cls, params, flags.get(exports.TAB_FIELD.get(name, "")))
        sources.append(("--from-url", {**tab, **{f: params[query_key(prefix, f)] for f in fields(cls)
                                                 if query_key(prefix, f) in params}}))
    sources.append(("flag", flags))
    for where, given in sources:
        for key, raw in given.items():
            if key not in fields(cls):
                raise UsageError(f"{where}: {str(key)[:40]!r} is not a setting of {command(name)}; the settings are "
                                 f"{', '.join(fields(cls))}")
            what = flag(key) if where == "flag" else f"{where}: {key}"
            try:
                if key == "dataset" and csv_data.names_upload(raw):  # an upload: its file comes with --csv
                    values[key] = csv_data.checked_name(raw)
                elif key not in settable(cls):  # a plain field of a config file (a tuple of a sweep's axis, say)
                    values[key] = plain_value(cls, key, raw)
                elif isinstance(raw, (dict, list)) or raw is None:
                    raise ValueError(f"expected one value, got {_kind(raw)}")
                else:
                    values[key] = parse_setting(cls, key, raw if isinstance(raw, str) else _text(raw))
            except (ValueError, TypeError) as err:
                shown = repr(str(raw)[:40]) if isinstance(raw, (str, int, float)) else _kind(raw)
                raise UsageError(f"{what}={shown}: {err}") from None
    try:
        return cls(**values)
    except (ValueError, TypeError) as err:
        raise UsageError(f"{command(name)}: {err}") from None


def _text(value) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def options(name: str, cfg, args: argparse.Namespace):
    """(config, run options): --csv stored as a dataset (the very table the settings name, when they name an
    upload "csv:<digest>": a config or link of a run on a CSV), --prices read as the Market page reads an upload."""
    opts = {"device": args.device}
    linked = getattr(cfg, "dataset", None) if csv_data.names_upload(getattr(cfg, "dataset", None)) else None
    if getattr(args, "label", None) is not None and args.csv is None:
        raise UsageError("--label names a column of --csv: give --csv too")
    if linked is not None and getattr(args, "csv", None) is None:
        raise UsageError(f"the settings train on an uploaded CSV, {linked}: pass that file with --csv FILE "
                         "(and --label COLUMN when it was not the last column)")
    if linked is None and getattr(args, "csv", None) is not None and getattr(args, "set_dataset", None) is not None:
        raise UsageError("--csv replaces --dataset: give one of them")
    if getattr(args, "csv", None) is not None:
        try:
            table = csv_data.read_table(args.csv.read_bytes(), args.label)
        except OSError as err:
            raise UsageError(f"--csv: cannot read {str(args.csv)[:80]!r}: {err.strerror or err}") from None
        except ValueError as err:
            raise UsageError(f"--csv {str(args.csv)[:80]!r}: {err}") from None
        if linked is not None:
            try:
                csv_data.same_table(table, linked)
            except ValueError as err:
                hint = "; if the page's label column was not the last one, name it with --label" if args.label is None \
                    else ""
                raise UsageError(f"--csv {str(args.csv)[:80]!r}: {err}{hint}") from None
        cfg = dataclasses.replace(cfg, dataset=csv_data.store(table))
    if "source" in fields(type(cfg)) and (cfg.source == "upload") != (args.prices is not None):
        raise UsageError("--source upload reads its prices from --prices FILE (Date, Close, optional Volume): give "
                         "both or neither")
    if getattr(args, "prices", None) is not None:
        from kdviz.experiments import market

        try:
            opts["prices"] = market.frame_to_config(market.read_upload(args.prices.read_bytes(), cfg))
        except OSError as err:
            raise UsageError(f"--prices: cannot read {str(args.prices)[:80]!r}: {err.strerror or err}") from None
        except ValueError as err:
            raise UsageError(f"--prices {str(args.prices)[:80]!r}: {err}") from None
    return cfg, opts


# ----------------------------------------------------------------------------- checks before any work
def check_device(name: str | None) -> None:
    """A --device that this machine has (a UsageError otherwise)."""
    import torch

    from kdviz.device import resolve_device

    try:
        dev = resolve_device(name)
    except (ValueError, RuntimeError) as err:
        raise UsageError(f"--device {str(name)[:40]!r}: {str(err).splitlines()[0] if str(err) else 'not a device'}") \
            from None
    if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
        raise UsageError(f"--device {name!r}: this machine has {torch.cuda.device_count()} CUDA device(s)")


def validate(name: str, cfg) -> None:
    """The experiment's own cross-field check (its module's ``validate``, which the page runs too), if it has one."""
    check = getattr(sys.modules[EXPERIMENTS[name].config.__module__], "validate", None)
    if check is not None:
        check(cfg)


def check_folder(folder: Path) -> None:
    """The output folder exists (created if needed) and takes a file: probed by writing one, so that a run's exports
    are never lost to a folder that cannot hold them."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder, prefix=".kdviz-probe-") as probe:
            probe.write(b"kdviz")
    except OSError as err:
        raise UsageError(f"--out {str(folder)[:80]!r}: cannot write there ({err.strerror or err})") from None


# ----------------------------------------------------------------------------- running with progress
def progress_mode(requested: str) -> str:
    """"bar" on a terminal, "json" on a pipe, unless asked otherwise."""
    return ("bar" if sys.stderr.isatty() else "json") if requested == "auto" else requested


def describe(snap) -> dict:
    """One JSON-lines record of a snapshot: its progress and what it is."""
    rec = {"progress": round(float(snap.progress), 4)}
    if isinstance(snap, Phase):
        rec.update(phase=snap.name, text=snap.text)
    elif getattr(snap, "run", None) is not None:
        rec["step"] = snap.run.step
    return rec


def drive(name: str, snapshots, mode: str, out=sys.stdout):
    """Iterate a run to its end, reporting progress; return the final snapshot."""
    last = None
    if mode == "bar":
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                      TimeElapsedColumn(), transient=False) as bar:
            task = bar.add_task(name, total=1.0)
            for last in snapshots:
                bar.update(task, completed=float(last.progress),
                           description=f"{name}: {last.text}" if isinstance(last, Phase) else name)
        return last
    for last in snapshots:
        if mode == "json":
            print(json.dumps({"experiment": name, **describe(last)}), file=out, flush=True)
    return last


def write(name: str, cfg, snap, out_dir: Path, with_figures: bool = True, mode: str = "none") -> list[Path]:
    """Write the run's exports (exactly the page's) into ``out_dir``, reporting each file as ``mode`` says; the paths."""
    def report(done: int, total: int, file_name: str) -> None:
        if mode == "json":
            print(json.dumps({"experiment": name, "export": file_name, "done": done, "of": total}), flush=True)
        elif mode == "bar":
            print(f"exports {done}/{total}: {file_name}", file=sys.stderr, flush=True)
    return exports.write_bundle(exports.bundle(name, cfg, snap, with_figures), out_dir, report)


def run_experiment(name: str, args: argparse.Namespace) -> int:
    """The subcommand of one experiment: every input checked, then the run (a Failure wraps what fails in it)."""
    cfg = settings(name, args)
    check_device(args.device)
    cfg, opts = options(name, cfg, args)
    try:
        cfg, moved = omission.fit(cfg)  # the pages' rule: an omitted class the dataset lacks moves, said in words
        if moved:
            print(f"note: {moved}", file=sys.stderr)
        validate(name, cfg)
        check_folder(args.out)
        mode = progress_mode(args.progress)
        t0 = time.perf_counter()
        try:
            snap = drive(name, EXPERIMENTS[name].run(cfg, **opts), mode)
            paths = write(name, cfg, snap, args.out, args.figures, mode)
            verdict = exports.verdict(name, cfg, snap)
        except Exception as err:
            raise Failure(args.out) from err
    finally:
        if csv_data.names_upload(getattr(cfg, "dataset", None)):
            csv_data.remove(cfg.dataset)
    summary = {"experiment": name, "done": True, "seconds": round(time.perf_counter() - t0, 2),
               "verdict": verdict, "files": [str(p) for p in paths]}
    if mode == "json":
        print(json.dumps(summary), flush=True)
    elif mode == "bar":
        print(summary["verdict"] or "Done.", f"Files in {args.out}/:", ", ".join(p.name for p in paths))
    return 0


# ----------------------------------------------------------------------------- the sweep's flags
def sweep_seeds(text: str) -> tuple[int, ...]:
    """Seeds as "0, 1, 2" or a range "0-99"."""
    if "-" in text.strip().lstrip("-") and "," not in text:
        ends = text.split("-")
        if len(ends) != 2 or not all(e.strip().isdigit() for e in ends):
            raise ValueError(f"seed range {text[:40]!r}: write first-last, two whole numbers")
        lo, hi = (int(p) for p in ends)
        if not 0 <= lo <= hi or hi - lo >= 100_000:
            raise ValueError(f"seed range {text[:40]!r}: write first-last with 0 <= first <= last, at most 100,000 "
                             "seeds")
        return tuple(range(lo, hi + 1))
    return parse_list(text, int, "seeds", 1, 100_000)


def sweep_arguments(p: argparse.ArgumentParser) -> None:
    """The sweep subcommand's flags (kdviz.experiments.grid: a grid of students)."""
    d = grid.Grid()
    p.add_argument("--dataset", default=d.dataset, help="a registered dataset (digits, blobs, moons, ...)")
    p.add_argument("--csv", type=Path, help="your own classification CSV instead of --dataset")
    p.add_argument("--label", help="the CSV's label column (default: the last)")
    p.add_argument("--T", default="1, 4", help="temperatures, e.g. 1, 2, 4, 8")
    p.add_argument("--alpha", default="0.1", help="weights of the hard labels, e.g. 0, 0.1, 0.5")
    p.add_argument("--method", default="kd, baseline", help=f"methods: {', '.join(grid.GRID_METHODS)}")
    p.add_argument("--student", action="append", help="student hidden widths, e.g. 32 or '32, 32' (repeatable)")
    p.add_argument("--teacher", action="append", help="teacher hidden widths (repeatable; default 256, 256)")
    p.add_argument("--seeds", default="0-2", help="student seeds: '0, 1, 2' or a range '0-99'")
    p.add_argument("--steps", type=int, default=d.steps)
    p.add_argument("--lr", type=float, default=d.lr)
    p.add_argument("--batch", type=int, default=d.batch)
    p.add_argument("--omit", type=int, default=d.omit, help="class the students never see (-1: none)")
    p.add_argument("--data-seed", dest="data_seed", type=int, default=d.data_seed, help="seed of the data and teachers")
    p.add_argument("--backend", choices=("local", "ray"), default="local")
    p.add_argument("--address", help="a Ray cluster's address (with --backend ray); default: a local Ray")
    p.add_argument("--workers", type=int, help="local worker processes (default: the CPU cores)")
    p.add_argument("--population", type=int, default=256, help="students per task (default 256)")
    p.add_argument("--out", type=Path, default=Path("results/sweep.csv"), help="results file, .csv or .parquet")
    p.add_argument("--device", default=None)


def grid_of(args: argparse.Namespace) -> grid.Grid:
    """The Grid the flags describe, every axis checked (ValueError naming the flag)."""
    dataset = args.dataset
    if args.label is not None and args.csv is None:
        raise ValueError("sweep: --label names a column of --csv: give --csv too")
    if args.csv is not None:
        try:
            dataset = csv_data.store(csv_data.read_table(args.csv.read_bytes(), args.label))
        except OSError as err:
            raise ValueError(f"sweep: --csv: cannot read {str(args.csv)[:80]!r}: {err.strerror or err}") from None
        except ValueError as err:
            raise ValueError(f"sweep: --csv {str(args.csv)[:80]!r}: {err}") from None
    try:
        return grid.Grid(dataset=dataset, T=parse_list(args.T, float, "--T", 1, 1000),
                         alpha=parse_list(args.alpha, float, "--alpha", 1, 1000),
                         method=parse_list(args.method, grid.grid_method, "--method", 1, len(grid.GRID_METHODS)),
                         student=tuple(", ".join(map(str, parse_widths(s))) for s in (args.student or ["32"])),
                         teacher=tuple(", ".join(map(str, parse_widths(t))) for t in (args.teacher or ["256, 256"])),
                         seeds=sweep_seeds(args.seeds), steps=args.steps, lr=args.lr, batch=args.batch, omit=args.omit,
                         data_seed=args.data_seed)
    except ValueError as err:
        raise ValueError(f"sweep: {err}") from None


def check_sweep_options(args: argparse.Namespace) -> None:
    """The flags that are not the grid's (tasks, workers, the Ray address, the results file), checked before any
    work; a ValueError naming the flag otherwise."""
    for name, value, hi in (("--population", args.population, grid.MAX_CELLS),
                            ("--workers", args.workers, grid.MAX_WORKERS)):
        if value is not None:
            try:
                whole(value, name, 1, hi)
            except ValueError as err:
                raise ValueError(f"sweep: {err}") from None
    if args.address is not None and args.backend != "ray":
        raise ValueError("sweep: --address is a Ray cluster's address: use it with --backend ray")
    check_results_file(args.out)


def check_results_file(path: Path) -> None:
    """The results file can be written (its folder created if needed) and, when it exists, read back as a sweep's
    results (the rerun skips what it holds); a ValueError saying what is wrong otherwise."""
    path = Path(path)
    if path.suffix not in (".csv", ".parquet"):
        raise ValueError(f"sweep: --out {_tail(path)!r}: name a .csv or .parquet file")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            if not path.is_file():
                raise ValueError("it exists and is not a file")
            grid.Sink(path).done_keys()
            with open(path, "ab"):
                pass
        else:
            path.touch()
            path.unlink()
    except OSError as err:
        raise ValueError(f"sweep: --out {_tail(path)!r} cannot be written: {err.strerror or err}") from None
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as err:
        raise ValueError(f"sweep: --out {_tail(path)!r} is not a sweep's results file "
                         f"({err if isinstance(err, ValueError) and str(err) else 'a column is missing'})") from None
    except Exception as err:  # pyarrow's errors on a file that is not Parquet
        raise ValueError(f"sweep: --out {_tail(path)!r} is not a sweep's results file ({type(err).__name__})") \
            from None


def run_sweep(args: argparse.Namespace) -> int:
    """The sweep subcommand: every flag and the results file checked (grid_of, check_sweep_options), then the grid,
    its progress printed as JSON lines and a final summary (a Failure wraps what fails)."""
    check_device(args.device)
    cells = grid_of(args)
    check_sweep_options(args)

    def report(rec):
        print(json.dumps(rec), file=sys.stderr if sys.stdout.isatty() else sys.stdout, flush=True)

    try:
        summary = grid.sweep(cells, args.out, args.backend, args.population, args.workers, args.address, args.device,
                             report)
    except Exception as err:
        raise Failure(args.out.parent) from err
    print(json.dumps(summary), flush=True)
    return 0


# ----------------------------------------------------------------------------- prepare
def prepare_arguments(p: argparse.ArgumentParser) -> None:
    """The prepare subcommand's flags (kdviz.prepare: every page's first-load results computed ahead)."""
    p.add_argument("--only", help="only these experiments' results, e.g. compare,which-teacher (see --list)")
    p.add_argument("--list", dest="list_only", action="store_true",
                   help="say what would be computed, with the budget's estimates, and compute nothing")
    p.add_argument("--device", default=None, help="torch device (default: the best available, as a page's auto)")
    p.add_argument("--progress", choices=("auto", "bar", "lines"), default="auto",
                   help="progress bars, or one line per result (auto: bars on a terminal)")


def _interrupt(signum, frame) -> None:
    """A signal handler that stops the work in progress as Ctrl-C does."""
    raise KeyboardInterrupt


def run_prepare(args: argparse.Namespace) -> int:
    """The prepare subcommand: the flags checked, then every result not stored yet computed with progress, each
    failure one line naming its traceback's file, and the total time. Exit code 0, 1 when a run failed, 130 when
    Ctrl-C or a terminate (SIGTERM) stopped it (what finished is kept)."""
    items = prepare.plan(None if args.only is None else args.only.split(","))
    check_device(args.device)
    if args.list_only:
        print("\n".join(prepare.listing(items)))
        return 0
    bars = args.progress == "bar" or (args.progress == "auto" and sys.stdout.isatty())
    main_thread = threading.current_thread() is threading.main_thread()  # only it may set a signal handler
    before = signal.signal(signal.SIGTERM, _interrupt) if main_thread else None  # a terminate stops it as Ctrl-C does
    try:
        with prepare.Bars() if bars else prepare.Display(lambda line: print(one_line(line), flush=True)) as display:
            out = prepare.prepare(items, display, args.device)
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, signal.SIG_DFL if before is None else before)
    for item, err in out.failed:
        path = save_traceback(err, None)
        print(one_line(f"error: {item.label} failed; the traceback is in {path or '(could not be saved)'}"),
              file=sys.stderr)
    print(prepare.summary(out, len(items)))
    return 130 if out.interrupted is not None else 1 if out.failed else 0


def one_line(text: str) -> str:
    """``text`` as one line of at most MAX_LINE characters: control characters escaped (a typed value may hold any)."""
    flat = "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))
    return flat if len(flat) <= MAX_LINE else flat[:MAX_LINE - 1] + "…"


def save_traceback(err: BaseException, folder: Path | None) -> str | None:
    """Write the traceback of ``err`` into ``folder`` (else the temporary folder); the file's path, or None."""
    text = "".join(traceback.format_exception(err))
    for where in ([folder] if folder is not None else []) + [Path(tempfile.gettempdir())]:
        try:
            fd, path = tempfile.mkstemp(prefix="kdviz-error-", suffix=".txt", dir=where)
            with open(fd, "w") as f:
                f.write(text)
            return path
        except OSError:
            continue
    return None


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, check every input, run; one line on stderr for anything that goes wrong: exit code 2
    for bad input, 1 for a failure after the checks (its traceback saved to a file the line names), 130 on Ctrl-C."""
    try:
        args = parser().parse_args(argv)
        if args.command == "prepare":
            return run_prepare(args)
        return run_sweep(args) if args.command == "sweep" else run_experiment(args.experiment, args)
    except ValueError as err:  # a bad flag, config, link or setting: the page's message
        print(one_line(f"error: {err}"), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # a failure of kdviz itself, or a setting only the run could refuse
        cause = err.__cause__ if isinstance(err, Failure) and err.__cause__ is not None else err
        path = save_traceback(cause, err.folder if isinstance(err, Failure) else None)
        where = f"the traceback is in {path}" if path else "the traceback could not be saved"
        refused = isinstance(err, Failure) and isinstance(cause, ValueError)
        what = (f"the run refused a setting: {cause}" if refused else
                f"kdviz failed ({type(cause).__name__}: {str(cause).strip() or 'no message'})")
        print(one_line(f"error: {what}; {where}"), file=sys.stderr)
        return 2 if refused else 1
