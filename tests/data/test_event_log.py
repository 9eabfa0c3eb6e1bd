"""Tests for `recsim_ng.data.event_log`: the one log format, its checks and its readers.

Every rejected log must raise `LogFormatError` naming the offending column and the label (not
the position) of the first offending row, so the frames here carry string or shuffled labels.
"""

import numpy as np
import pandas as pd
import pytest

from recsim_ng.data.event_log import EventLog, LogFormatError, from_dataframe, read_log
from recsim_ng.data.trajectories import to_trajectories

JAN_1_2020 = 1577836800.0  # 2020-01-01T00:00:00Z in seconds since the epoch.


def full_frame() -> pd.DataFrame:
    """A valid log using every optional column, rows out of order, labels not positions."""
    return pd.DataFrame(
        {
            "user": ["bob", "ann", "bob", "ann", "cat", "bob"],
            "item": [30, 10, 20, 30, 10, 10],
            "time": [50.0, 20.0, 40.0, 10.0, 30.0, 60.0],
            "slate": [3, 2, 4, 1, 5, 6],
            "position": [1, 0, 2, 1, 0, 0],
            "click": [1, 0, 0, 1, 1, 0],
            "rating": [4.0, 3.5, 1.0, 5.0, 2.0, 3.0],
            "propensity": [0.5, 0.25, 1.0, 0.125, 0.75, 0.3],
            "feat": [1.5, -2.0, 0.0, 3.0, 7.0, 0.5],
        },
        index=["r_e", "r_c", "r_a", "r_f", "r_d", "r_b"])


def minimal_frame() -> pd.DataFrame:
    return full_frame()[["user", "item", "time"]].copy()


def raises_naming(frame, column, row, **kwargs) -> str:
    """Asserts `from_dataframe` rejects `frame`, naming `column` and row label `row`."""
    before = frame.copy(deep=True)
    with pytest.raises(LogFormatError) as info:
        from_dataframe(frame, **kwargs)
    message = str(info.value)
    assert repr(column) in message, f"column {column!r} not named in: {message}"
    assert f"row {row!r}" in message, f"row label {row!r} not named in: {message}"
    pd.testing.assert_frame_equal(frame, before)  # An error leaves the caller's table as it was.
    return message


# Required columns and renaming.


@pytest.mark.parametrize("column", ["user", "item", "time"])
def test_a_missing_required_column_is_named(column):
    frame = minimal_frame().drop(columns=[column])
    with pytest.raises(LogFormatError, match=f"'{column}'.*missing"):
        from_dataframe(frame)


@pytest.mark.parametrize("misnamed", ["usr", "user_id", "users"])
def test_a_misnamed_user_column_gets_a_did_you_mean(misnamed):
    frame = minimal_frame().rename(columns={"user": misnamed})
    with pytest.raises(LogFormatError) as info:
        from_dataframe(frame)
    message = str(info.value)
    assert "'user'" in message and "missing" in message
    assert f"did you mean {misnamed!r}" in message


def test_a_wrong_name_in_columns_is_reported_with_a_suggestion():
    frame = minimal_frame().rename(columns={"user": "user_id"})
    # Our name misspelled as the key.
    with pytest.raises(LogFormatError, match="'usr'.*did you mean 'user'"):
        from_dataframe(frame, columns={"usr": "user_id"})
    # Their name misspelled as the value.
    with pytest.raises(LogFormatError, match="'userid'.*missing.*did you mean 'user_id'"):
        from_dataframe(frame, columns={"user": "userid"})


def test_a_missing_event_feature_column_is_named():
    with pytest.raises(LogFormatError, match="'fet'.*missing.*did you mean 'feat'"):
        from_dataframe(full_frame(), event_features=["fet"])


def test_columns_maps_our_names_to_yours():
    theirs = full_frame().rename(columns={"user": "uid", "item": "movie", "time": "ts",
                                          "rating": "stars", "click": "clicked"})
    renamed = from_dataframe(theirs, columns={"user": "uid", "item": "movie", "time": "ts",
                                              "rating": "stars", "click": "clicked"},
                             event_features=["feat"])
    direct = from_dataframe(full_frame(), event_features=["feat"])
    pd.testing.assert_frame_equal(renamed.events, direct.events)
    np.testing.assert_array_equal(renamed.user_ids, direct.user_ids)
    np.testing.assert_array_equal(renamed.item_ids, direct.item_ids)


