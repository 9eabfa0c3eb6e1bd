"""A log's consumption sequences as arrays for sequential choice models, and item covariates.

Events stay in the log's order (by user, then time); `step` is an event's index within its
user's history, so `(step, user)` addresses the time-major trajectory layout of
`recsim_ng.data.trajectories`.
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np

from recsim_ng.data.event_log import EventLog


@dataclasses.dataclass(frozen=True)
class EventSequences:
    """Per-event arrays `[N]`: user, step within the user's history, item, and scored flag."""

    user: np.ndarray
    step: np.ndarray
    item: np.ndarray
    scored: np.ndarray
    num_users: int
    num_items: int

    @property
    def length(self) -> int:
        """The longest history (the trajectory's time axis)."""
        return int(self.step.max()) + 1

    @property
    def num_scored(self) -> int:
        return int(self.scored.sum())

    @property
    def first_event(self) -> np.ndarray:
        """For each event, the position of its user's first event."""
        return np.arange(len(self.step)) - self.step


def event_sequences(log: EventLog, scored: np.ndarray | None = None) -> EventSequences:
    """Every event of `log`; `scored` (a mask over `log.events`) marks those that are scored."""
    events = log.events
    scored = np.ones(len(events), bool) if scored is None else np.asarray(scored, bool)
    if scored.shape != (len(events),):
        raise ValueError(f"scored must be a mask over the log's {len(events)} events")
    return EventSequences(
        user=events["user_index"].to_numpy(np.int32),
        step=events.groupby("user_index", sort=False).cumcount().to_numpy(np.int32),
        item=events["item_index"].to_numpy(np.int32), scored=scored,
        num_users=log.num_users, num_items=log.num_items)


@dataclasses.dataclass(frozen=True)
class ItemCovariates:
    """Per-item inputs of a choice model.

    `topics` `[I, G]`: each item's topic (genre) indicators scaled to sum to 1; `popularity`:
    log(1 + the item's count in the training events); `quality`: the item's mean training
    rating shrunk toward the overall mean by `shrinkage` pseudo-ratings, minus that mean (zero
    when the log has no ratings).
    """

    topic_names: tuple[str, ...]
    topics: np.ndarray
    popularity: np.ndarray
    quality: np.ndarray

    @property
    def num_topics(self) -> int:
        return len(self.topic_names)

    @property
    def topics_sum_to_one(self) -> bool:
        """Whether every item has topics (so a constant added to all topic logits cancels)."""
        return bool(np.allclose(self.topics.sum(axis=1), 1.0))


def item_covariates(log: EventLog, train: np.ndarray, topics: Sequence[str] | None = None,
                    shrinkage: float = 10.0) -> ItemCovariates:
    """Covariates from the item features named `topics` (default: the `genre:*` columns)."""
    features = log.item_features
    if topics is None:
        topics = [c for c in features.columns if str(c).startswith("genre:")]
        if not topics:
            raise ValueError("the log's items have no 'genre:*' features: name the item feature"
                             f" columns that are topics with topics=[...] (have"
                             f" {list(features.columns)[:10]})")
    missing = [t for t in topics if t not in features.columns]
    if missing:
        raise ValueError(f"topics {missing} are not item feature columns of the log")
    indicators = features[list(topics)].to_numpy(np.float64)
    if (indicators < 0).any():
        raise ValueError("topic features must be non-negative indicators or weights")
    totals = indicators.sum(axis=1, keepdims=True)
    weights = np.divide(indicators, totals, out=np.zeros_like(indicators), where=totals > 0)
    train_events = log.events[np.asarray(train, bool)]
    counts = np.bincount(train_events["item_index"], minlength=log.num_items)
    quality = np.zeros(log.num_items)
    if "rating" in train_events.columns and len(train_events):
        overall = train_events["rating"].mean()
        sums = np.bincount(train_events["item_index"], train_events["rating"], log.num_items)
        quality = (sums + shrinkage * overall) / (counts + shrinkage) - overall
    return ItemCovariates(tuple(str(t) for t in topics), weights, np.log1p(counts), quality)
