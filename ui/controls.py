"""Widgets drawn from a settings dataclass: each control's label, bounds, step and help come from its field.

A field declared with kdviz.config.setting carries what its widget needs; ``control`` picks the
widget from it: a select slider for numeric choices, a select box for other choices, a checkbox
for a bool, a number input for a whole number (or a float marked widget="number"), a slider for
a float with a step, a text input otherwise. Widgets are keyed by ui.state.widget_key and get
their values from the session state that ui.state.bind seeded, so they take no value argument.
"""
from __future__ import annotations

import streamlit as st

import contextlib

from kdviz.config import fields
from ui.links import hidden, step_controls
from ui.state import bind, collect, widget_key


def _kind(f) -> str:
    """The field's type name ("int", "float", "bool", "str"), whether annotations are strings or types."""
    return f.type if isinstance(f.type, str) else f.type.__name__


def control(cls, prefix: str, name: str, where=None, **kwargs):
    """Draw the widget of field ``name`` of ``cls`` (in ``where``, a column or container; default the page)."""
    f = fields(cls)[name]
    meta, key, where = f.metadata, widget_key(prefix, name), where or st
    if hidden(name):  # a link's <name>_hide=1: no widget; the value comes from the link (or the default)
        return st.session_state.get(key)
    common = dict(key=key, help=meta.get("help"), **kwargs)
    label, kind = meta["label"], _kind(f)
    if "choices" in meta:
        choices = meta["choices"]
        if all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in choices):
            return where.select_slider(label, options=choices, **common)
        return where.selectbox(label, choices, format_func=meta.get("format", str), **common)
    if kind == "bool":
        return where.checkbox(label, **common)
    if kind == "int" or (kind == "float" and meta.get("widget") == "number"):
        return where.number_input(label, meta["lo"], meta["hi"], step=meta.get("step", 1), **common)
    if kind == "float":
        return where.slider(label, meta["lo"], meta["hi"], step=meta["step"], **common)
    return where.text_input(label, **common)


def controls(cls, prefix: str, names, where=None) -> None:
    """Draw the widgets of several fields, in order."""
    for name in names:
        control(cls, prefix, name, where)


def settings(cls, prefix: str, columns, *, expanded: bool = True, validate=None, widths=None, query_prefix: str = "",
             title: str | None = "Settings"):
    """A page's settings: seed them from the URL (ui.state.bind), draw each column's fields (inside an
    expander called ``title``, unless None), then read them back into a config (ui.state.collect).
    Presenting a lesson step that names its controls: only those, in one row in sight, no expander.

    columns: one tuple of field names per column; widths: relative column widths.
    """
    bind(cls, prefix, query_prefix)
    step = step_controls()
    if step:  # the projector's first screen: the step's controls, then the page's figure
        shown = [name for names in columns for name in names if name in step]
        for name, column in zip(shown, st.columns(len(shown)) if shown else ()):
            control(cls, prefix, name, column)
        return collect(cls, prefix, validate, query_prefix)
    box = st.expander(title, expanded=expanded) if title else contextlib.nullcontext()
    with box:
        for column, names in zip(st.columns(widths or len(columns)), columns):
            controls(cls, prefix, names, column)
    return collect(cls, prefix, validate, query_prefix)
