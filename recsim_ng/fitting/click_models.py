"""Click models of slate impression logs, fitted by maximum likelihood with standard errors.

Both models say P(click | item i in slot k) = examination of slot k * attractiveness of i, with
attractiveness_i = sigmoid(a_i + w·x) (x: the event's features, PBM only). Slots are the log's
distinct `position` values in sorted order (Open Bandit's 1..3 become slots 0..2).

* Position-based model (PBM): each slot has its own examination. Clicks are products, so the
  scale between examination and attractiveness is not identified: the first slot's examination
  is fixed to 1 and the others are relative to it, exp(e_k) (the "slot effects"; they may
  exceed 1, and a probability above 1 is capped at 1 when predicting).
* Cascade model: the visitor scans the slots top-down and clicks the first attractive item, so
  slot k is examined when nothing above attracted. With a `slate` column the items above are the
  slate's own (the exact cascade likelihood: a click means no click above, nothing below is
  seen, and a slate holds at most one click). Without it (one impression per row, as in Open
  Bandit) the items above are unknown; assuming the logging policy fills the other slots
  independently of this one, slot k is examined with probability prod_{j<k} (1 - ā_j), ā_j the
  model's attractiveness averaged over the log's items in slot j. No free examination parameters.

Parameters (float64, `FittedClickModel.estimates`): `attractiveness[<item id>]` (the logit a_i,
one per catalogue item), `log_relative_examination[<position>]` (PBM, every slot but the first),
`feature[<name>]` (PBM with `use_features`). `recsim_ng.fitting.estimation.maximize` (L-BFGS)
maximises the log-likelihood minus `l2/2 * (sum_i (a_i - mean a)^2 + |w|^2)`: the penalty leaves
the overall level free and keeps the logits of items never shown, or never clicked, finite (the
default l2 = 1e-4 barely moves the others). A PBM probability above 1 makes the log-likelihood
-inf, not NaN: L-BFGS's line search backs off an infinite value but fails on a NaN. The
covariance is the inverse Hessian of that objective at the optimum (the observed information),
infinite (with a warning) for what the log does not identify. Slot effects' 95% intervals are
exp of a Wald interval for the log relative examination (delta method): positive, asymmetric.
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Mapping

import numpy as np
import pandas as pd
import tensorflow as tf

from recsim_ng.data.event_log import EventLog, LogFormatError
from recsim_ng.fitting import estimation
from recsim_ng.fitting.validity import Z95

POSITION_BASED = "position_based"
CASCADE = "cascade"
DEFAULT_L2 = 1e-4

Data = Mapping[str, tf.Tensor]


@dataclasses.dataclass(frozen=True, eq=False)
class FittedClickModel:
    """A fitted click model: the parameters' `estimates` with their covariance.

    `log_likelihood` is the (unpenalised) log-likelihood of the `num_events` fitted events;
    `item_ids`, `positions` and `feature_names` tie the parameters to any log's ids and columns.
    """

    kind: str
    estimates: estimation.Estimates
    log_likelihood: float
    num_events: int
    item_ids: tuple
    positions: tuple[int, ...]
    feature_names: tuple[str, ...] = ()
    l2: float = DEFAULT_L2

    def click_probability(self, log: EventLog) -> np.ndarray:
        """P(click) of each of the log's events, `[num_events]` in the log's row order.

        The cascade's examination comes from this log: the slates' items above, or without
        slates the mean attractiveness of what this log shows in each slot above.
        """
        return np.exp(_click_log_probability(self.kind, self._theta(), self._data(log),
                                             *self._sizes()).numpy())

    def event_log_likelihoods(self, log: EventLog) -> np.ndarray:
        """Each event's log-likelihood, `[num_events]` in the log's row order.

        In a slated cascade an event below the slate's click is never seen and counts 0; a PBM
        probability above 1 gives -inf.
        """
        return _log_likelihood_terms(self.kind, self._theta(), self._data(log, clicks=True),
                                     *self._sizes()).numpy()

    def log_likelihood_per_event(self, log: EventLog) -> tuple[float, float]:
        """The mean log-likelihood per event of `log` and its standard error over events."""
        terms = self.event_log_likelihoods(log)
        return float(terms.mean()), float(terms.std(ddof=1) / np.sqrt(len(terms)))

    def simulate_clicks(self, log: EventLog, seed: int) -> np.ndarray:
        """Clicks (0/1) drawn for the log's impressions; a slated cascade clicks at most once."""
        rng = np.random.default_rng(seed)
        data = self._data(log)
        if "order" not in data:
            return (rng.random(log.num_events) < self.click_probability(log)).astype(np.int64)
        logits = _item_logits(self.kind, self._theta(), data, *self._sizes()).numpy()
        order = data["order"].numpy()
        attractive = (rng.random(len(logits)) < 1.0 / (1.0 + np.exp(-logits)))[order]
        above = _above_in_slate(attractive.astype(np.int64), data["slate_start"].numpy())
        return (attractive & (above == 0)).astype(np.int64)[data["inverse"].numpy()]

    def sample_click_probabilities(self, log: EventLog, num_draws: int,
                                   seed: int | np.random.SeedSequence) -> np.ndarray:
        """`[num_draws, num_events]`: `click_probability` under parameters drawn from
        N(estimates, covariance), the normal approximation of the fit's uncertainty."""
        if not np.isfinite(self.estimates.covariance).all():
            raise ValueError("the fit leaves parameters unidentified (infinite variances): refit"
                             " with l2 > 0 to draw from its normal approximation")
        rng = np.random.default_rng(seed)
        draws = rng.multivariate_normal(self.estimates.values, self.estimates.covariance,
                                        size=num_draws, method="eigh")
        return np.exp(_click_log_probability_draws(self.kind, tf.constant(draws),
                                                   self._data(log), *self._sizes()).numpy())

    def slot_effects(self, log: EventLog | None = None) -> pd.DataFrame:
        """Examination of each slot relative to the first, with a 95% interval: exp of a Wald
        interval for its log, so positive and skewed like the ratio (with few clicks it errs on
        the wide side). The PBM's needs no log; the cascade's depends on what the policy shows
        above, so it is averaged over `log`'s events in each slot."""
        if log is None and self.kind == CASCADE:
            raise ValueError("the cascade's slot effects depend on the items shown above: pass"
                             " the log to average them over")
        data = None if log is None else self._data(log)
        logs = self.estimates.delta_method(
            lambda theta: _log_relative_examination(self.kind, theta, data, *self._sizes()),
            [f"log_relative_examination[{p}]" for p in self.positions])
        value, se = logs.values, logs.standard_errors
        return pd.DataFrame({"slot": list(self.positions), "relative_examination": np.exp(value),
                             "low": np.exp(value - Z95 * se), "high": np.exp(value + Z95 * se)})

    def to_json(self) -> dict:
        """Plain lists, floats, strings and nulls (infinite variances) for strict JSON."""
        return {"kind": self.kind, "estimates": self.estimates.to_json(),
                "log_likelihood": self.log_likelihood, "num_events": self.num_events,
                "item_ids": list(self.item_ids), "positions": list(self.positions),
                "feature_names": list(self.feature_names), "l2": self.l2}

    @classmethod
    def from_json(cls, data: Mapping) -> FittedClickModel:
        return cls(data["kind"], estimation.Estimates.from_json(data["estimates"]),
                   float(data["log_likelihood"]), int(data["num_events"]),
                   tuple(data["item_ids"]), tuple(int(p) for p in data["positions"]),
                   tuple(data["feature_names"]), float(data["l2"]))

    def _theta(self) -> tf.Tensor:
        return tf.constant(self.estimates.values, tf.float64)

    def _sizes(self) -> tuple[int, int]:
        return len(self.item_ids), len(self.positions)

    def _data(self, log: EventLog, clicks: bool = False) -> dict[str, tf.Tensor]:
        return _design(log, self.kind, self.item_ids, self.positions, self.feature_names, clicks)


