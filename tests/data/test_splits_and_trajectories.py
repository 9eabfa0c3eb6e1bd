"""Tests for `recsim_ng.data.splits` and `recsim_ng.data.trajectories`.

The log is random but seeded: users with 1 to 40 events at distinct times, every optional
column, an event feature, an items table with an item nobody met and a users table with a
user who has no events. Expectations are computed from the raw table, not from the log.
"""

import numpy as np
import pandas as pd
import pytest

from recsim_ng.data.event_log import from_dataframe
from recsim_ng.data.splits import Split, split_by_time, split_by_users
from recsim_ng.data.trajectories import Trajectories, to_trajectories

NUM_USERS = 30  # With events; the users table adds one more without.
NUM_ITEMS = 12


def raw_tables():
    rng = np.random.default_rng(7)
    lengths = rng.integers(1, 41, NUM_USERS)
    lengths[:3] = [40, 1, 2]
    users = np.repeat([f"u{k:02d}" for k in range(NUM_USERS)], lengths)
    n = len(users)
    frame = pd.DataFrame({
        "user": users,
        "item": rng.integers(0, NUM_ITEMS, n) * 10 + 5,  # Ids 5, 15, ..., 115.
        "time": rng.permutation(n).astype(float) * 3.0,  # Distinct times.
        "position": rng.integers(1, 4, n),
        "click": rng.integers(0, 2, n),
        "rating": rng.integers(1, 6, n).astype(float),
        "propensity": rng.uniform(0.01, 1.0, n),
        "dwell": rng.normal(size=n),
    })
    frame = frame.sample(frac=1.0, random_state=1)  # Rows out of order,
    frame.index = [f"e{k}" for k in rng.permutation(n)]  # labelled at random.
    items = pd.DataFrame({"item": np.arange(NUM_ITEMS + 1) * 10 + 5,  # 125 is never met.
                          "price": np.arange(NUM_ITEMS + 1, dtype=float),
                          "sale": np.arange(NUM_ITEMS + 1) % 2})
    people = pd.DataFrame({"user": [f"u{k:02d}" for k in range(NUM_USERS + 1)],
                           "age": np.arange(NUM_USERS + 1, dtype=float) + 18})
    return frame, items, people


@pytest.fixture(scope="module")
def tables():
    return raw_tables()


@pytest.fixture(scope="module")
def log(tables):
    frame, items, people = tables
    return from_dataframe(frame, items=items, users=people, event_features=["dwell"])


def by_user(log, mask):
    """{user_index: times of the masked events}."""
    events = log.events[np.asarray(mask, bool)]
    return {u: group["time"].to_numpy() for u, group in events.groupby("user_index")}


# Splits by time.


def assert_partition(split, num_events):
    masks = np.stack([split.train, split.validation, split.test])
    assert masks.shape == (3, num_events) and masks.dtype == bool
    np.testing.assert_array_equal(masks.sum(axis=0), np.ones(num_events))
    assert sum(split.sizes().values()) == num_events


@pytest.mark.parametrize("fractions", [(0.8, 0.1, 0.1), (0.5, 0.25, 0.25), (0.6, 0.4, 0.0)])
def test_a_per_user_time_split_puts_each_users_past_before_their_future(log, fractions):
    split = split_by_time(log, fractions)
    assert isinstance(split, Split)
    assert_partition(split, log.num_events)
    train, validation, test = (by_user(log, m) for m in (split.train, split.validation,
                                                          split.test))
    for user in range(log.num_users):
        parts = [part.get(user, np.array([])) for part in (train, validation, test)]
        for earlier, later in ((0, 1), (1, 2), (0, 2)):
            if len(parts[earlier]) and len(parts[later]):
                assert parts[earlier].max() <= parts[later].min(), (user, earlier, later)


@pytest.mark.parametrize("fractions", [(0.8, 0.1, 0.1), (0.5, 0.25, 0.25)])
def test_a_per_user_time_split_respects_the_fractions_for_each_user(log, tables, fractions):
    split = split_by_time(log, fractions)
    counts = pd.DataFrame({"user": log.events["user_index"].to_numpy(),
                           "train": split.train, "validation": split.validation,
                           "test": split.test}).groupby("user").sum()
    total = counts.sum(axis=1)
    for name, share in zip(["train", "validation", "test"], fractions):
        assert (abs(counts[name] - share * total) <= 1.0).all(), name
    long = total >= 10
    assert (counts.loc[long, "test"] >= 1).all()  # Every long history is scored.
    assert (counts.loc[long, "train"] >= 1).all()
    if fractions[0] > 0.5:  # A user with one event trains on it.
        assert counts.loc[list(log.user_ids).index("u01"), "train"] == 1


