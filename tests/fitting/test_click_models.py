"""Click models: parameter recovery with honest 95% intervals, Open Bandit, bad input."""

import json

import numpy as np
import pandas as pd
import pytest

from recsim_ng.data.event_log import LogFormatError, from_dataframe
from recsim_ng.data.open_bandit import load_open_bandit
from recsim_ng.fitting.click_models import (FittedClickModel, fit_cascade_model,
                                            fit_position_based_model)
from recsim_ng.fitting.off_policy import check_policy

NUM_ITEMS, NUM_IMPRESSIONS, SEEDS = 20, 20_000, range(10)
ATTRACTIVENESS = np.linspace(0.05, 0.5, NUM_ITEMS)
EXAMINATION = np.array([1.0, 0.7, 0.4])


def _log(item, position, click, slate=None):
    frame = pd.DataFrame({"user": np.arange(len(item)), "item": item, "time": np.arange(len(item)),
                          "position": position, "click": click.astype(int)})
    if slate is not None:
        frame["slate"] = slate
    return from_dataframe(frame)


def _position_based_log(seed):
    rng = np.random.default_rng(seed)
    item = rng.integers(NUM_ITEMS, size=NUM_IMPRESSIONS)
    slot = rng.integers(3, size=NUM_IMPRESSIONS)
    click = rng.random(NUM_IMPRESSIONS) < EXAMINATION[slot] * ATTRACTIVENESS[item]
    return _log(item, slot + 1, click)


def _cascade_rows_log(seed):
    """One impression per row; the unlogged items above are drawn uniformly, like the row's."""
    rng = np.random.default_rng(seed)
    items = rng.integers(NUM_ITEMS, size=(NUM_IMPRESSIONS, 3))
    slot = rng.integers(3, size=NUM_IMPRESSIONS)
    attractive = rng.random((NUM_IMPRESSIONS, 3)) < ATTRACTIVENESS[items]
    nothing_above = np.cumsum(attractive, axis=1) - attractive == 0
    rows = np.arange(NUM_IMPRESSIONS)
    return _log(items[rows, slot], slot + 1, (attractive & nothing_above)[rows, slot])


def _cascade_slates_log(seed):
    """Whole slates of three uniform items, each row one slot, the first attractive clicked."""
    rng = np.random.default_rng(seed)
    num_slates = NUM_IMPRESSIONS // 3
    items = rng.integers(NUM_ITEMS, size=(num_slates, 3))
    attractive = rng.random((num_slates, 3)) < ATTRACTIVENESS[items]
    click = attractive & (np.cumsum(attractive, axis=1) - attractive == 0)
    return _log(items.ravel(), np.tile([1, 2, 3], num_slates), click.ravel(),
                slate=np.repeat(np.arange(num_slates), 3))


def _logit(p):
    return np.log(p / (1 - p))


def _coverage(fit, simulate, truth):
    covered = []
    for seed in SEEDS:
        model = fit(simulate(seed))
        estimates = model.estimates
        assert np.all(np.isfinite(estimates.standard_errors))
        covered.append(np.abs(estimates.values - truth) <= 1.96 * estimates.standard_errors)
    covered = np.concatenate(covered)
    tolerance = 3 * np.sqrt(0.95 * 0.05 / len(covered))
    return covered.mean(), tolerance


def test_position_based_intervals_cover_the_true_parameters():
    truth = np.r_[_logit(ATTRACTIVENESS), np.log(EXAMINATION[1:])]
    coverage, tolerance = _coverage(fit_position_based_model, _position_based_log, truth)
    assert abs(coverage - 0.95) <= tolerance


@pytest.mark.parametrize("simulate", [_cascade_rows_log, _cascade_slates_log])
def test_cascade_intervals_cover_the_true_parameters(simulate):
    coverage, tolerance = _coverage(fit_cascade_model, simulate, _logit(ATTRACTIVENESS))
    assert abs(coverage - 0.95) <= tolerance


