"""Per-user, time-ordered trajectories of an `EventLog`: time-major, padded and masked.

Every array is `[T, num_users, ...]`, the layout of a network's trajectory (`T` = the longest
user's event count, or `max_length`); step t of user u is that user's t-th event. `valid` marks
real events (padding holds item 0 and zeros), `scored` the events whose log-probability counts
(a split's test events, with the earlier ones only conditioning the user's state).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from recsim_ng.data.event_log import OPTIONAL_COLUMNS, EventLog


@dataclasses.dataclass(frozen=True)
class Trajectories:
    """Padded event arrays; `columns` holds the optional columns and event features present."""

    item: np.ndarray
    time: np.ndarray
    valid: np.ndarray
    scored: np.ndarray
    columns: dict[str, np.ndarray]
    item_features: np.ndarray
    user_features: np.ndarray

    @property
    def length(self) -> int:
        return self.item.shape[0]

    @property
    def num_users(self) -> int:
        return self.item.shape[1]

    @property
    def num_scored(self) -> int:
        return int(self.scored.sum())


def to_trajectories(log: EventLog, scored: np.ndarray | None = None,
                    max_length: int | None = None) -> Trajectories:
    """The log's events per user in time order.

    `scored` is a boolean mask over `log.events` (default: every event); `max_length` keeps each
    user's first `max_length` events. Users are the log's user indices, all of them, so a user
    with no events is a column of padding.
    """
    events = log.events
    users = events["user_index"].to_numpy()
    step = events.groupby("user_index", sort=False).cumcount().to_numpy()
    length = int(step.max()) + 1 if len(step) else 0
    if max_length is not None:
        if max_length < 1:
            raise ValueError(f"max_length must be at least 1, got {max_length}")
        length = min(length, max_length)
    keep = step < length
    users, step = users[keep], step[keep]
    scored = np.ones(len(events), bool) if scored is None else np.asarray(scored, bool)
    if scored.shape != (len(events),):
        raise ValueError(f"scored must be a mask over the log's {len(events)} events, got shape"
                         f" {scored.shape}")

    def padded(values: np.ndarray, dtype) -> np.ndarray:
        values = np.asarray(values)[keep]
        array = np.zeros((length, log.num_users) + values.shape[1:], dtype)
        array[step, users] = values
        return array

    names = [c for c in OPTIONAL_COLUMNS if log.has(c) and c != "slate"] + list(log.event_features)
    return Trajectories(
        item=padded(events["item_index"].to_numpy(), np.int32),
        time=padded(events["time"].to_numpy(), np.float64),
        valid=padded(np.ones(len(events), bool), bool),
        scored=padded(scored, bool),
        columns={name: padded(events[name].to_numpy(dtype=float), np.float32) for name in names},
        item_features=log.item_features.to_numpy(np.float32),
        user_features=log.user_features.to_numpy(np.float32))
