"""The one log format: a table of events, each a user meeting an item at a time.

Columns (names are fixed; rename yours with `columns={ours: yours}`):

| column | required | meaning |
|---|---|---|
| `user` | yes | who; any hashable id (ints, strings) |
| `item` | yes | what was shown or consumed; any hashable id |
| `time` | yes | when; numbers (seconds) or datetimes; rows may come in any order |
| `slate` | no | id of the slate (impression) the event belongs to |
| `position` | no | slot within the slate, 0 or 1 based as logged (non-negative integers) |
| `click` | no | 0 or 1: the response to an impression |
| `rating` | no | a finite number |
| `propensity` | no | the logging policy's probability of this item in this slot, in (0, 1] |

Any further numeric columns named in `event_features` travel with the events; per-item and
per-user numeric features come as tables keyed by `item` and `user`. Rows are sorted by user,
time, slate and position; rows tied on all of these keep their order in the table (a log writes
events as they happen, so for events in the same second that order is the only record of
which came first; shuffle a log with ties and it is lost). Ids are remapped to 0..n-1 in sorted
order of the ids. Slate ids need only be unique per user.

Every check names the column and the first offending row (its label in the table you gave).
"""

from __future__ import annotations

import dataclasses
import difflib
import os
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

REQUIRED_COLUMNS = ("user", "item", "time")
OPTIONAL_COLUMNS = ("slate", "position", "click", "rating", "propensity")


class LogFormatError(ValueError):
    """A log that breaks the format; the message names the column and the first offending row."""


@dataclasses.dataclass(frozen=True)
class EventLog:
    """A validated log: `events` sorted by user and time, with dense `user_index`/`item_index`.

    `events` has the columns present among `user`, `item`, `time` (float seconds), the optional
    ones, the event features, and `user_index` / `item_index` (int). `item_ids[k]` is the
    original id of item index k (likewise `user_ids`); `item_features` is `[num_items, F]`
    (empty when none were given), `user_features` `[num_users, F]`.
    """

    events: pd.DataFrame
    user_ids: np.ndarray
    item_ids: np.ndarray
    item_features: pd.DataFrame
    user_features: pd.DataFrame
    event_features: tuple[str, ...] = ()

    @property
    def num_users(self) -> int:
        return len(self.user_ids)

    @property
    def num_items(self) -> int:
        return len(self.item_ids)

    @property
    def num_events(self) -> int:
        return len(self.events)

    def has(self, column: str) -> bool:
        return column in self.events.columns

    def lengths(self) -> np.ndarray:
        """Events per user, `[num_users]`."""
        return np.bincount(self.events["user_index"].to_numpy(), minlength=self.num_users)

    def select(self, rows: np.ndarray) -> "EventLog":
        """The log restricted to the events where the boolean mask `rows` is true.

        Users and items keep their indices (a split shares the catalogue and the user table).
        """
        return dataclasses.replace(self, events=self.events[np.asarray(rows, bool)])


def from_dataframe(frame: pd.DataFrame, *, columns: Mapping[str, str] | None = None,
                   event_features: Sequence[str] = (), items: pd.DataFrame | None = None,
                   users: pd.DataFrame | None = None,
                   catalogue: EventLog | None = None) -> EventLog:
    """Validates a table of events and builds an `EventLog`.

    `columns` maps our column names to yours (e.g. `{"user": "user_id"}`); other columns are
    ignored unless named in `event_features`. `items` (`item` + numeric columns) is the catalogue:
    given, every event's item must be in it and items nobody met keep their features; otherwise
    the catalogue is the items in the log. `users` likewise gives per-user features.
    `catalogue`: read this table as a split of an existing log, sharing its item ids and
    features; an item it does not know is an error naming the row.
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"the log must be a pandas DataFrame, got {type(frame).__name__}")
    renamed = _renamed(frame, columns or {}, event_features)
    _check_values(renamed)
    events = renamed.copy()
    events["time"] = _seconds(renamed["time"])
    for name in event_features:
        events[name] = pd.to_numeric(events[name]).astype(float)
    _check_duplicates(events)
    if catalogue is not None:
        item_features, item_ids, items_from = catalogue.item_features, catalogue.item_ids, "catalogue"
    else:
        item_features, item_ids = _feature_table(items, "item", events["item"])
        items_from = "items"
    user_features, user_ids = _feature_table(users, "user", events["user"])
    events["item_index"] = _index_in(item_ids, events["item"], "item", items_from)
    events["user_index"] = _index_in(user_ids, events["user"], "user", "users")
    order = [c for c in ("user_index", "time", "slate", "position") if c in events.columns]
    events = events.sort_values(order, kind="stable")
    return EventLog(events, user_ids, item_ids, item_features, user_features,
                    tuple(event_features))


TABLE_SUFFIXES = (".csv", ".tsv", ".parquet", ".pq")


def read_log(path: str | os.PathLike, **kwargs) -> EventLog:
    """`from_dataframe` on a CSV (`.csv`, `.tsv`) or Parquet (`.parquet`, `.pq`) file."""
    return from_dataframe(read_table(path), **kwargs)


def read_table(path: str | os.PathLike) -> pd.DataFrame:
    """A CSV (`.csv`, `.tsv`) or Parquet (`.parquet`, `.pq`) file as a table (a log, or the
    `items` / `users` tables of `from_dataframe`)."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"log file {path!r} does not exist")
    suffix = os.path.splitext(path)[1].lower()
    if suffix in (".parquet", ".pq"):
        return pd.read_parquet(path)
    if suffix in (".csv", ".tsv"):
        return pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",")
    raise ValueError(f"log file {path!r}: expected {', '.join(TABLE_SUFFIXES)}")


