"""RecSim v1's long-term satisfaction ("choc/kale") environment, batched over users.

Faithful to `recsim/environments/long_term_satisfaction.py` with `create_environment`'s wiring:
- documents: clickbait score c ~ U(0, 1), observed;
- user (hidden; empty observation): net positive exposure NPE_0 = (U(0, 1) - 1/2) / (1 - 0.7),
  satisfaction SAT = sigmoid(sensitivity NPE) with sensitivity 0.01, time budget 60;
- the user always clicks slate position 0; engagement e = exp(X), X ~ N((5c + 4(1 - c)) SAT, 1)
  with the satisfaction before the transition; the response shows clip(e, 0, 100), the reward is
  the unclipped e;
- transition: NPE <- 0.7 NPE - 2(c - 1/2) + N(0, 0.05^2), budget <- budget - 1, so every
  episode lasts exactly 60 steps.

Deliberate deviations and switches:
- v1's `create_environment` ignores its seed (users and documents always come from seed 0,
  while the engagement and innovation noise follows the global RNG); here, by default, the run
  seed drives every draw, so different seeds give independent episodes. `v1_fixed_seed=True`
  restores v1's behaviour (not its exact streams): every user's initial net positive exposure
  and every document draw come from one fixed stateless seed (`V1_FIXED_SEED`), independent of
  the run seed, so runs with different seeds get identical users and documents (user i is as
  v1's i-th episode, and step t's documents as v1's t-th draw) but different engagement and
  innovation noise. The documents then carry a `draw` counter (int32 scalar: 0 at the initial
  step, +1 per resample) that keys their draws, and these fields are deterministic functions in
  the network, so they contribute no log-probability;
- the sign of the clickbait term follows v1's code (clickbait lowers satisfaction), not its
  docstring, which adds it;
- `sensitivity` is a parameter: v1's 0.01 keeps SAT within about 0.49-0.51, so long-term
  effects are negligible; a larger value gives the intended trade-off;
- v1's exact random streams are not reproduced.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from recsim_ng.core import Network, Value, ValueSpec
from recsim_ng.applications.recsim_v1.environment import V1Environment, environment_network
from recsim_ng.lib import seeds
from recsim_ng.lib.field_spec import FieldSpec
from recsim_ng.lib.sampling import sample
from recsim_ng.lib.space import box

tfd = tfp.distributions

MEMORY_DISCOUNT = 0.7
SENSITIVITY = 0.01
INNOVATION_STDDEV = 0.05
CHOC_MEAN, CHOC_STDDEV = 5.0, 1.0
KALE_MEAN, KALE_STDDEV = 4.0, 1.0
TIME_BUDGET = 60.0
MAX_ENGAGEMENT = 100.0
V1_FIXED_SEED = 0  # v1 seeds its user and document samplers with 0, whatever the run's seed.


class LongTermSatisfaction(V1Environment):
    """Users whose engagement grows with clickbait now and shrinks with it later.

    With `v1_fixed_seed` (see the module docstring), users' initial exposures and documents are
    drawn from `V1_FIXED_SEED`, not the run seed.
    """

    def __init__(self, num_users: int, num_candidates: int, slate_size: int,
                 resample_documents: bool, shared_candidates: bool,
                 sensitivity: float = SENSITIVITY, v1_fixed_seed: bool = False):
        super().__init__(num_users, num_candidates, slate_size, resample_documents,
                         shared_candidates)
        self.sensitivity = sensitivity
        self.v1_fixed_seed = v1_fixed_seed

    def documents_spec(self) -> ValueSpec:
        shape = [self.num_document_sets, self.num_candidates]
        clickbait = Value(clickbait=FieldSpec(shape, tf.float32, box(0.0, 1.0)))
        if not self.v1_fixed_seed:
            return clickbait
        return Value(draw=FieldSpec([], tf.int32, box(0, np.inf))).union(clickbait)

    def sample_documents(self, previous: Value | None = None) -> Value:
        """Fresh documents; under `v1_fixed_seed`, draw `previous.draw + 1` (0 without
        `previous`) of the fixed seed's stream."""
        shape = [self.num_document_sets, self.num_candidates]
        clickbait = tfd.Uniform(tf.zeros(shape), 1.0)
        if not self.v1_fixed_seed:
            return Value(clickbait=clickbait)
        draw = tf.constant(0) if previous is None else previous.get("draw") + 1
        seed = seeds.fold_in(_fixed_seed("documents"), draw)
        return Value(draw=draw, clickbait=sample(clickbait, seed, "documents"))

    def resample_documents_from(self, previous: Value) -> Value:
        return self.sample_documents(previous)

    def user_spec(self) -> ValueSpec:
        users = self.num_users
        return Value(innovation=FieldSpec([users], tf.float32, box()),
                     net_positive_exposure=FieldSpec([users], tf.float32, box()),
                     satisfaction=FieldSpec([users], tf.float32, box(0.0, 1.0)),
                     budget=FieldSpec([users], tf.float32, box()))

    def initial_user(self) -> Value:
        users = self.num_users
        half_range = tf.fill([users], 0.5 / (1.0 - MEMORY_DISCOUNT))
        exposure = tfd.Uniform(-half_range, half_range)
        if self.v1_fixed_seed:
            exposure = sample(exposure, _fixed_seed("user_state"), "user_state")
        return Value(innovation=tf.zeros([users]),
                     net_positive_exposure=exposure,
                     satisfaction=self._satisfaction,
                     budget=tf.fill([users], TIME_BUDGET))

    def _satisfaction(self, net_positive_exposure: tf.Tensor) -> tf.Tensor:
        return tf.sigmoid(self.sensitivity * net_positive_exposure)

    def next_user(self, user: Value, documents: Value, slate: tf.Tensor, response: Value,
                  active: tf.Tensor) -> Value:
        del response  # The user always clicks position 0.
        clickbait = self.on_slate(documents.get("clickbait"), slate)[:, 0]
        exposure = user.get("net_positive_exposure")

        def next_exposure(innovation: tf.Tensor) -> tf.Tensor:
            updated = MEMORY_DISCOUNT * exposure - 2.0 * (clickbait - 0.5) + innovation
            return tf.where(active, updated, exposure)

        return Value(innovation=tfd.Normal(tf.zeros([self.num_users]), INNOVATION_STDDEV),
                     net_positive_exposure=next_exposure, satisfaction=self._satisfaction,
                     budget=tf.where(active, user.get("budget") - 1.0, user.get("budget")))

    def response_spec(self) -> ValueSpec:
        users, k = self.num_users, self.slate_size
        return self.choice_spec().union(Value(
            log_engagement=FieldSpec([users], tf.float32, box()),
            engagement=FieldSpec([users, k], tf.float32, box(0.0, MAX_ENGAGEMENT))))

    def empty_response(self) -> Value:
        users, k = self.num_users, self.slate_size
        return Value(choice=tf.fill([users], k), click=tf.zeros([users, k], tf.int32),
                     log_engagement=tf.zeros([users]), engagement=tf.zeros([users, k]))

    def engagement_distribution(self, satisfaction: tf.Tensor, clickbait: tf.Tensor) -> tfd.Normal:
        """The law of log-engagement after a click on a document of score `clickbait`."""
        mean = (CHOC_MEAN * clickbait + KALE_MEAN * (1.0 - clickbait)) * satisfaction
        stddev = CHOC_STDDEV * clickbait + KALE_STDDEV * (1.0 - clickbait)
        return tfd.Normal(mean, stddev)

    def response(self, user: Value, documents: Value, slate: tf.Tensor,
                 active: tf.Tensor) -> Value:
        k = self.slate_size
        clickbait = self.on_slate(documents.get("clickbait"), slate)[:, 0]
        click = tf.one_hot(tf.zeros([self.num_users], tf.int32), k, dtype=tf.int32)
        click = click * tf.cast(active, tf.int32)[:, tf.newaxis]

        def engagement(log_engagement: tf.Tensor) -> tf.Tensor:
            clipped = tf.clip_by_value(tf.exp(log_engagement), 0.0, MAX_ENGAGEMENT)
            return tf.cast(click, tf.float32) * clipped[:, tf.newaxis]

        return Value(choice=tf.where(active, 0, k), click=click,
                     log_engagement=self.engagement_distribution(user.get("satisfaction"),
                                                                 clickbait),
                     engagement=engagement)

    def observation_spec(self) -> ValueSpec:
        users, n = self.num_users, self.num_candidates
        return Value(user=FieldSpec([users, 0], tf.float32, box()),
                     doc=FieldSpec([users, n, 1], tf.float32, box(0.0, 1.0)))

    def observation(self, user: Value, documents: Value) -> Value:
        return Value(user=tf.zeros([self.num_users, 0]),
                     doc=self.per_user(documents.get("clickbait"))[..., tf.newaxis])

    def reward(self, response: Value) -> tf.Tensor:
        clicked = tf.cast(response.get("choice") == 0, tf.float32)
        return clicked * tf.exp(response.get("log_engagement"))

    def terminal(self, user: Value) -> tf.Tensor:
        return user.get("budget") <= 0.0


def _fixed_seed(variable_name: str) -> tf.Tensor:
    """The run-independent stateless seed of a variable's draws under `v1_fixed_seed`."""
    return seeds.fold_in(seeds.as_seed(V1_FIXED_SEED), seeds.name_key(variable_name))


def long_term_satisfaction(num_users: int, num_candidates: int = 10, slate_size: int = 2,
                           resample_documents: bool = True, shared_candidates: bool = False,
                           uniform_random_slate: bool = False, sensitivity: float = SENSITIVITY,
                           v1_fixed_seed: bool = False) -> Network:
    """The choc/kale network; `slate` is an input unless `uniform_random_slate`.

    `v1_fixed_seed` draws users and documents from a fixed seed, as v1 does (module docstring).
    """
    return environment_network(
        LongTermSatisfaction(num_users, num_candidates, slate_size, resample_documents,
                             shared_candidates, sensitivity, v1_fixed_seed), uniform_random_slate)