def fit_position_based_model(log: EventLog, use_features: bool = False,
                             l2: float = DEFAULT_L2) -> FittedClickModel:
    """The PBM by maximum likelihood; `use_features`: attractiveness also depends on the log's
    event features (one coefficient each, penalised by `l2` too)."""
    if use_features and not log.event_features:
        raise ValueError("use_features=True but the log has no event features")
    return _fit(log, POSITION_BASED, tuple(log.event_features) if use_features else (), l2)


def fit_cascade_model(log: EventLog, l2: float = DEFAULT_L2) -> FittedClickModel:
    """The cascade model by maximum likelihood: exact with a `slate` column, otherwise under the
    independent-slots assumption (see the module docstring)."""
    return _fit(log, CASCADE, (), l2)


def _fit(log: EventLog, kind: str, feature_names: tuple[str, ...],
         l2: float) -> FittedClickModel:
    _require_columns(log, ("click", "position"))
    if log.num_events == 0:
        raise ValueError("the log has no events to fit")
    if not (np.isfinite(l2) and l2 >= 0):
        raise ValueError(f"l2 must be a non-negative number, got {l2}")
    item_ids = tuple(log.item_ids.tolist())
    positions = tuple(int(p) for p in np.unique(log.events["position"].to_numpy()))
    data = _design(log, kind, item_ids, positions, feature_names, clicks=True)
    sizes = (len(item_ids), len(positions))
    names = [f"attractiveness[{i}]" for i in item_ids]
    if kind == POSITION_BASED:
        names += [f"log_relative_examination[{p}]" for p in positions[1:]]
    names += [f"feature[{f}]" for f in feature_names]
    rate = float(np.clip(log.events["click"].mean(), 1e-4, 0.5))
    initial = np.zeros(len(names))
    initial[:len(item_ids)] = np.log(rate / (1 - rate))

    def penalised_log_likelihood(theta: tf.Tensor) -> tf.Tensor:
        items, _, weights = _split(theta, kind, *sizes)
        penalty = 0.5 * l2 * (tf.reduce_sum(tf.square(items - tf.reduce_mean(items)))
                              + tf.reduce_sum(tf.square(weights)))
        return tf.reduce_sum(_log_likelihood_terms(kind, theta, data, *sizes)) - penalty

    optimum = estimation.maximize(penalised_log_likelihood, initial, scale=log.num_events)
    if not optimum.converged:
        raise RuntimeError(f"the click model's fit stopped unconverged after {optimum.iterations}"
                           " L-BFGS iterations")
    if not np.isfinite(optimum.covariance).all():
        warnings.warn("singular Hessian at the optimum (e.g. an item never shown, with l2=0): what"
                      " the log does not identify gets infinite variances", RuntimeWarning)
    terms = _log_likelihood_terms(kind, tf.constant(optimum.theta), data, *sizes)
    return FittedClickModel(kind, estimation.Estimates(tuple(names), optimum.theta,
                                                       optimum.covariance),
                            float(tf.reduce_sum(terms)), log.num_events, item_ids, positions,
                            feature_names, float(l2))