def _renamed(frame: pd.DataFrame, columns: Mapping[str, str],
             event_features: Sequence[str]) -> pd.DataFrame:
    known = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
    unknown = [ours for ours in columns if ours not in known]
    if unknown:
        raise LogFormatError(f"columns={{{unknown[0]!r}: ...}}: {unknown[0]!r} is not a column of"
                             f" the log format{_suggestion(unknown[0], known)}; the format's"
                             f" columns are {list(known)}")
    source = {ours: columns.get(ours, ours) for ours in known}
    for ours in REQUIRED_COLUMNS:
        if source[ours] not in frame.columns:
            raise LogFormatError(
                f"column {source[ours]!r} (the log's {ours!r}) is missing"
                f"{_suggestion(source[ours], [str(c) for c in frame.columns])}; the table has"
                f" {list(frame.columns)[:12]}; map yours with columns={{{ours!r}: 'your name'}}")
    for name in event_features:
        if name in known:
            raise LogFormatError(f"event feature {name!r} is a column of the log format; rename"
                                 " it")
        if name not in frame.columns:
            raise LogFormatError(f"event feature column {name!r} is missing"
                                 f"{_suggestion(name, [str(c) for c in frame.columns])}")
    picked = {ours: frame[theirs] for ours, theirs in source.items() if theirs in frame.columns}
    picked.update({name: frame[name] for name in event_features})
    return pd.DataFrame(picked, index=frame.index)


