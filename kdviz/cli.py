"""python -m kdviz: run any page's experiment from flags, a JSON config or a copied page link, and write its exports.

One subcommand per experiment of kdviz.experiments.EXPERIMENTS (``dark_omitted`` is typed
``dark-omitted``; ``dark-knowledge`` runs every tab of the Dark knowledge page), plus ``sweep`` (a grid of students, kdviz.experiments.grid). Settings come, each
overriding the one before, from the defaults, ``--config FILE`` (the page's config export),
``--from-url LINK`` (a page link: its query is read exactly as the page reads it) and one flag per
setting, whose help is the setting's label. Each value is checked by the same parser as the page,
and the experiment's own validation runs first, so bad input gets the page's message and exit
code 2. Progress goes to a rich progress bar on a terminal, or one JSON line per snapshot on a
pipe; at the end the page's exports (results, config, figures, best student, ONNX) go to ``--out``.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from kdviz import exports
from kdviz.config import fields, parse_setting, query_key
from kdviz.data import omission
from kdviz.experiments import EXPERIMENTS
from kdviz.experiments.protocol import Phase


class UsageError(ValueError):
    """A bad flag, config or link: printed as one line, exit code 2."""


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
    p.add_argument("--config", type=Path, help="a config JSON file (the page's 'Config (JSON)' export)")
    p.add_argument("--from-url", dest="from_url", help="a page link: its settings are read as the page reads them")
    p.add_argument("--out", type=Path, default=Path("results"), help="folder for the exports (default: results/)")
    p.add_argument("--device", default=None, help="torch device (default: the best available)")
    p.add_argument("--no-figures", dest="figures", action="store_false", help="skip the PNG/SVG figures")
    p.add_argument("--progress", choices=("auto", "bar", "json", "none"), default="auto",
                   help="a progress bar, JSON lines, or nothing (auto: a bar on a terminal, JSON lines on a pipe)")


def parser() -> argparse.ArgumentParser:
    """The argument parser: one subcommand per experiment, with one flag per setting, and sweep."""
    from kdviz.experiments import grid

    top = argparse.ArgumentParser(prog="python -m kdviz", description="Run kdviz's experiments without the browser.")
    subs = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, exp in EXPERIMENTS.items():
        p = subs.add_parser(command(name), help=exp.title, description=exp.title)
        p.set_defaults(experiment=name)
        add_common(p)
        for f in settable(exp.config).values():
            p.add_argument(flag(f.name), dest=f"set_{f.name}", metavar="VALUE", help=_help(f))
        if "dataset" in fields(exp.config):
            p.add_argument("--csv", type=Path, help="your own classification CSV (numeric features, one label column)")
            p.add_argument("--label", help="the CSV's label column (default: the last column)")
        if "source" in fields(exp.config):
            p.add_argument("--prices", type=Path, help="daily prices CSV (Date, Close, optional Volume) for --source upload")
    grid.add_arguments(subs.add_parser("sweep", help=grid.__doc__.splitlines()[0], description=grid.__doc__))
    return top


# ----------------------------------------------------------------------------- settings from three sources
def settable(cls) -> dict[str, dataclasses.Field]:
    """The fields a page shows as controls (declared with kdviz.config.setting): one flag each."""
    return {name: f for name, f in fields(cls).items() if "label" in f.metadata}


def url_params(link: str) -> dict[str, str]:
    """The query parameters of a page link (the last value of a repeated one)."""
    parts = urlsplit(link.strip())
    if not parts.query:
        raise UsageError(f"--from-url: {link[:80]!r} has no settings (nothing after '?'); copy the page's link after "
                         "changing a setting")
    return dict(parse_qsl(parts.query, keep_blank_values=True))


def settings(name: str, args: argparse.Namespace):
    """The experiment's config from the defaults, --config, --from-url and the flags, each value checked."""
    cls, values = EXPERIMENTS[name].config, {}
    prefix = exports.QUERY_PREFIX.get(name, "")
    sources = []
    if args.config is not None:
        try:
            data = json.loads(args.config.read_text())
        except (OSError, ValueError) as err:
            raise UsageError(f"--config: cannot read {args.config}: {err}") from None
        if data.get("experiment", name) != name:
            raise UsageError(f"--config: {args.config} is a config of {data['experiment']!r}, not of {name!r}")
        sources.append(("--config", {k: v for k, v in data.get("settings", data).items() if k != "experiment"}))
    if args.from_url and EXPERIMENTS[name].page_config is not None:
        page = next(n for n, e in EXPERIMENTS.items() if e.config is type(EXPERIMENTS[name].page_config(cls())))
        raise UsageError(f"--from-url: a page link holds the whole page's settings, not {command(name)}'s: run "
                         f"python -m kdviz {command(page)} --from-url ...")
    if args.from_url:
        params = url_params(args.from_url)
        sources.append(("--from-url", {f: params[query_key(prefix, f)] for f in fields(cls)
                                       if query_key(prefix, f) in params}))
    sources.append(("flag", {f: getattr(args, f"set_{f}") for f in settable(cls)
                             if getattr(args, f"set_{f}") is not None}))
    for where, given in sources:
        for key, raw in given.items():
            if key not in fields(cls):
                raise UsageError(f"{where}: {key!r} is not a setting of {command(name)}; the settings are "
                                 f"{', '.join(fields(cls))}")
            if key not in settable(cls):  # a plain field of a config file (a tuple of a sweep's axis, say)
                values[key] = tuple(raw) if isinstance(raw, list) else raw
                continue
            try:
                values[key] = parse_setting(cls, key, raw if isinstance(raw, str) else _text(raw))
            except (ValueError, TypeError) as err:
                what = flag(key) if where == "flag" else f"{where}: {key}"
                raise UsageError(f"{what}={str(raw)[:40]!r}: {err}") from None
    return cls(**values)