def _require_columns(log: EventLog, columns: tuple[str, ...]) -> None:
    for column in [c for c in columns if not log.has(c)]:
        raise LogFormatError(f"the log has no {column!r} column; click models need {list(columns)}")


def _design(log: EventLog, kind: str, item_ids: tuple, positions: tuple[int, ...],
            feature_names: tuple[str, ...], clicks: bool) -> dict[str, tf.Tensor]:
    """The log's events as the likelihood's tensors, in the log's row order."""
    _require_columns(log, ("position", "click") if clicks else ("position",))
    events = log.events
    ids = log.item_ids[events["item_index"].to_numpy()]
    item = pd.Index(item_ids).get_indexer(ids)
    if (item < 0).any():
        raise ValueError(f"item {ids[np.argmax(item < 0)]!r} is not in the model's catalogue")
    logged = events["position"].to_numpy().astype(np.int64)
    slot = pd.Index(positions).get_indexer(logged)
    if (slot < 0).any():
        raise ValueError(f"position {logged[np.argmax(slot < 0)]} is not one of the model's"
                         f" slots {list(positions)}")
    missing = [f for f in feature_names if f not in events.columns]
    if missing:
        raise LogFormatError(f"the log lacks the model's event feature column {missing[0]!r}")
    arrays = {"item": item.astype(np.int32), "slot": slot.astype(np.int32),
              "features": events[list(feature_names)].to_numpy(np.float64).reshape(
                  len(events), len(feature_names))}
    if clicks:
        arrays["click"] = events["click"].to_numpy(np.float64)
    if kind == CASCADE and log.has("slate"):
        arrays.update(_slate_layout(events, arrays.get("click")))
    return {name: tf.constant(array) for name, array in arrays.items()}


def _slate_layout(events: pd.DataFrame, clicks: np.ndarray | None) -> dict[str, np.ndarray]:
    """Rows sorted by slate then position (`order`), each row's slate's first sorted row
    (`slate_start`), the way back (`inverse`), and with clicks the rows seen (`observed`)."""
    codes, slates = pd.factorize(events["slate"])
    order = np.lexsort((events["position"].to_numpy(), codes))
    start = np.searchsorted(codes[order], codes[order])
    layout = {"order": order.astype(np.int32), "slate_start": start.astype(np.int32),
              "inverse": np.argsort(order).astype(np.int32)}
    if clicks is not None:
        per_slate = np.bincount(codes, weights=clicks)
        if (per_slate > 1).any():
            worst = int(np.argmax(per_slate))
            raise LogFormatError(f"slate {slates[worst]!r} has {int(per_slate[worst])} clicks;"
                                 " the cascade model allows at most one click per slate")
        above = _above_in_slate(clicks[order], start)
        layout["observed"] = (above == 0)[layout["inverse"]].astype(np.float64)
    return layout


