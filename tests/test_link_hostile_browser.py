"""In real Chromium: a hostile link's values are shown as text (no link, image, formula or request to another
host), and a link too long for Streamlit says that its settings were dropped."""
from __future__ import annotations

import urllib.parse

import pytest

from tests.conftest import screenshot

pytestmark = pytest.mark.browser

TRAP = "http://127.0.0.1:9/t.png"  # nothing listens on port 9: a request to it is what must not happen
HOSTILE = [  # (the link's parameters, what its notices must read as text)
    ({"present": "[Log in again](https://ev.il)", "lesson": "[x](https://ev.il)", "[x](https://ev.il)_hide": "1",
      "T_hide": "see https://ev.il www.ev.il a@ev.il"},
     ["[Log in again](https://ev.il)", "lesson '[x](https://ev.il)'", "'[x](https://ev.il)_hide'",
      "see https://ev.il www.ev.il a@ev.il"]),
    ({"present": f"![x]({TRAP})", "text_hide": r"$\huge\text{SERVER DOWN}$", "nav_hide": f"<img src={TRAP}>"},
     [f"![x]({TRAP})", "$", "SERVER DOWN}$", f"<img src={TRAP}>"]),
]
NOTICE = "[data-testid='stAlertContentWarning']"


@pytest.mark.parametrize("query, shown", HOSTILE, ids=["links", "image-and-formula"])
def test_hostile_link_values_render_as_text(open_in_browser, query, shown):
    requested = []
    page = open_in_browser("temperature?" + urllib.parse.urlencode(query))
    page.on("request", lambda r: requested.append(r.url))
    page.reload(wait_until="domcontentloaded")  # the first load, now watched for requests
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=90_000)
    page.locator(NOTICE).first.wait_for(timeout=60_000)
    screenshot(page, f"link-hostile-{len(query)}")
    main = page.locator("[data-testid='stMain']")
    assert main.locator("a[href*='ev.il']").count() == 0
    assert page.locator("img[src*='127.0.0.1:9']").count() == 0
    assert main.locator(f"{NOTICE} a").count() == 0 and main.locator(f"{NOTICE} .katex").count() == 0
    assert not [u for u in requested if "127.0.0.1:9/" in u]
    text = " ".join(main.locator(NOTICE).all_inner_texts()).replace("\u2060", "")
    for value in shown:
        assert value in text  # the value reads as the link wrote it


def test_a_link_past_streamlits_parameter_limit_says_its_settings_were_dropped(open_in_browser):
    flags = "&".join(f"f{i}_hide=1" for i in range(1000))
    page = open_in_browser(f"temperature?{flags}&T=10")
    notice = page.locator(NOTICE, has_text="too long")
    notice.wait_for(timeout=60_000)
    assert "1,001 parameters" in notice.inner_text() and "defaults" in notice.inner_text()
    screenshot(page, "link-cut")
    page.get_by_test_id("stSidebarNavItems").get_by_role("link", name="Gradients").click()  # another page: the report stays with the link's page
    page.wait_for_function("location.pathname.endsWith('/gradients')", timeout=60_000)
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=90_000)
    page.get_by_role("heading", name="Gradients").first.wait_for(timeout=60_000)
    assert page.locator(NOTICE, has_text="too long").count() == 0
