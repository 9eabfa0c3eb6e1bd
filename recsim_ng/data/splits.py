"""Train / validation / test splits of an `EventLog`, by time within each user or by user."""

from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np

from recsim_ng.data.event_log import EventLog


@dataclasses.dataclass(frozen=True)
class Split:
    """Boolean row masks over `log.events`, disjoint and together covering every event."""

    train: np.ndarray
    validation: np.ndarray
    test: np.ndarray

    def sizes(self) -> dict[str, int]:
        return {name: int(mask.sum()) for name, mask in dataclasses.asdict(self).items()}


def split_by_time(log: EventLog, fractions: Sequence[float] = (0.8, 0.1, 0.1),
                  per_user: bool = True) -> Split:
    """Earlier events train, later ones validate and test.

    `per_user`: each user's own events are cut at those fractions (every user is in every
    part, and a model is scored on a user's future given the past); otherwise the whole log is
    cut at the time quantiles, so no test event precedes a training event.
    """
    train_share, validation_share = _checked(fractions)
    events = log.events
    if per_user:
        users = events["user_index"].to_numpy()
        rank = events.groupby("user_index", sort=False).cumcount().to_numpy()
        share = (rank + 0.5) / log.lengths()[users]
    else:
        time = events["time"].to_numpy()
        share = (np.argsort(np.argsort(time, kind="stable"), kind="stable") + 0.5) / len(time)
    return _cut(share, train_share, validation_share)


def split_by_users(log: EventLog, fractions: Sequence[float] = (0.8, 0.1, 0.1),
                   seed: int = 0) -> Split:
    """Each user's whole history goes to one part, users drawn at random (fixed `seed`)."""
    train_share, validation_share = _checked(fractions)
    order = np.random.default_rng(seed).permutation(log.num_users)
    share = (np.argsort(order) + 0.5) / log.num_users
    return _cut(share[log.events["user_index"].to_numpy()], train_share, validation_share)


def _checked(fractions: Sequence[float]) -> tuple[float, float]:
    fractions = [float(f) for f in fractions]
    if (len(fractions) != 3 or not all(np.isfinite(fractions)) or min(fractions) < 0
            or abs(sum(fractions) - 1.0) > 1e-9 or fractions[0] == 0):
        raise ValueError(f"fractions must be three non-negative numbers (train > 0) summing to 1,"
                         f" got {fractions}")
    return fractions[0], fractions[1]


def _cut(share: np.ndarray, train_share: float, validation_share: float) -> Split:
    train = share < train_share
    validation = ~train & (share < train_share + validation_share)
    return Split(train, validation, ~train & ~validation)