def test_extra_unused_columns_are_ignored():
    frame = full_frame().assign(comment=["x", None, "y", "z", None, "w"], score=np.nan)
    log = from_dataframe(frame, event_features=["feat"])
    assert "comment" not in log.events.columns and "score" not in log.events.columns
    pd.testing.assert_frame_equal(log.events,
                                  from_dataframe(full_frame(), event_features=["feat"]).events)


# Value checks: each names the column and the first offending row label.


@pytest.mark.parametrize("column", ["user", "item", "time", "slate", "position", "click",
                                    "rating", "propensity", "feat"])
def test_a_missing_value_names_the_column_and_first_row(column):
    frame = full_frame()
    frame[column] = frame[column].astype(object)
    # Two bad rows; the first in the table's order is r_c, the first label in sort order r_a.
    frame.loc[["r_c", "r_a"], column] = np.nan
    raises_naming(frame, column, "r_c", event_features=["feat"])


def test_row_labels_not_positions_are_named_for_integer_labels():
    frame = full_frame()
    frame.index = [40, 10, 30, 20, 0, 5]
    frame.loc[30, "click"] = 7  # The third row: position 2, label 30.
    raises_naming(frame, "click", 30)


def test_a_duplicate_event_names_the_later_row():
    frame = minimal_frame()
    frame = pd.concat([frame, frame.loc[["r_a"]].rename(index={"r_a": "again"})])
    message = raises_naming(frame, "time", "again")
    assert "duplicate" in message


def test_the_same_user_item_and_time_from_different_time_spellings_is_a_duplicate():
    frame = pd.DataFrame({"user": [1, 1], "item": [2, 2],
                          "time": ["2020-01-01T01:00:00+01:00", "2020-01-01 00:00:00"]},
                         index=["first", "second"])
    raises_naming(frame, "time", "second")


@pytest.mark.parametrize("bad", ["hello", "", "12:xx", "2020-13-45"])
def test_a_time_that_is_neither_a_number_nor_a_date_is_named(bad):
    frame = minimal_frame()
    frame["time"] = ["2020-01-01", "2020-01-02", bad, "2020-01-03", bad, "2020-01-04"]
    raises_naming(frame, "time", "r_a")


@pytest.mark.parametrize("bad", [np.inf, -np.inf])
def test_an_infinite_time_is_named(bad):
    frame = minimal_frame()
    frame.loc[["r_c", "r_a"], "time"] = bad
    raises_naming(frame, "time", "r_c")


@pytest.mark.parametrize("column", ["rating", "feat"])
def test_an_infinite_rating_or_feature_is_named(column):
    frame = full_frame()
    frame.loc["r_d", column] = np.inf
    raises_naming(frame, column, "r_d", event_features=["feat"])


@pytest.mark.parametrize("bad", [2, -1, 0.5])
def test_a_click_that_is_not_0_or_1_is_named(bad):
    frame = full_frame().astype({"click": float})
    frame.loc[["r_d", "r_b"], "click"] = bad
    raises_naming(frame, "click", "r_d")


@pytest.mark.parametrize("bad", [0.0, -0.25, 1.5])
def test_a_propensity_outside_0_1_is_named(bad):
    frame = full_frame()
    frame.loc[["r_f", "r_b"], "propensity"] = bad
    raises_naming(frame, "propensity", "r_f")


def test_a_propensity_of_exactly_1_is_accepted():
    frame = full_frame()
    frame["propensity"] = 1.0
    assert (from_dataframe(frame).events["propensity"] == 1.0).all()


@pytest.mark.parametrize("bad", [-1, 0.5, 2.25])
def test_a_negative_or_fractional_position_is_named(bad):
    frame = full_frame().astype({"position": float})
    frame.loc["r_d", "position"] = bad
    raises_naming(frame, "position", "r_d")