def _text(value) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def options(name: str, cfg, args: argparse.Namespace):
    """(config, run options): --csv stored as a dataset, --prices read as the Market page reads an upload."""
    opts = {"device": args.device}
    if getattr(args, "csv", None) is not None:
        from kdviz.data import csv as csv_data

        try:
            table = csv_data.read_table(args.csv.read_bytes(), args.label)
        except OSError as err:
            raise UsageError(f"--csv: cannot read {args.csv}: {err}") from None
        except ValueError as err:
            raise UsageError(f"--csv {args.csv}: {err}") from None
        cfg = dataclasses.replace(cfg, dataset=csv_data.store(table))
    if getattr(args, "prices", None) is not None:
        from kdviz.experiments import market

        try:
            opts["prices"] = market.frame_to_config(market.read_upload(args.prices.read_bytes(), cfg))
        except (OSError, ValueError) as err:
            raise UsageError(f"--prices {args.prices}: {err}") from None
    return cfg, opts


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
    """The subcommand of one experiment."""
    cfg = settings(name, args)
    cfg, opts = options(name, cfg, args)
    cfg, moved = omission.fit(cfg)  # the pages' rule: an omitted class the dataset lacks moves, said in words
    if moved:
        print(f"note: {moved}", file=sys.stderr)
    mode = progress_mode(args.progress)
    t0 = time.perf_counter()
    try:
        snap = drive(name, EXPERIMENTS[name].run(cfg, **opts), mode)
        paths = write(name, cfg, snap, args.out, args.figures, mode)
    finally:
        if str(getattr(cfg, "dataset", "")).startswith("csv:"):
            from kdviz.data import csv as csv_data

            csv_data.remove(cfg.dataset)
    summary = {"experiment": name, "done": True, "seconds": round(time.perf_counter() - t0, 2),
               "verdict": exports.verdict(name, cfg, snap), "files": [str(p) for p in paths]}
    if mode == "json":
        print(json.dumps(summary), flush=True)
    elif mode == "bar":
        print(summary["verdict"] or "Done.", f"Files in {args.out}/:", ", ".join(p.name for p in paths))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run; bad input prints one line and returns 2."""
    args = parser().parse_args(argv)
    try:
        if args.command == "sweep":
            from kdviz.experiments import grid

            return grid.main(args)
        return run_experiment(args.experiment, args)
    except ValueError as err:  # a bad flag, config, link or setting: the page's message
        print(f"error: {err}", file=sys.stderr)
        return 2