def test_position_based_model_on_the_open_bandit_random_log():
    log = load_open_bandit("random")
    model = fit_position_based_model(log)
    assert np.all(np.isfinite(model.estimates.values))
    assert np.all(np.isfinite(model.estimates.standard_errors))
    effects = model.slot_effects()
    assert effects["slot"].tolist() == [1, 2, 3]
    relative, low, high = effects[["relative_examination", "low", "high"]].to_numpy().T
    assert np.all(np.isfinite([relative, low, high])) and np.all(low > 0)
    # The interval is a Wald interval for the log relative examination, exponentiated.
    np.testing.assert_allclose(np.log(high / relative), np.log(relative / low))
    restored = FittedClickModel.from_json(json.loads(json.dumps(model.to_json(), allow_nan=False)))
    np.testing.assert_allclose(restored.click_probability(log), model.click_probability(log))


def test_policy_check_on_the_open_bandit_logs():
    random_log, bts_log = load_open_bandit("random"), load_open_bandit("bts")
    # 51 of the 80 items are never clicked: shrink the item logits for the normal approximation.
    model = fit_position_based_model(random_log, l2=1.0)
    check = check_policy(random_log, bts_log, model)
    for estimate in (check.observed, check.ips, check.snips, check.simulated):
        assert estimate.low <= estimate.value <= estimate.high
    assert check.simulated_within_observed == check.observed.contains(check.simulated.value)


def test_a_log_without_clicks_is_refused_naming_the_column():
    frame = pd.DataFrame({"user": [0, 1], "item": [0, 1], "time": [0, 1], "position": [1, 2]})
    with pytest.raises(LogFormatError, match="'click'"):
        fit_position_based_model(from_dataframe(frame))


def test_a_slate_with_two_clicks_is_refused_naming_the_slate():
    log = _log(np.array([0, 1, 2]), np.array([1, 2, 3]), np.array([1, 1, 0]),
               slate=["s7", "s7", "s7"])
    with pytest.raises(LogFormatError, match="slate 's7' has 2 clicks"):
        fit_cascade_model(log)


def test_slot_effects_above_one_are_fitted_though_steps_may_push_a_probability_past_one():
    rng = np.random.default_rng(0)
    item = rng.integers(NUM_ITEMS, size=NUM_IMPRESSIONS)
    slot = rng.integers(3, size=NUM_IMPRESSIONS)
    examination = np.array([0.5, 1.0, 0.8])
    attractiveness = np.linspace(0.5, 0.98, NUM_ITEMS)
    click = rng.random(NUM_IMPRESSIONS) < examination[slot] * attractiveness[item]
    model = fit_position_based_model(_log(item, slot + 1, click))
    estimates = model.estimates
    truth = np.r_[_logit(0.5 * attractiveness), np.log(examination[1:] / 0.5)]
    assert np.all(np.abs(estimates.values - truth) <= 4 * estimates.standard_errors)
    assert model.slot_effects()["low"].iloc[1] > 1


def test_an_unidentified_item_gets_an_infinite_standard_error_written_as_null():
    rng = np.random.default_rng(0)
    item, slot = rng.integers(3, size=600), rng.integers(2, size=600)
    frame = pd.DataFrame({"user": np.arange(600), "item": item, "time": np.arange(600),
                          "position": slot + 1, "click": (rng.random(600) < 0.3).astype(int)})
    log = from_dataframe(frame, items=pd.DataFrame({"item": [0, 1, 2, 3]}))  # 3 is never shown
    with pytest.warns(RuntimeWarning, match="singular"):
        model = fit_position_based_model(log, l2=0.0)
    assert model.estimates.standard_error("attractiveness[3]") == np.inf
    assert np.all(np.isfinite(np.delete(model.estimates.standard_errors, 3)))
    text = json.dumps(model.to_json(), allow_nan=False)
    assert "Infinity" not in text and "null" in text
    restored = FittedClickModel.from_json(json.loads(text))
    np.testing.assert_array_equal(restored.estimates.covariance, model.estimates.covariance)
    np.testing.assert_allclose(restored.click_probability(log), model.click_probability(log))