def test_a_non_numeric_event_feature_is_named():
    frame = full_frame().astype({"feat": object})
    frame.loc[["r_f", "r_e"], "feat"] = "blue"
    raises_naming(frame, "feat", "r_e", event_features=["feat"])


@pytest.mark.parametrize("column", ["click", "rating", "propensity", "position"])
def test_a_non_numeric_optional_column_is_named(column):
    frame = full_frame().astype({column: object})
    frame.loc["r_b", column] = "yes"
    raises_naming(frame, column, "r_b")


def test_an_item_missing_from_the_items_table_is_named():
    items = pd.DataFrame({"item": [10, 20], "price": [1.0, 2.0]})  # 30 is not listed.
    message = raises_naming(minimal_frame(), "item", "r_e", items=items)
    assert "30" in message


def test_an_item_unknown_to_the_catalogue_log_is_named():
    train = from_dataframe(minimal_frame())
    split = pd.DataFrame({"user": ["ann", "bob", "ann"], "item": [20, 99, 77],
                          "time": [70.0, 80.0, 90.0]}, index=["t_z", "t_y", "t_x"])
    message = raises_naming(split, "item", "t_y", catalogue=train)
    assert "99" in message


def test_a_split_read_with_a_catalogue_shares_its_item_ids_and_features():
    items = pd.DataFrame({"item": [30, 10, 20, 40], "price": [3.0, 1.0, 2.0, 4.0]})
    train = from_dataframe(minimal_frame(), items=items)
    split = from_dataframe(pd.DataFrame({"user": ["ann"], "item": [40], "time": [99.0]}),
                           catalogue=train)
    np.testing.assert_array_equal(split.item_ids, train.item_ids)
    pd.testing.assert_frame_equal(split.item_features, train.item_features)
    assert split.events["item_index"].tolist() == [list(train.item_ids).index(40)]


def test_a_slot_filled_twice_in_one_slate_is_named():
    frame = full_frame()
    frame.loc["r_f", ["slate", "position"]] = [2, 0]  # ann's r_c already holds slate 2, slot 0.
    raises_naming(frame, "position", "r_f")


def test_slate_ids_need_only_be_unique_per_user():
    frame = full_frame()
    frame.loc["r_d", ["slate", "position"]] = [2, 0]  # cat's slate 2; ann's r_c is another.
    assert from_dataframe(frame).num_events == len(frame)


def test_the_items_table_is_checked_too():
    items = pd.DataFrame({"item": [10, 20, 30], "price": [1.0, np.nan, 3.0]},
                         index=["i_x", "i_y", "i_z"])
    raises_naming(minimal_frame(), "items.price", "i_y", items=items)
    twice = pd.DataFrame({"item": [10, 20, 10], "price": [1.0, 2.0, 3.0]},
                         index=["i_x", "i_y", "i_z"])
    with pytest.raises(LogFormatError, match=r"items table.*'item' lists 10 twice.*row 'i_z'"):
        from_dataframe(minimal_frame(), items=twice)


def test_a_log_that_is_not_a_dataframe_is_a_type_error():
    with pytest.raises(TypeError):
        from_dataframe({"user": [1], "item": [1], "time": [1]})


# Accepted inputs.


def test_string_user_ids_and_integer_item_ids_map_to_dense_sorted_indices():
    log = from_dataframe(full_frame())
    assert list(log.user_ids) == ["ann", "bob", "cat"]
    assert list(log.item_ids) == [10, 20, 30]
    assert (log.num_users, log.num_items, log.num_events) == (3, 3, 6)
    events = log.events
    assert list(log.user_ids[events["user_index"]]) == list(events["user"])
    assert list(log.item_ids[events["item_index"]]) == list(events["item"])
    np.testing.assert_array_equal(log.lengths(), [2, 3, 1])


def test_integer_ids_sort_numerically_and_mixed_ids_put_numbers_first():
    frame = pd.DataFrame({"user": [1, 1, 2, 2], "item": [100, 9, "b", 20],
                          "time": [1.0, 2.0, 3.0, 4.0]})
    log = from_dataframe(frame)
    assert list(log.item_ids) == [9, 20, 100, "b"]
    assert list(log.item_ids[log.events["item_index"]]) == list(log.events["item"])


