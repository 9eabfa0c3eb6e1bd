"""Validity report: simulated vs real log statistics, tests, JSON and figures."""

import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest

from recsim_ng.data.event_log import from_dataframe
from recsim_ng.fitting import validity
from recsim_ng.fitting.validity_plots import plot_comparisons

NUM_ITEMS, NUM_TOPICS = 30, 4
ITEMS = pd.DataFrame({"item": np.arange(NUM_ITEMS)})


def _topics():
    """Items 0..29: one topic each (k % 4), every third item also half in the next topic."""
    topics = np.zeros((NUM_ITEMS, NUM_TOPICS))
    topics[np.arange(NUM_ITEMS), np.arange(NUM_ITEMS) % NUM_TOPICS] = 1.0
    both = np.arange(0, NUM_ITEMS, 3)
    topics[both, (both + 1) % NUM_TOPICS] = 1.0
    return topics / topics.sum(axis=1, keepdims=True)


TOPICS = _topics()
NAMES = ["drama", "comedy", "news", "sport"]


def _frame(seed, gap_scale=600.0, num_users=40, clicks=True):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 15, size=num_users)
    user = np.repeat(np.arange(num_users), lengths)
    gaps = rng.exponential(gap_scale, size=len(user))
    frame = pd.DataFrame({"user": user, "item": rng.integers(NUM_ITEMS, size=len(user)),
                          "time": pd.Series(gaps).groupby(user).cumsum().to_numpy()})
    if clicks:
        frame["position"] = rng.integers(1, 4, size=len(user))
        frame["click"] = (rng.random(len(user)) < 0.4 / frame["position"]).astype(int)
    return frame


def _pair(real_frame, simulated_frame):
    real = from_dataframe(real_frame, items=ITEMS)
    return real, from_dataframe(simulated_frame, catalogue=real)


def _row(rows, statistic, distance=validity.KS):
    found = [r for r in rows if r.statistic.startswith(statistic) and r.distance == distance]
    assert len(found) == 1, [r.statistic for r in rows]
    return found[0]


def test_identical_logs_are_consistent_everywhere():
    log = from_dataframe(_frame(0), items=ITEMS)
    rows = validity.compare(log, log, topics=TOPICS, topic_names=NAMES)
    # 2 gap rows, sessions, repeats, 2 diversity, 1 + 5 topic bins, 1 + 3 slots
    assert len(rows) == 16
    assert sum("slot" in r.statistic for r in rows) == 4
    assert sum("history bin" in r.statistic for r in rows) == 5
    for row in rows:
        assert row.verdict == "consistent", row
        assert row.value == pytest.approx(0.0, abs=1e-12), row
        assert row.p_value == pytest.approx(1.0), row
        assert row.real == pytest.approx(row.simulated), row
    frame = validity.comparisons_frame(rows)
    assert list(frame.columns) == ["statistic", "real", "simulated", "distance", "value",
                                   "p_value", "verdict"]
    assert len(frame) == len(rows)


def test_ten_times_longer_gaps_differ_and_a_fresh_draw_does_not():
    real_frame = _frame(1, clicks=False)
    slow = real_frame.assign(time=real_frame["time"] * 10)
    rows = validity.compare(*_pair(real_frame, slow))
    ks, wasserstein = _row(rows, "gap"), _row(rows, "gap", validity.WASSERSTEIN)
    assert ks.verdict == wasserstein.verdict == "differs"
    assert ks.p_value < 1e-6 and ks.value > 0.5
    assert ks.simulated == pytest.approx(10 * ks.real)
    assert wasserstein.value > 1.0
    fresh = validity.compare(*_pair(real_frame, _frame(2, clicks=False)))
    assert _row(fresh, "gap").verdict == "consistent"


TINY = pd.DataFrame({  # rows out of order on purpose
    "user": ["c", "a", "a", "b", "a", "c", "a"],
    "item": [2, 0, 2, 1, 1, 2, 0],
    "time": [3600.0, 0.0, 4005.0, 100.0, 10.0, 0.0, 4000.0]})
TINY_TOPICS = np.array([[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]])


