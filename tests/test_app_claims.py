"""AppTest of the Which teacher? and Claims on trial pages: tabs, a run with small settings, its verdicts and figures."""
import urllib.parse

import pytest

from tests.conftest import charts, plain


def _train(at, key: str, button: str):
    """Press a tab's Start, wait for its job (run_every never fires in AppTest) and rerun the page."""
    at.button(key=button).click().run()
    job = at.session_state[f"_job.{key}"]
    assert job.wait(120) and job.state == "done", job.error
    return at.run()


@pytest.mark.parametrize("page, tabs, part, figures", [
    ("which_teacher", 3, "capacity", 2), ("claims", 6, "gradient", 1)])
def test_a_tab_trains_and_shows_its_verdicts_beside_the_source(page_test, page, tabs, part, figures, tmp_path,
                                                                 monkeypatch):
    monkeypatch.setenv("KDVIZ_CACHE_DIR", str(tmp_path))  # no result stored by an earlier test of this process
    at = page_test(f"app_pages/{page}.py", **{f"{part}.steps": "60", f"{part}.seeds": "2"})
    assert not at.exception and len(at.tabs) == tabs
    assert not charts(at)  # nothing drawn before Start
    at = _train(at, f"{page}_{part}", f"{part}_start")
    assert not at.exception
    assert len(charts(at)) == figures
    text = [m.value for m in at.markdown]
    assert any(t.startswith("**Here**") and "over 2 seeds" in t for t in text)
    assert any("The source found" in t for t in text)
    assert any(v in t for t in text for v in ("confirmed here", "not seen here", "reversed here"))
    link = [c.value for c in at.code if c.value.startswith(f"/{page}?")]  # the export menu's page link, this tab's
    assert link and f"{part}.steps=60" in link[0] and f"{part}.seeds=2" in link[0]
    labels = [b.label for b in at.get("download_button")]
    assert "Numbers (CSV)" in labels and "Config (page link)" in labels and any(x.endswith("(PNG)") for x in labels)


def test_an_exported_link_opens_its_tab_with_the_settings_it_was_run_with(page_test):
    from kdviz import exports
    from kdviz.experiments import which_teacher

    link = exports.config_url("which_teacher", which_teacher.WhichTeacherConfig(part="assistant", steps=300, seeds=2))
    path, query = link.split("?")
    params = dict(urllib.parse.parse_qsl(query))
    assert path == "/which_teacher" and "assistant.part" not in params and "steps" not in params
    at = page_test("app_pages/which_teacher.py", **params)
    assert not at.exception and not at.warning
    assert at.session_state["which_teacher_assistant.steps"] == 300 and at.session_state["which_teacher_assistant.seeds"] == 2
    assert at.session_state["which_teacher_capacity.steps"] != 300  # the other tabs keep their own defaults


def test_bad_settings_in_the_link_are_explained(page_test):
    at = page_test("app_pages/claims.py", **{"alpha.seeds": "99"})
    assert not at.exception
    assert [plain(w) for w in at.warning] == ["Ignored the link's value alpha.seeds='99' (expected a value from 2 to 6); using the default."]