def test_events_are_sorted_by_user_then_time_and_keep_their_labels():
    log = from_dataframe(full_frame())
    assert list(log.events.index) == ["r_f", "r_c", "r_a", "r_e", "r_b", "r_d"]
    assert list(log.events["time"]) == [10.0, 20.0, 40.0, 50.0, 60.0, 30.0]


def test_numeric_times_are_seconds_as_given():
    log = from_dataframe(full_frame())
    assert log.events["time"].dtype == np.float64
    assert sorted(log.events["time"]) == [10.0, 20.0, 30.0, 40.0, 50.0, 60.0]


def test_datetime_strings_aware_and_naive_become_seconds_since_the_epoch():
    frame = pd.DataFrame({
        "user": ["a", "a", "b", "b"],
        "item": [1, 2, 1, 2],
        # Naive strings are read as UTC; the aware ones carry their offset.
        "time": ["2020-01-01 00:00:00", "2020-01-01T02:00:00+01:00", "2020-01-02",
                 "2020-01-01T00:00:30Z"],
    }, index=["w", "x", "y", "z"])
    times = from_dataframe(frame).events["time"]
    assert times.to_dict() == {"w": JAN_1_2020, "x": JAN_1_2020 + 3600.0,
                               "y": JAN_1_2020 + 86400.0, "z": JAN_1_2020 + 30.0}


def test_datetime_columns_aware_and_naive_become_seconds_since_the_epoch():
    naive = pd.to_datetime(["2020-01-01 00:00", "2020-01-01 00:01"])
    aware = pd.to_datetime(["2020-01-01 01:00", "2020-01-01 01:01"]).tz_localize("Europe/Paris")
    for times in (naive, aware):
        frame = pd.DataFrame({"user": [1, 2], "item": [1, 1], "time": times})
        assert list(from_dataframe(frame).events["time"]) == [JAN_1_2020, JAN_1_2020 + 60.0]


def test_shuffled_rows_give_the_same_events_and_trajectories():
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"user": rng.integers(0, 7, 60), "item": rng.integers(0, 15, 60),
                          "time": rng.permutation(60).astype(float), "rating": rng.random(60)})
    ordered = frame.sort_values(["user", "time"]).reset_index(drop=True)
    reference = from_dataframe(ordered)
    for seed in range(3):
        shuffled = ordered.sample(frac=1.0, random_state=seed)
        log = from_dataframe(shuffled)
        pd.testing.assert_frame_equal(log.events.reset_index(drop=True),
                                      reference.events.reset_index(drop=True))
        got, want = to_trajectories(log), to_trajectories(reference)
        np.testing.assert_array_equal(got.item, want.item)
        np.testing.assert_array_equal(got.time, want.time)
        np.testing.assert_array_equal(got.columns["rating"], want.columns["rating"])


def test_events_at_the_same_time_keep_the_order_of_the_table():
    # A log writes a user's events in the order they happened; when several share a timestamp
    # (common in MovieLens) that order is the only record of it, so sorting keeps it.
    frame = pd.DataFrame({"user": [1, 1, 1, 2], "item": ["y", "z", "x", "x"],
                          "time": [5.0, 5.0, 5.0, 1.0]})
    assert from_dataframe(frame).events["item"].tolist() == ["y", "z", "x", "x"]
    assert from_dataframe(frame.iloc[::-1]).events["item"].tolist() == ["x", "z", "y", "x"]


def test_items_and_users_tables_give_features_in_id_order_and_keep_unmet_items():
    items = pd.DataFrame({"item": [30, 40, 10, 20], "price": [3.0, 4.0, 1.0, 2.0],
                          "new": [0, 1, 0, 1]})
    users = pd.DataFrame({"user": ["cat", "ann", "bob", "dan"], "age": [30.0, 10.0, 20.0, 40.0]})
    log = from_dataframe(full_frame(), items=items, users=users)
    assert list(log.item_ids) == [10, 20, 30, 40]  # 40 was never met but stays.
    assert log.item_features.shape == (4, 2)
    assert list(log.item_features["price"]) == [1.0, 2.0, 3.0, 4.0]
    assert list(log.user_ids) == ["ann", "bob", "cat", "dan"]
    assert list(log.user_features["age"]) == [10.0, 20.0, 30.0, 40.0]
    np.testing.assert_array_equal(log.lengths(), [2, 3, 1, 0])