def test_statistics_by_hand_on_a_tiny_log():
    log = from_dataframe(TINY)
    np.testing.assert_allclose(validity.gaps(log), [10.0, 3990.0, 5.0, 3600.0])
    # a: 0, 10 | 4000, 4005; b: 100; c: 0, 3600 (a gap of exactly 3600 s stays in session)
    np.testing.assert_array_equal(validity.session_lengths(log), [2, 2, 1, 2])
    np.testing.assert_array_equal(validity.session_lengths(log, 5.0), [1, 1, 2, 1, 1, 1])
    # log.events is sorted by user then time: a: 0 1 0 2, b: 1, c: 2 2
    np.testing.assert_array_equal(validity.repeats(log),
                                  [False, False, True, False, False, False, True])
    diversity = validity.diversity(log, TINY_TOPICS)
    entropy_a = -(0.625 * math.log(0.625) + 0.375 * math.log(0.375))
    np.testing.assert_allclose(diversity["entropy"], [entropy_a, math.log(2), 0.0], atol=1e-12)
    # a's items 0, 1 (a tie, so topic 0) and 2 have top topics {0, 1}
    np.testing.assert_array_equal(diversity["top_topics"], [2, 1, 1])
    # bins of 2: a's events 0,1 | 2,3; b's only event in bin 0; c's 0 | 1
    np.testing.assert_allclose(validity.topic_shares_over_time(log, TINY_TOPICS, num_bins=2),
                               [[0.5, 0.5], [1 / 3, 2 / 3]])


def test_repeat_rate_z_test_by_hand():
    other = TINY.assign(item=[2, 0, 0, 1, 0, 2, 0])  # repeats: a 3 of 4, c 1: 4 of 7
    rows = validity.compare(*_pair(TINY, other))
    row = _row(rows, "repeat", validity.RATE_DIFFERENCE)
    pooled = 6 / 14
    z = (4 / 7 - 2 / 7) / math.sqrt(pooled * (1 - pooled) * (2 / 7))
    assert (row.real, row.simulated) == (pytest.approx(2 / 7), pytest.approx(4 / 7))
    assert row.value == pytest.approx(2 / 7)
    assert row.p_value == pytest.approx(math.erfc(z / math.sqrt(2)))
    assert row.verdict == "consistent"


def test_click_through_by_slot_with_wilson_interval_by_hand():
    frame = pd.DataFrame({"user": np.arange(6), "item": 0, "time": 0.0,
                          "position": [1, 1, 1, 1, 2, 2], "click": [1, 0, 0, 0, 0, 0]})
    table = validity.click_through_by_slot(from_dataframe(frame))
    assert list(table.index) == [1, 2]
    np.testing.assert_array_equal(table["impressions"], [4, 2])
    np.testing.assert_allclose(table["ctr"], [0.25, 0.0])
    # Wilson 95%, 1 of 4: (0.0456, 0.6994); 0 of 2: (0, z^2 / (2 + z^2)) = (0, 0.6576)
    np.testing.assert_allclose(table["lower"], [0.045587, 0.0], atol=1e-5)
    np.testing.assert_allclose(table["upper"], [0.699358, 0.657611], atol=1e-5)
    clicked_more = frame.assign(click=[1, 1, 1, 0, 0, 0])
    rows = validity.compare(*_pair(frame, clicked_more))
    slot = _row(rows, "click-through rate, slot 1", validity.RATE_DIFFERENCE)
    assert (slot.real, slot.simulated, slot.value) == (0.25, 0.75, 0.5)
    # Pearson chi-square without correction on [[1, 3], [3, 1]]: statistic 2, one dof
    assert slot.p_value == pytest.approx(math.erfc(1.0))
    assert _row(rows, "click-through rate, slot 2", validity.RATE_DIFFERENCE).p_value == 1.0


def test_logs_without_clicks_or_positions_skip_the_slot_statistic():
    rows = validity.compare(*_pair(_frame(3, clicks=False), _frame(4, clicks=False)))
    assert rows and not any("click" in r.statistic for r in rows)
    with pytest.raises(ValueError, match="'click' and 'position'"):
        validity.click_through_by_slot(from_dataframe(_frame(3, clicks=False)))
    half = validity.compare(*_pair(_frame(3), _frame(4, clicks=False)))
    assert [r.verdict for r in half if "click" in r.statistic] == ["not applicable"]


