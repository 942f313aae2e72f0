"""Bind a page's config dataclass to widget state and to the URL, so a copied link reproduces a view."""
from __future__ import annotations

import dataclasses
from typing import Callable, TypeVar

import streamlit as st

from kdviz.config import from_query, query_key, to_query
from ui.links import entering_step, remember
from ui.messages import stop_with_error, warn

C = TypeVar("C")
# (page prefix, field) -> which URL values of that field another part of the page reads and writes itself (the
# upload box's "csv:<digest>" dataset): the settings' binding neither applies nor reports nor overwrites them
_ELSEWHERE: dict[tuple[str, str], Callable[[str], bool]] = {}


def read_elsewhere(prefix: str, name: str, test: Callable[[str], bool]) -> None:
    """Leave the URL value of field ``name`` of the page ``prefix`` to another part of the page whenever
    ``test(value)`` holds: ``bind`` then seeds the widget from the defaults (no notice) and ``collect`` keeps the
    value. Call it before the page's settings are bound."""
    _ELSEWHERE[(prefix, name)] = test


def _elsewhere(prefix: str, name: str, value) -> bool:
    test = _ELSEWHERE.get((prefix, name))
    return test is not None and value is not None and test(str(value))


def widget_key(prefix: str, name: str) -> str:
    """The session-state key of the widget for field ``name`` of the page ``prefix``."""
    return f"{prefix}.{name}"


def bind(cls: type[C], prefix: str, query_prefix: str = "") -> None:
    """Seed the page's widget state before its widgets are drawn.

    On a session's first visit the URL decides (malformed values fall back to defaults, and a
    warning names each one), and so it does whenever the run enters a lesson step (the step's own
    settings, however the step is reached); on a return visit within the session, the page's last
    config does. Widgets must then be created with key=widget_key(prefix, field) and no value
    argument (see ui.controls). ``query_prefix`` names a second config's URL parameters ("tr" -> tr.months).
    """
    first = widget_key(prefix, dataclasses.fields(cls)[0].name)
    entering = entering_step()
    if first in st.session_state and not entering:
        return
    saved = None if entering else st.session_state.get(f"_{prefix}.saved")
    if saved is None:
        params = st.query_params.to_dict()
        for field in dataclasses.fields(cls):
            if _elsewhere(prefix, field.name, params.get(query_key(query_prefix, field.name))):
                del params[query_key(query_prefix, field.name)]
        saved, notices = from_query(cls, params, query_prefix)
        for notice in notices:
            warn(notice, icon=":material/link:")
    for field in dataclasses.fields(cls):
        st.session_state[widget_key(prefix, field.name)] = getattr(saved, field.name)


def collect(cls: type[C], prefix: str, validate: Callable[[C], object] | None = None, query_prefix: str = "") -> C:
    """Read the widgets into a config, remember it for return visits and write its fields to the URL.

    Only this config's parameters are written (a page may bind several configs). With
    ``validate``, a ValueError it raises is shown as the page's error and the run stops there.
    """
    cfg = cls(**{f.name: st.session_state[widget_key(prefix, f.name)] for f in dataclasses.fields(cls)})
    st.session_state[f"_{prefix}.saved"] = cfg
    remember(cfg, query_prefix)
    current = st.query_params.to_dict()
    query = to_query(cfg, query_prefix)
    for field in dataclasses.fields(cls):
        key = query_key(query_prefix, field.name)
        if current.get(key) != query[key] and not _elsewhere(prefix, field.name, current.get(key)):
            st.query_params[key] = query[key]
    if validate is not None:
        try:
            validate(cfg)
        except ValueError as err:
            stop_with_error(str(err))
    return cfg


def reads_url(cls, prefix: str) -> bool:
    """Whether the page's coming ``bind`` takes its settings from the URL (a first visit in the session, or a
    lesson step being entered) rather than from the session's last values."""
    first = widget_key(prefix, dataclasses.fields(cls)[0].name)
    return entering_step() or (first not in st.session_state and st.session_state.get(f"_{prefix}.saved") is None)


def preset(cls, prefix: str, **values) -> None:
    """Set fields before the page's settings are drawn, wherever the coming ``bind`` takes them from: the URL
    (as if the link named them), else the session's last config and the widgets."""
    if reads_url(cls, prefix):
        query = to_query(cls(**values))
        for name in values:
            st.query_params[name] = query[name]
        return
    saved = st.session_state.get(f"_{prefix}.saved")
    if saved is not None:
        st.session_state[f"_{prefix}.saved"] = dataclasses.replace(saved, **values)
    set_fields(prefix, **values)


def set_fields(prefix: str, **values) -> None:
    """Callback helper: set widget values (for presets) before the next run draws them."""
    for name, value in values.items():
        st.session_state[widget_key(prefix, name)] = value
