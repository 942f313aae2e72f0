"""Config dataclasses <-> URL query parameters."""
import pytest

from kdviz.config import format_floats, from_query, parse_floats, to_query
from kdviz.experiments.gradients import GradientsConfig
from kdviz.experiments.temperature import TemperatureConfig


def test_round_trip_of_every_field():
    cfg = TemperatureConfig(preset="a tie", logits="3, 3, 1", label=2, T=0.5)
    back, notices = from_query(TemperatureConfig, to_query(cfg))
    assert back == cfg and notices == []


def test_defaults_when_the_url_is_empty_and_unknown_keys_are_ignored():
    cfg, notices = from_query(GradientsConfig, {"utm_source": "mail"})
    assert cfg == GradientsConfig() and notices == []


@pytest.mark.parametrize("params,field", [
    ({"T": "0"}, "T"), ({"T": "1000"}, "T"), ({"T": "nan"}, "T"), ({"label": "-1"}, "label"),
    ({"label": "x"}, "label"), ({"preset": "nope"}, "preset"), ({"logits": "1,,"}, "logits"),
])
def test_malformed_values_fall_back_with_a_notice_naming_them(params, field):
    cfg, notices = from_query(TemperatureConfig, params)
    assert getattr(cfg, field) == getattr(TemperatureConfig(), field)
    assert len(notices) == 1 and f"{field}=" in notices[0]


def test_logits_are_canonicalised():
    cfg, _ = from_query(TemperatureConfig, {"logits": "1 2,3.50"})
    assert cfg.logits == "1, 2, 3.5"


def test_parse_floats_messages():
    assert parse_floats("1, -2.5e1") == (1.0, -25.0)
    assert format_floats((1.0, -25.0)) == "1, -25"
    for text, msg in [("", "enter 2 to 20 separated by commas, got 0"), ("1,a", "'a' is not a number"), ("1, inf", "finite")]:
        with pytest.raises(ValueError, match=msg):
            parse_floats(text)


@pytest.mark.parametrize("raw, snapped", [("3.7", 4.0), ("3.3", 3.0), ("0.105", 0.1), ("95", 100.0)])
def test_a_value_between_the_steps_snaps_to_the_nearest_with_a_notice(raw, snapped):
    cfg, notices = from_query(TemperatureConfig, {"T": raw})
    assert cfg.T == snapped
    assert len(notices) == 1 and f"T='{raw}'" in notices[0] and f"nearest, {snapped:g}" in notices[0]
    assert from_query(TemperatureConfig, {"T": "4"})[1] == []  # an exact step: no notice


def test_notices_say_what_is_expected_not_pythons_wording():
    _, notices = from_query(TemperatureConfig, {"label": "abc", "T": "x" * 100_000})
    text = " ".join(notices)
    assert "invalid literal" not in text and "could not convert" not in text
    assert "expected a whole number" in text and "expected a number" in text
    assert len(text) < 400  # the 100 kB value is cut