def test_a_global_time_split_cuts_the_whole_log_at_one_time(log):
    split = split_by_time(log, (0.7, 0.1, 0.2), per_user=False)
    assert_partition(split, log.num_events)
    time = log.events["time"].to_numpy()
    assert time[split.train].max() <= time[split.validation].min()
    assert time[split.validation].max() <= time[split.test].min()
    assert time[split.train].max() <= time[split.test].min()
    sizes = split.sizes()
    for name, share in zip(["train", "validation", "test"], (0.7, 0.1, 0.2)):
        assert abs(sizes[name] - share * log.num_events) <= 1.0, name


def test_a_global_time_split_differs_from_a_per_user_one(log):
    glob = split_by_time(log, per_user=False)
    mine = split_by_time(log, per_user=True)
    assert not np.array_equal(glob.test, mine.test)


# Splits by user.


def test_a_user_split_puts_each_user_in_exactly_one_part(log):
    split = split_by_users(log, (0.6, 0.2, 0.2), seed=5)
    assert_partition(split, log.num_events)
    users = log.events["user_index"].to_numpy()
    parts = [set(users[mask]) for mask in (split.train, split.validation, split.test)]
    assert not (parts[0] & parts[1]) and not (parts[1] & parts[2]) and not (parts[0] & parts[2])
    assert parts[0] | parts[1] | parts[2] == set(users)
    # Every event of a user goes where the user goes.
    for mask, part in zip((split.train, split.validation, split.test), parts):
        np.testing.assert_array_equal(mask, np.isin(users, list(part)))
    # Fractions of users, out of all the log's users (one has no events).
    counts = [len(p) for p in parts]
    assert sum(counts) == NUM_USERS
    assert abs(counts[0] - 0.6 * log.num_users) <= 1.0
    assert abs(counts[1] - 0.2 * log.num_users) <= 1.0


def test_a_user_split_is_fixed_by_its_seed(log):
    first, again = split_by_users(log, seed=11), split_by_users(log, seed=11)
    for a, b in zip((first.train, first.validation, first.test),
                    (again.train, again.validation, again.test)):
        np.testing.assert_array_equal(a, b)
    others = [split_by_users(log, seed=s) for s in (12, 13)]
    for other in others:
        assert not np.array_equal(first.test, other.test)
        assert not np.array_equal(first.train, other.train)


@pytest.mark.parametrize("fractions", [
    (0.5, 0.5), (0.5, 0.3, 0.3), (0.9, 0.1, 0.1), (-0.1, 0.6, 0.5), (0.0, 0.5, 0.5),
    (0.8, 0.1, 0.1, 0.0), (float("nan"), 0.5, 0.5), (1.2, -0.1, -0.1)])
@pytest.mark.parametrize("splitter", [
    split_by_time, lambda log, f: split_by_time(log, f, per_user=False), split_by_users])
def test_bad_fractions_are_a_value_error(log, splitter, fractions):
    with pytest.raises(ValueError, match="fractions"):
        splitter(log, fractions)


# Trajectories.


def test_trajectories_are_time_major_and_mark_exactly_the_events(log):
    traj = to_trajectories(log)
    assert isinstance(traj, Trajectories)
    lengths = log.lengths()
    assert traj.length == lengths.max() == 40
    assert traj.num_users == log.num_users == NUM_USERS + 1
    for array in (traj.item, traj.time, traj.valid, traj.scored):
        assert array.shape == (40, NUM_USERS + 1)
    assert traj.valid.dtype == bool and traj.scored.dtype == bool
    steps = np.arange(traj.length)[:, None]
    np.testing.assert_array_equal(traj.valid, steps < lengths[None, :])
    assert traj.valid.sum() == log.num_events
    assert not traj.valid[:, list(log.user_ids).index(f"u{NUM_USERS:02d}")].any()
    # Padding holds item 0 and zeros.
    assert (traj.item[~traj.valid] == 0).all() and (traj.time[~traj.valid] == 0).all()
    for values in traj.columns.values():
        assert (values[~traj.valid] == 0).all()
    # By default every event is scored.
    np.testing.assert_array_equal(traj.scored, traj.valid)
    assert traj.num_scored == log.num_events


def test_each_users_steps_are_their_events_in_time_order(log, tables):
    frame = tables[0]
    traj = to_trajectories(log)
    for user, group in frame.groupby("user"):
        u = list(log.user_ids).index(user)
        group = group.sort_values("time")
        n = len(group)
        np.testing.assert_array_equal(traj.time[:n, u], group["time"].to_numpy())
        np.testing.assert_array_equal(log.item_ids[traj.item[:n, u]], group["item"].to_numpy())
        assert (np.diff(traj.time[:n, u]) > 0).all()
        for column in ("rating", "click", "position", "propensity", "dwell"):
            np.testing.assert_allclose(traj.columns[column][:n, u],
                                       group[column].to_numpy(dtype=float), rtol=1e-6,
                                       err_msg=column)