def _above_in_slate(values: np.ndarray, slate_start: np.ndarray) -> np.ndarray:
    """Per row sorted by slate and position, the sum of the values above it in its slate."""
    before = np.cumsum(values) - values
    return before - before[slate_start]


def _split(theta: tf.Tensor, kind: str, num_items: int, num_slots: int) -> tuple[tf.Tensor, ...]:
    """(item logits, log relative examination of every slot, feature coefficients)."""
    num_examination = num_slots - 1 if kind == POSITION_BASED else 0
    examination = tf.concat([tf.zeros([1], tf.float64),
                             theta[num_items:num_items + num_examination]], 0)
    return theta[:num_items], examination, theta[num_items + num_examination:]


def _item_logits(kind: str, theta: tf.Tensor, data: Data, num_items: int,
                 num_slots: int) -> tf.Tensor:
    """a_i + w·x per event (the cascade has no w: its features are empty)."""
    items, _, weights = _split(theta, kind, num_items, num_slots)
    return tf.gather(items, data["item"]) + tf.linalg.matvec(data["features"], weights)


def _log_examination(kind: str, theta: tf.Tensor, data: Data, num_items: int,
                     num_slots: int) -> tf.Tensor:
    """Per event, log P(the slot is examined), relative to the first slot."""
    if kind == POSITION_BASED:
        return tf.gather(_split(theta, kind, num_items, num_slots)[1], data["slot"])
    logits = _item_logits(kind, theta, data, num_items, num_slots)
    if "order" in data:
        ignored = tf.cumsum(tf.gather(tf.math.log_sigmoid(-logits), data["order"]), exclusive=True)
        return tf.gather(ignored - tf.gather(ignored, data["slate_start"]), data["inverse"])
    mean_attractiveness = tf.math.unsorted_segment_mean(tf.sigmoid(logits), data["slot"],
                                                        num_slots)
    return tf.gather(tf.cumsum(tf.math.log1p(-mean_attractiveness), exclusive=True),
                     data["slot"])


@tf.function(reduce_retracing=True)
def _click_log_probability(kind: str, theta: tf.Tensor, data: Data, num_items: int,
                           num_slots: int) -> tf.Tensor:
    log_probability = (_log_examination(kind, theta, data, num_items, num_slots)
                       + tf.math.log_sigmoid(_item_logits(kind, theta, data, num_items, num_slots)))
    return tf.minimum(log_probability, 0.0)


@tf.function(reduce_retracing=True)
def _click_log_probability_draws(kind: str, thetas: tf.Tensor, data: Data, num_items: int,
                                 num_slots: int) -> tf.Tensor:
    return tf.map_fn(lambda t: _click_log_probability(kind, t, data, num_items, num_slots), thetas)


@tf.function(reduce_retracing=True)
def _log_likelihood_terms(kind: str, theta: tf.Tensor, data: Data, num_items: int,
                          num_slots: int) -> tf.Tensor:
    """Each event's log-likelihood; -inf where a PBM probability exceeds 1 (module docstring)."""
    click = data["click"]
    logits = _item_logits(kind, theta, data, num_items, num_slots)
    if "observed" in data:
        return data["observed"] * (click * tf.math.log_sigmoid(logits)
                                   + (1 - click) * tf.math.log_sigmoid(-logits))
    log_p = _log_examination(kind, theta, data, num_items, num_slots) + tf.math.log_sigmoid(logits)
    possible = log_p <= 0
    log_p = tf.where(possible, log_p, -1.0)  # keeps the gradient finite where it is replaced
    terms = click * log_p + (1 - click) * tf.math.log(-tf.math.expm1(log_p))
    return tf.where(possible, terms, -np.inf)


def _log_relative_examination(kind: str, theta: tf.Tensor, data: Data | None, num_items: int,
                              num_slots: int) -> tf.Tensor:
    """Each slot's log examination relative to the first's (the cascade's averaged over `data`)."""
    if kind == POSITION_BASED:
        return _split(theta, kind, num_items, num_slots)[1]
    examination = tf.math.unsorted_segment_mean(
        tf.exp(_log_examination(kind, theta, data, num_items, num_slots)), data["slot"],
        num_slots)
    return tf.math.log(examination) - tf.math.log(examination[0])
