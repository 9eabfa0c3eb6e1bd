"""The fitted dynamic-interest user as a simulation network, and logs simulated from it.

Variables, batched over users, one step per event:
- `activity` (replayed data): `valid`, whether the user has an event at this step;
- `user_state`: `interest` `[U, G]` (starts at the user's long-run interest, moves toward what
  the user consumes, drifts back) and `consumed` `[U, I]`;
- `response`: `item`, a multinomial logit over the catalogue with consumed items excluded, and
  the time since the previous event: `instant` (0 s, as logs batch ratings in one second) or a
  `gap` from a mixture of log-normals (`GapModel`); padding steps are masked (log-prob 0).
Its `response.item` log-probabilities equal `interest_model`'s likelihood of the same log.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import tensorflow as tf
import tensorflow_probability as tfp

from recsim_ng.core import Network, Value, Variable
from recsim_ng.core.variable import value
from recsim_ng.data.event_log import EventLog, from_dataframe
from recsim_ng.fitting.gaps import GapModel
from recsim_ng.fitting.sequences import ItemCovariates
from recsim_ng.lib.data import replay_variable
from recsim_ng.lib.entity import Entity
from recsim_ng.lib.field_spec import FieldSpec
from recsim_ng.lib.runtime import TFRuntime

tfd = tfp.distributions

# A logit offset that excludes consumed items while keeping every log-prob finite.
_EXCLUDED = 1e9


@dataclasses.dataclass(frozen=True)
class InterestDynamics:
    """The dynamic-interest model's natural parameters (see `interest_model`)."""

    interest: np.ndarray
    step_size: float
    drift: float
    popularity_weight: float
    quality_weight: float
    spread: float = 0.0

    @classmethod
    def from_estimates(cls, estimates) -> "InterestDynamics":
        """From `interest_model` or `latent_interest` estimates (`spread` when latent)."""
        names = list(estimates.names)
        interest = np.array([estimates[n] for n in names if n.startswith("interest[")])
        return cls(interest, *(estimates[n] for n in (
            "step_size", "drift", "popularity_weight", "quality_weight")),
            spread=estimates["spread"] if "spread" in names else 0.0)


class InterestUser(Entity):
    """Users whose interest over topics evolves with what they consume."""

    def __init__(self, dynamics: InterestDynamics, covariates: ItemCovariates,
                 long_run_interest: np.ndarray, gaps: GapModel, exclude_consumed: bool = True):
        super().__init__(name="InterestUser")
        self._dynamics = dynamics
        self._topics = tf.constant(covariates.topics, tf.float32)
        self._bias = tf.constant(dynamics.popularity_weight * covariates.popularity
                                 + dynamics.quality_weight * covariates.quality, tf.float32)
        self._long_run = tf.constant(long_run_interest, tf.float32)
        self._gaps = gaps
        self._exclude_consumed = exclude_consumed

    @property
    def num_items(self) -> int:
        return int(self._topics.shape[0])

    def initial_state(self) -> Value:
        num_users = self._long_run.shape[0]
        return Value(interest=self._long_run, consumed=tf.zeros([num_users, self.num_items]))

    def consume(self, state: Value, item: tf.Tensor, happened: tf.Tensor) -> Value:
        """The state after consuming `item` where `happened` (`[U]` 0/1), else unchanged."""
        interest = state.get("interest")
        moved = (self._long_run + (1.0 - self._dynamics.drift) * (interest - self._long_run)
                 + self._dynamics.step_size * tf.gather(self._topics, item))
        consumed = tf.one_hot(item, self.num_items) * happened[:, None]
        return Value(interest=tf.where(happened[:, None] > 0, moved, interest),
                     consumed=tf.minimum(state.get("consumed") + consumed, 1.0))

    def logits(self, state: Value) -> tf.Tensor:
        """`[U, I]` choice logits (consumed items excluded when the model excludes them)."""
        logits = tf.matmul(state.get("interest"), self._topics, transpose_b=True) + self._bias
        if self._exclude_consumed:
            logits -= _EXCLUDED * state.get("consumed")
        return logits

    def next_state(self, state: Value, response: Value, activity: Value) -> Value:
        return self.consume(state, response.get("item"), activity.get("valid"))

    def response(self, state: Value, activity: Value) -> Value:
        valid = activity.get("valid") > 0
        logits = self.logits(state)
        instant = tfd.Bernoulli(probs=tf.fill(tf.shape(valid), self._gaps.instant_share),
                                dtype=tf.int32)
        return Value(item=tfd.Masked(tfd.Categorical(logits=logits, dtype=tf.int32), valid),
                     instant=tfd.Masked(instant, valid),
                     gap=lambda instant: tfd.Masked(self._gaps.positive(tf.shape(valid)),
                                                    valid & (instant == 0)))