def test_trajectories_carry_the_optional_columns_and_event_features(log):
    traj = to_trajectories(log)
    for column in ("rating", "click", "position", "propensity", "dwell"):
        assert column in traj.columns
        assert traj.columns[column].shape == (traj.length, log.num_users)
    assert "user" not in traj.columns and "item" not in traj.columns


def test_scored_marks_exactly_the_split_test_events(log):
    split = split_by_time(log, (0.5, 0.2, 0.3))
    traj = to_trajectories(log, scored=split.test)
    assert traj.num_scored == split.test.sum()
    assert not (traj.scored & ~traj.valid).any()
    users = log.events["user_index"].to_numpy()
    time = log.events["time"].to_numpy()
    expected = sorted(zip(users[split.test].tolist(), time[split.test].tolist()))
    step, user = np.nonzero(traj.scored)
    assert sorted(zip(user.tolist(), traj.time[step, user].tolist())) == expected
    # A per-user time split scores each user's last steps: the rest only condition the state.
    for u in range(log.num_users):
        flags = traj.scored[: log.lengths()[u], u]
        assert (np.diff(flags.astype(int)) >= 0).all()


def test_scored_lines_up_with_a_user_split_too(log):
    split = split_by_users(log, seed=2)
    traj = to_trajectories(log, scored=split.test)
    test_users = np.unique(log.events["user_index"].to_numpy()[split.test])
    scored_users = np.nonzero(traj.scored.any(axis=0))[0]
    np.testing.assert_array_equal(scored_users, test_users)
    np.testing.assert_array_equal(traj.scored[:, test_users], traj.valid[:, test_users])


def test_max_length_keeps_each_users_first_events(log, tables):
    frame = tables[0]
    traj = to_trajectories(log, max_length=5)
    assert traj.item.shape == (5, log.num_users) and traj.length == 5
    np.testing.assert_array_equal(traj.valid.sum(axis=0), np.minimum(log.lengths(), 5))
    for user, group in frame.groupby("user"):
        u = list(log.user_ids).index(user)
        first = np.sort(group["time"].to_numpy())[:5]
        np.testing.assert_array_equal(traj.time[: len(first), u], first)
    assert traj.columns["rating"].shape == (5, log.num_users)
    # A limit above the longest history changes nothing.
    assert to_trajectories(log, max_length=1000).length == 40


def test_max_length_drops_the_scored_flags_of_cut_events(log):
    split = split_by_time(log)
    traj = to_trajectories(log, scored=split.test, max_length=3)
    # Only users with at most 3 events can have a scored step left.
    lengths = log.lengths()
    assert not traj.scored[:, lengths > 3].any()
    assert traj.num_scored <= split.test.sum()


def test_bad_trajectory_arguments_are_value_errors(log):
    with pytest.raises(ValueError, match="max_length"):
        to_trajectories(log, max_length=0)
    with pytest.raises(ValueError, match="scored"):
        to_trajectories(log, scored=np.ones(log.num_events - 1, bool))


def test_item_and_user_features_are_per_index(log, tables):
    _, items, people = tables
    traj = to_trajectories(log)
    assert traj.item_features.shape == (NUM_ITEMS + 1, 2)
    assert traj.user_features.shape == (NUM_USERS + 1, 1)
    by_id = items.set_index("item")
    np.testing.assert_allclose(traj.item_features[:, 0], by_id.loc[log.item_ids, "price"])
    np.testing.assert_allclose(traj.item_features[:, 1], by_id.loc[log.item_ids, "sale"])
    ages = people.set_index("user").loc[log.user_ids, "age"]
    np.testing.assert_allclose(traj.user_features[:, 0], ages)


def test_trajectories_of_a_selected_log_keep_every_user_column(log):
    split = split_by_time(log)
    train = to_trajectories(log.select(split.train))
    assert train.num_users == log.num_users
    assert train.valid.sum() == split.train.sum()


def test_a_log_without_features_gives_empty_feature_arrays():
    frame = pd.DataFrame({"user": [1, 1, 2], "item": [3, 4, 3], "time": [2.0, 1.0, 5.0]})
    traj = to_trajectories(from_dataframe(frame))
    assert traj.item_features.shape == (2, 0) and traj.user_features.shape == (2, 0)
    assert traj.columns == {}
    np.testing.assert_array_equal(traj.item, [[1, 0], [0, 0]])
    np.testing.assert_array_equal(traj.valid, [[True, True], [True, False]])