def test_changed_topics_repeats_and_clicks_differ():
    real_frame = _frame(5)
    simulated = real_frame.assign(item=(real_frame["user"] % 2) * 4,  # topic 0, many repeats
                                  click=(real_frame["position"] == 1).astype(int))
    rows = validity.compare(*_pair(real_frame, simulated), topics=TOPICS)
    for statistic, distance in [("repeat", validity.RATE_DIFFERENCE),
                                ("topic shares, all", validity.TOTAL_VARIATION),
                                ("topic entropy", validity.KS),
                                ("click-through rate, slot 1", validity.RATE_DIFFERENCE),
                                ("click-through rate, slot 3", validity.RATE_DIFFERENCE)]:
        assert _row(rows, statistic, distance).verdict == "differs", statistic


def test_degenerate_logs_are_not_applicable_or_p_one_without_warnings():
    single = pd.DataFrame({"user": np.arange(8), "item": [1, 2, 4, 5, 7, 8, 10, 11],
                           "time": np.arange(8.0)})  # one event per user: no gaps, no repeats
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rows = validity.compare(*_pair(single, single.assign(time=100.0)), topics=TOPICS)
    gap = _row(rows, "gap")
    assert gap.verdict == "not applicable" and math.isnan(gap.value)
    assert math.isnan(gap.p_value) and math.isnan(gap.real)
    for statistic in ("session length", "topic entropy"):  # all 1 and (single-topic items) all 0
        row = _row(rows, statistic)
        assert (row.value, row.p_value, row.verdict) == (0.0, 1.0, "consistent")
    repeat = _row(rows, "repeat", validity.RATE_DIFFERENCE)
    assert (repeat.real, repeat.value, repeat.p_value) == (0.0, 0.0, 1.0)
    later_bins = [r for r in rows if "history bin" in r.statistic][1:]
    assert len(later_bins) == 4 and all(r.verdict == "not applicable" for r in later_bins)
    records = validity.to_json(rows)
    text = json.dumps(records, allow_nan=False)
    assert json.loads(text)[0]["value"] is None
    assert all(type(value) in (str, float, type(None)) for r in records for value in r.values())


def test_other_catalogue_is_refused():
    real = from_dataframe(_frame(6), items=ITEMS)
    with pytest.raises(ValueError, match="catalogue"):
        other = _frame(6).assign(item=lambda f: f["item"] % 10)
        validity.compare(real, from_dataframe(other))  # its catalogue: only the items it met
    with pytest.raises(ValueError, match="rows"):
        validity.compare(real, real, topics=TOPICS[:-1])


def test_plots_are_written_and_never_silently_replaced(tmp_path):
    import matplotlib.pyplot as plt

    open_figures = plt.get_fignums()
    real, simulated = _pair(_frame(7), _frame(8, gap_scale=6000.0))
    folder = tmp_path / "report"
    paths = plot_comparisons(real, simulated, folder, topics=TOPICS, topic_names=NAMES)
    assert sorted(p.rsplit("/", 1)[-1] for p in paths) == [
        "click_through_by_slot.png", "diversity.png", "gaps.png", "session_lengths.png",
        "topic_shares.png"]
    contents = {}
    for path in paths:
        with open(path, "rb") as file:
            contents[path] = file.read()
        assert contents[path].startswith(b"\x89PNG") and len(contents[path]) > 5000, path
    assert plt.get_fignums() == open_figures
    with pytest.raises(FileExistsError):
        plot_comparisons(real, simulated, folder)
    for path in paths:
        with open(path, "rb") as file:
            assert file.read() == contents[path]
    redrawn = plot_comparisons(real, simulated, folder, overwrite=True)  # no topics this time
    assert redrawn == [paths[0], paths[1], paths[4]]
    bare = _pair(_frame(7, clicks=False), _frame(8, clicks=False))
    assert len(plot_comparisons(*bare, tmp_path / "bare")) == 2
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == sorted(
        [p.rsplit("/", 1)[-1] for p in paths] + ["gaps.png", "session_lengths.png"])