def draw_long_run(dynamics: InterestDynamics, num_users: int, seed: int) -> np.ndarray:
    """`[U, G]` long-run interests of users drawn from the population, N(b, spread²)."""
    noise = np.random.default_rng(seed).standard_normal((num_users, len(dynamics.interest)))
    return dynamics.interest + dynamics.spread * noise


def interest_network(user: InterestUser, valid: np.ndarray) -> Network:
    """The network for users whose step t is an event where `valid[t, u]` (`[T, U]`)."""
    num_users = valid.shape[1]
    num_items = int(user.initial_state().get("consumed").shape[1])
    num_topics = int(user.initial_state().get("interest").shape[1])
    activity = replay_variable("activity", Value(valid=FieldSpec([num_users], tf.float32)),
                               Value(valid=tf.constant(valid, tf.float32)))
    state = Variable("user_state", Value(interest=FieldSpec([num_users, num_topics], tf.float32),
                                         consumed=FieldSpec([num_users, num_items], tf.float32)))
    response = Variable("response", Value(item=FieldSpec([num_users], tf.int32),
                                          instant=FieldSpec([num_users], tf.int32),
                                          gap=FieldSpec([num_users], tf.float32)))
    state.initial_value = value(user.initial_state)
    state.value = value(user.next_state, [state.previous, response.previous, activity.previous])
    response.value = value(user.response, [state, activity])
    return Network([activity, state, response])


def simulate_log(dynamics: InterestDynamics, covariates: ItemCovariates, gaps: GapModel,
                 real: EventLog, seed: int, exclude_consumed: bool = True) -> EventLog:
    """A log like `real` (its users, their event counts and first event times) from the model.

    Each user's long-run interest is the population's, or with `dynamics.spread` > 0 a draw
    from N(population's, spread²) (fixed by `seed`).
    """
    lengths = real.lengths()
    valid = np.arange(lengths.max())[:, None] < lengths[None, :]
    user = InterestUser(dynamics, covariates, draw_long_run(dynamics, real.num_users, seed),
                        gaps, exclude_consumed)
    network = interest_network(user, valid)
    trajectory = TFRuntime(network).trajectory(int(lengths.max()), seed,
                                               fields={"response": None})
    response = {name: trajectory["response"].get(name).numpy()[valid]
                for name in ("item", "instant", "gap")}
    step, user_index = np.nonzero(valid)  # time-major order: sort to users' event order
    order = np.lexsort((step, user_index))
    first_time = real.events.groupby("user_index")["time"].min().reindex(
        range(real.num_users)).to_numpy()
    gap = np.where(response["instant"] == 1, 0.0, response["gap"]).astype(float)[order]
    gap[step[order] == 0] = 0.0
    frame = pd.DataFrame({"user": real.user_ids[user_index[order]],
                          "item": real.item_ids[response["item"][order]],
                          "time": first_time[user_index[order]]})
    frame["time"] += pd.Series(gap).groupby(user_index[order]).cumsum().to_numpy()
    return from_dataframe(frame, catalogue=real)
