"""AppTest: the Market page trains at small settings, shows its verdict, and names a bad upload's problem."""

from tests.conftest import charts, plain

SMALL = dict(days="800", members="2", teacher="16", steps="100", seeds="2")


def wait_for(at, key, deadline=120):
    job = at.session_state[f"_job.{key}"]
    assert job.wait(deadline), "the job did not finish in time"
    at.run()
    return job


def test_train_shows_the_verdict_and_four_figures(page_test):
    at = page_test("app_pages/market.py", **SMALL)
    assert not at.exception
    assert any("majority class" in m.value for m in at.markdown)
    at.button(key="start").click().run()
    job = wait_for(at, "market")
    assert job.state == "done", job.error
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "KD student" in text and "faster at batch 1" in text
    figs = charts(at)
    titles = " ".join(f["layout"].get("title", {}).get("text", "") for f in figs)
    for word in ("accuracy", "latency", "Calibration", "not advice"):
        assert word in titles
    assert at.query_params["days"] in ("800", ["800"])
    equity = next(f for f in figs if "not advice" in f["layout"]["title"]["text"])
    assert len(equity["data"]) == 4  # of five backtests: a curve chart keeps to four lines
    at.multiselect(key="market.equity_lines").set_value(["logistic", "kd"]).run()
    equity = next(f for f in charts(at) if "not advice" in f["layout"]["title"]["text"])
    assert [t["name"] for t in equity["data"]] == ["Logistic regression", "KD student"]


def test_a_malformed_upload_shows_its_message(page_test):
    at = page_test("app_pages/market.py", source="upload")
    assert not at.exception
    assert any("Upload a CSV" in i.value for i in at.info)
    at.session_state["market.csv_bytes"] = b"Day,Price\n2020-01-01,1\n"
    at.run()
    assert not at.exception
    assert any("Missing column Date and Close" in plain(e) for e in at.error)
    at.session_state["market.csv_bytes"] = b"Date,Close\n2020-01-01,10\n2020-01-02,-3\n"
    at.run()
    assert any("Close must be positive" in plain(e) for e in at.error)


def test_bad_settings_show_an_error_not_a_traceback(page_test):
    at = page_test("app_pages/market.py", lags="0", trend="false", volatility="false", volume="false")
    assert not at.exception
    assert any("at least one feature" in plain(e) for e in at.error)


def test_transfer_runs_and_draws_its_curve(page_test):
    at = page_test("app_pages/market.py")
    at.text_input(key="tr.months").set_value("1, 3").run()
    at.number_input(key="tr.steps").set_value(50).run()
    at.button(key="transfer_start").click().run()
    job = wait_for(at, "market_transfer")
    assert job.state == "done", job.error
    assert not at.exception
    assert any("Cross-market" in f["layout"]["title"]["text"] for f in charts(at))
    assert any("majority class" in m.value and "month" not in m.value for m in at.markdown)


def test_switching_the_source_away_and_back_forgets_the_uploaded_file(page_test):
    at = page_test("app_pages/market.py", source="upload")
    at.session_state["market.csv_bytes"] = b"Day,Price\n2020-01-01,1\n"
    at.session_state["market.csv_from_uploader"] = True  # as the uploader leaves it while it shows the file
    at.selectbox(key="market.source").set_value("synthetic").run()  # the uploader is gone: nothing read
    assert not at.exception and not at.error
    at.selectbox(key="market.source").set_value("upload").run()  # a fresh, empty uploader
    assert not at.exception and not at.error  # the old file's error is gone with it
    assert any("Upload a CSV" in i.value for i in at.info)
    assert "market.csv_bytes" not in at.session_state
    assert [b for b in at.button if b.key == "start"] == []  # nothing to train on


def test_removing_the_file_from_the_uploader_clears_its_error(page_test):
    at = page_test("app_pages/market.py", source="upload")
    at.session_state["market.csv_bytes"] = b"Day,Price\n2020-01-01,1\n"
    at.session_state["market.csv_from_uploader"] = True
    at.run()  # the uploader shows no file (AppTest's is always empty): as after the file's x is clicked
    assert not at.error and any("Upload a CSV" in i.value for i in at.info)


def test_the_page_says_not_judged_when_students_failed(page_test, monkeypatch, tmp_path, diverging):
    from kdviz.experiments import cache, market

    monkeypatch.setenv("KDVIZ_CACHE_DIR", str(tmp_path))
    from kdviz.experiments.market import models

    diverging(models)
    cache.warm([("market", market.MarketConfig(days=800, members=2, teacher="16", steps=100, seeds=2))])
    at = page_test("app_pages/market.py", **SMALL)  # shows the stored, failed run
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "Not judged" in text and "lower the learning rate" in text