def _suggestion(name: str, candidates: Sequence[str]) -> str:
    close = difflib.get_close_matches(str(name), list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _first(mask: pd.Series | np.ndarray, frame: pd.DataFrame) -> object:
    """The row label of the first true entry of `mask`."""
    return frame.index[int(np.argmax(np.asarray(mask)))]


def _first_value(mask: pd.Series | np.ndarray, column: pd.Series) -> object:
    """The value in `column` at the first true entry of `mask` (labels may repeat)."""
    return column.iloc[int(np.argmax(np.asarray(mask)))]


def _check_values(frame: pd.DataFrame) -> None:
    for column in frame.columns:
        missing = frame[column].isna().to_numpy()
        if missing.any():
            raise LogFormatError(f"column {column!r} has a missing value (NaN) at row"
                                 f" {_first(missing, frame)!r}")
    for column in [c for c in frame.columns if c not in ("user", "item", "time", "slate")]:
        numbers = pd.to_numeric(frame[column], errors="coerce")
        bad = numbers.isna().to_numpy()
        if bad.any():
            raise LogFormatError(f"column {column!r} is not numeric:"
                                 f" {_first_value(bad, frame[column])!r} at row"
                                 f" {_first(bad, frame)!r} (one-hot encode categorical features)")
        infinite = ~np.isfinite(numbers.to_numpy(dtype=float))
        if infinite.any():
            raise LogFormatError(f"column {column!r} has a non-finite value at row"
                                 f" {_first(infinite, frame)!r}")
    _check_range(frame, "click", lambda x: (x == 0) | (x == 1), "is not 0 or 1")
    _check_range(frame, "position", lambda x: (x >= 0) & (x == np.round(x)),
                 "is not a non-negative integer")
    _check_range(frame, "propensity", lambda x: (x > 0) & (x <= 1), "is outside (0, 1]")


def _check_range(frame: pd.DataFrame, column: str, valid, what: str) -> None:
    if column not in frame.columns:
        return
    values = frame[column].to_numpy(dtype=float)
    bad = ~valid(values)
    if bad.any():
        raise LogFormatError(f"column {column!r}: {_first_value(bad, frame[column])!r} at row"
                             f" {_first(bad, frame)!r} {what}")


def _seconds(time: pd.Series) -> pd.Series:
    """Times as float seconds: numbers as they are, datetimes (or date strings) since the epoch."""
    if pd.api.types.is_bool_dtype(time):
        raise LogFormatError("column 'time' holds booleans; expected numbers or datetimes")
    numbers = pd.to_numeric(time, errors="coerce") if time.dtype == object else None
    if pd.api.types.is_numeric_dtype(time):
        values = time.astype(float)
    elif numbers is not None and not numbers.isna().any():
        values = numbers.astype(float)  # numbers in an object column are seconds too
    else:
        values = _date_seconds(time)
    infinite = ~np.isfinite(values.to_numpy())
    if infinite.any():
        raise LogFormatError(f"column 'time' has a non-finite value at row"
                             f" {_first(infinite, time.to_frame())!r}")
    return values


_CLOCK_WORDS = ("now", "today", "yesterday", "tomorrow")


def _date_seconds(time: pd.Series) -> pd.Series:
    """Dates as seconds since the epoch; words pandas reads as the clock are not dates."""
    clock = time.astype(str).str.strip().str.lower().isin(_CLOCK_WORDS).to_numpy()
    try:
        parsed = pd.to_datetime(time.where(~clock), errors="coerce", utc=True, format="mixed")
        bad = parsed.isna().to_numpy()
    except (pd.errors.OutOfBoundsDatetime, OverflowError, ValueError):
        parsed, bad = None, np.array([not _is_date(x) for x in time.where(~clock)])
    if bad.any():
        raise LogFormatError(f"column 'time' is neither numeric nor a date in pandas' range:"
                             f" {_first_value(bad, time)!r} at row {_first(bad, time.to_frame())!r}")
    microseconds = parsed.dt.tz_convert(None).to_numpy().astype("datetime64[us]").astype(np.int64)
    return pd.Series(microseconds / 1e6, index=time.index)


def _is_date(value) -> bool:
    try:
        return not pd.isna(pd.to_datetime(value, utc=True))
    except (pd.errors.OutOfBoundsDatetime, OverflowError, ValueError, TypeError):
        return False


def _check_duplicates(events: pd.DataFrame) -> None:
    key = [c for c in ("user", "item", "time", "slate", "position") if c in events.columns]
    duplicated = events.duplicated(subset=key, keep="first").to_numpy()
    if duplicated.any():
        row = _first(duplicated, events)
        raise LogFormatError(f"duplicate event at row {row!r}: the same {tuple(key)} as an"
                             " earlier row")
    if "slate" in events.columns and "position" in events.columns:
        taken = events.duplicated(subset=["user", "slate", "position"], keep="first").to_numpy()
        if taken.any():
            raise LogFormatError(f"column 'position': row {_first(taken, events)!r} fills a slot"
                                 f" of slate {_first_value(taken, events['slate'])!r} that an"
                                 " earlier row filled")


def _feature_table(table: pd.DataFrame | None, key: str,
                   logged: pd.Series) -> tuple[pd.DataFrame, np.ndarray]:
    """Numeric features indexed 0..n-1 by sorted id, and the sorted ids."""
    if table is None:
        ids = pd.Index(sorted(pd.unique(logged), key=_sort_key)).to_numpy()
        return pd.DataFrame(index=pd.RangeIndex(len(ids))), ids
    if key not in table.columns:
        raise LogFormatError(f"the {key}s table lacks its {key!r} column"
                             f"{_suggestion(key, [str(c) for c in table.columns])}")
    duplicated = table[key].duplicated().to_numpy()
    if duplicated.any():
        raise LogFormatError(f"the {key}s table's column {key!r} lists"
                             f" {_first_value(duplicated, table[key])!r} twice (row"
                             f" {_first(duplicated, table)!r})")
    features = table.drop(columns=[key])
    _check_values(features.rename(columns=lambda c: f"{key}s.{c}"))
    ordered = table.assign(_key=table[key].map(_sort_key)).sort_values("_key", kind="stable")
    ids = ordered[key].to_numpy()
    return ordered.drop(columns=[key, "_key"]).astype(float).reset_index(drop=True), ids


def _sort_key(identifier) -> tuple:
    """Numbers before strings, each in natural order, so mixed id types still sort."""
    return (0, identifier, "") if isinstance(identifier, (int, float, np.number)) else (
        1, 0, str(identifier))


def _index_in(ids: np.ndarray, logged: pd.Series, column: str, table: str) -> np.ndarray:
    index = pd.Index(ids).get_indexer(logged)
    if (index < 0).any():
        row = _first(index < 0, logged.to_frame())
        raise LogFormatError(f"column {column!r}: unknown {column} id"
                             f" {_first_value(index < 0, logged)!r} at row {row!r}, not in the"
                             f" {table} table")
    return index