def test_select_keeps_the_catalogue_and_user_table():
    log = from_dataframe(full_frame())
    part = log.select(log.events["click"].to_numpy() == 1)
    assert isinstance(part, EventLog)
    assert part.num_events == 3 and (part.events["click"] == 1).all()
    np.testing.assert_array_equal(part.item_ids, log.item_ids)
    np.testing.assert_array_equal(part.user_ids, log.user_ids)


# Files.


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".parquet", ".pq"])
def test_files_round_trip_to_the_same_events(tmp_path, suffix):
    frame = full_frame().reset_index(drop=True)
    frame["time"] = pd.to_datetime(frame["time"], unit="s", utc=True).astype(str)
    path = tmp_path / f"log{suffix}"
    if suffix in (".parquet", ".pq"):
        frame.to_parquet(path)
    else:
        frame.to_csv(path, sep="\t" if suffix == ".tsv" else ",", index=False)
    from_file = read_log(path, event_features=["feat"])
    direct = from_dataframe(frame, event_features=["feat"])
    pd.testing.assert_frame_equal(from_file.events.reset_index(drop=True),
                                  direct.events.reset_index(drop=True), check_dtype=False)
    np.testing.assert_array_equal(from_file.user_ids, direct.user_ids)
    np.testing.assert_array_equal(from_file.item_ids, direct.item_ids)
    assert sorted(from_file.events["time"]) == [float(t) for t in range(10, 70, 10)]


def test_read_log_passes_its_options_through(tmp_path):
    frame = full_frame().rename(columns={"user": "uid"})
    frame.to_csv(tmp_path / "log.csv", index=False)
    log = read_log(tmp_path / "log.csv", columns={"user": "uid"})
    assert list(log.user_ids) == ["ann", "bob", "cat"]


def test_a_missing_file_names_its_path(tmp_path):
    path = tmp_path / "nowhere" / "log.csv"
    with pytest.raises(FileNotFoundError, match="nowhere"):
        read_log(path)
    with pytest.raises(FileNotFoundError) as info:
        read_log(str(path))
    assert str(path) in str(info.value)


def test_an_unknown_file_type_is_a_value_error(tmp_path):
    path = tmp_path / "log.json"
    path.write_text("{}")
    with pytest.raises(ValueError, match="log.json"):
        read_log(path)


# Times the parser gets wrong (see the report).


@pytest.mark.parametrize("word", ["now", "today"])
def test_words_that_pandas_reads_as_the_clock_are_not_dates(word):
    frame = minimal_frame()
    frame["time"] = ["2020-01-01", "2020-01-02", word, "2020-01-03", "2020-01-04", "2020-01-05"]
    with pytest.raises(LogFormatError) as info:
        from_dataframe(frame)
    assert "'time'" in str(info.value) and "row 'r_a'" in str(info.value)


def test_a_date_outside_pandas_range_is_a_log_format_error_naming_the_row():
    frame = pd.DataFrame({"user": [1, 2], "item": [1, 2], "time": ["2020-01-01", "2500-01-01"]},
                         index=["ok", "far"])
    try:
        log = from_dataframe(frame)
    except LogFormatError as error:
        assert "'time'" in str(error) and "row 'far'" in str(error)
    except Exception as error:  # noqa: BLE001 - the point is which error escapes.
        pytest.fail(f"{type(error).__name__} escaped instead of a LogFormatError: {error}")
    else:
        assert log.events["time"].loc["far"] == pytest.approx(16725225600.0)


def test_numbers_in_an_object_column_are_seconds_too():
    frame = pd.DataFrame({"user": [1, 2], "item": [1, 2],
                          "time": pd.Series([100, 200], dtype=object)})
    assert list(from_dataframe(frame).events["time"]) == [100.0, 200.0]
