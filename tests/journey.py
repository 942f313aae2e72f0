"""Helpers for the journey tests: a user's path through several pages in a real Chromium, every frame checked.

A frame is what the page shows at one moment; ``errors`` lists what a user must never see in one (Streamlit's
exception box, an error alert, a traceback). ``run_to_end`` presses a Start button and follows the run to its
result, checking a frame about every half second, with a screenshot while it runs and one at the end.
"""
from __future__ import annotations

import json
import time

from tests.conftest import screenshot

IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
RUNNING = "[data-testid='stProgress']"  # a job's progress bar: drawn while it is queued or running, gone once done
FRAME_S = 0.5  # seconds between the frames a test checks while it waits

ERRORS = """() => { const out = [], main = document.querySelector("[data-testid='stApp']");
  document.querySelectorAll("[data-testid='stException']").forEach(e => out.push('exception: ' + e.textContent.slice(0, 300)));
  document.querySelectorAll("[data-testid='stAlertContentError']").forEach(e => out.push('error: ' + e.textContent.slice(0, 300)));
  if (main && main.textContent.includes('Traceback')) out.push('a traceback in the page');
  return out; }"""

# The value a widget shows: a slider's label (select sliders keep the option's index in value), else the input's
# value (number and text inputs, a select box's chosen option), else a checkbox's state.
SHOWN = """(box) => { const i = box.querySelector('input');
  if (!i) return null;
  if (i.type === 'range') return i.getAttribute('aria-valuetext');
  if (i.type === 'checkbox') return String(i.checked);
  return i.value; }"""


def css_key(key: str) -> str:
    """The CSS class Streamlit gives the element of widget ``key`` (every character not a letter, digit, - or _
    becomes -)."""
    return "st-key-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in key)


def wait_idle(page, timeout_s: float = 120) -> None:
    """Wait until the page's script has finished its run (bounded)."""
    page.wait_for_selector(IDLE, timeout=timeout_s * 1000)


def open_page(context, url: str, timeout_s: float = 120):
    """A new tab of ``context`` at ``url``, once the app has drawn it and its script is idle."""
    page = context.new_page()
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector("[data-testid='stApp']", timeout=timeout_s * 1000)
    wait_idle(page, timeout_s)
    return page


def errors(page) -> list[str]:
    """What the page shows now that a user must never see: exceptions, error alerts, tracebacks."""
    return page.evaluate(ERRORS)


def assert_clean(page, where: str) -> None:
    """Fail naming ``where`` and what the page shows if this frame holds an error."""
    shown = errors(page)
    assert not shown, f"{where}: {shown}"


def shown_value(page, key: str) -> str | None:
    """The value the widget ``key`` shows in the DOM (None when it is not drawn)."""
    box = page.locator(f".{css_key(key)}")
    return box.first.evaluate(SHOWN) if box.count() else None


def same_setting(shown: str | None, wanted: str) -> bool:
    """Whether a widget's shown value is the setting ``wanted`` from a URL: numerically equal to 1e-9 when both
    are numbers (a slider shows 0.10 for 0.1), else equal as text."""
    if shown is None:
        return False
    try:
        return abs(float(shown) - float(wanted)) <= 1e-9
    except ValueError:
        return shown.strip() == wanted.strip()


def wait_until(page, check, what: str, timeout_s: float) -> int:
    """Check a frame every FRAME_S seconds until ``check()`` holds, failing on any frame with an error or after
    ``timeout_s``; returns how many frames were checked."""
    deadline, frames = time.monotonic() + timeout_s, 0
    while True:
        frames += 1
        assert_clean(page, f"{what}, frame {frames}")
        if check():
            return frames
        assert time.monotonic() < deadline, f"{what}: not reached within {timeout_s:.0f} s ({frames} frames)"
        page.wait_for_timeout(FRAME_S * 1000)


def run_to_end(page, start: str, done: str, name: str, timeout_s: float = 240) -> int:
    """Press the Start button of element key ``start``, take a screenshot once its run shows its progress bar and
    one once ``done`` (a JavaScript expression) holds and the page is idle; every frame in between is checked for
    errors. Returns the number of frames checked."""
    button = page.locator(f".{css_key(start)} button")
    button.click()
    page.wait_for_selector(RUNNING, timeout=timeout_s * 1000)  # queued or training
    assert_clean(page, f"{name}, running")
    screenshot(page, f"{name}-running")
    finished = (f"(() => !document.querySelector(\"{RUNNING}\") && !!document.querySelector(\"{IDLE}\") "
                f"&& ({done}))()")
    frames = wait_until(page, lambda: page.evaluate(finished), f"{name}: the run's result", timeout_s)
    wait_idle(page)
    assert button.is_enabled(), f"{name}: Start is still disabled after the run"
    assert_clean(page, f"{name}, end")
    screenshot(page, f"{name}-end")
    return frames


def has_text(text: str) -> str:
    """A JavaScript expression: whether the page's main area holds ``text`` (also inside a tab not shown)."""
    return f"document.querySelector(\"[data-testid='stMain']\").textContent.includes({json.dumps(text)})"


def has(selector: str) -> str:
    """A JavaScript expression: whether an element matching ``selector`` exists."""
    return f"!!document.querySelector({json.dumps(selector)})"
