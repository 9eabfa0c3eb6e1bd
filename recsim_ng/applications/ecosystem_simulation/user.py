"""Users whose interests cluster around content providers, and who earn a utility per click.

A user's interest u is drawn once from a Gaussian mixture over the providers: component k has
weight proportional to 1 / (1 + |mu_k|), mean mu_k and scale sigma_k. Each step the user clicks
one slate document j by multinomial logit over -|u - d_j| + 2 (no-click is impossible) and earns a
utility ~ N(-|u - d_chosen| + 2, utility_stddev). With `interest_step_size` eta > 0 the interest
moves towards the clicked document, u' = u + eta (d_chosen - u); RecSim NG's update moved it away.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from recsim_ng.core import Value, ValueSpec
from recsim_ng.entities.choice_models import (MultinomialLogitChoiceModel, TargetPointSimilarity,
                                              get_chosen)
from recsim_ng.entities.recommendation import Config, User
from recsim_ng.lib.checks import check_finite, check_size
from recsim_ng.lib.field_spec import FieldSpec
from recsim_ng.lib.space import box

tfd = tfp.distributions
AffinityModelConstructor = Callable[..., TargetPointSimilarity]
AFFINITY_OFFSET = 2.0  # Added to every similarity, as in RecSim NG.


class ClusteredNormalUser(User):
    """Users clustered around the providers with one interest scale `user_stddev` for all.

    Config keys: `num_users`, `num_topics`, `slate_size` and `provider_means` `[P, T]`.
    """

    def __init__(self, config: Config, user_stddev: float = 20.5,
                 interest_step_size: float = 0.0, utility_stddev: float = 1.0,
                 affinity_model_ctor: AffinityModelConstructor = TargetPointSimilarity,
                 name: str | None = None):
        super().__init__(config, name or type(self).__name__)
        self._num_topics = self._config_value("num_topics")
        self._slate_size = self._config_value("slate_size")
        self._provider_means = tf.constant(
            check_finite("provider_means", self._config_value("provider_means")), tf.float32)
        self._user_stddev = float(check_finite("user_stddev", user_stddev, low=0.0,
                                               low_open=True))
        self._interest_step_size = float(check_finite("interest_step_size", interest_step_size))
        self._utility_stddev = float(check_finite("utility_stddev", utility_stddev, low=0.0,
                                                  low_open=True))
        self._affinity_model = affinity_model_ctor(
            [self._num_users], self._slate_size, similarity_type="negative_euclidean")
        self._choice_model = MultinomialLogitChoiceModel([self._num_users],
                                                         nochoice_logits=-np.inf)

    def _component_scales(self) -> tf.Tensor:
        """The interest scale of each provider's component, `[P]`."""
        return tf.fill([self._provider_means.shape[0]], float(self._user_stddev))

    def _interest_prior(self) -> tfd.Distribution:
        """The users' interest prior: batch `[U]`, events `[T]`."""
        num_providers = self._provider_means.shape[0]
        shape = [self._num_users, num_providers, self._num_topics]
        logits = -tf.math.log1p(tf.norm(self._provider_means, axis=-1))
        scales = self._component_scales()[:, tf.newaxis]
        return tfd.MixtureSameFamily(
            tfd.Categorical(logits=tf.broadcast_to(logits, shape[:2])),
            tfd.MultivariateNormalDiag(tf.broadcast_to(self._provider_means, shape),
                                       tf.broadcast_to(scales, shape)))

    def _affinities(self, interests: tf.Tensor, slate_docs: Value) -> tf.Tensor:
        return self._affinity_model.affinities(
            interests, slate_docs.get("doc_features")).get("affinities") + AFFINITY_OFFSET

    def specs(self) -> ValueSpec:
        users, topics = self._num_users, self._num_topics

        def interests() -> FieldSpec:  # One spec object per variable: specs learn shapes.
            return FieldSpec([users, topics], tf.float32, box())

        return Value(state=Value(utilities=FieldSpec([users], tf.float32, box()),
                                 user_interests=interests()),
                     response=self._choice_model.specs(self._slate_size),
                     observation=Value(user_interests=interests()))

    def initial_state(self) -> Value:
        return Value(utilities=tf.zeros([self._num_users]),
                     user_interests=self._interest_prior())

    def next_state(self, previous_state: Value, user_response: Value, slate_docs: Value) -> Value:
        interests = previous_state.get("user_interests")
        choice = user_response.get("choice")
        utility = get_chosen(self._affinities(interests, slate_docs), choice)
        chosen = get_chosen(slate_docs.get("doc_features"), choice)
        return Value(utilities=tfd.Normal(utility, self._utility_stddev),
                     user_interests=interests + self._interest_step_size * (chosen - interests))

    def next_response(self, previous_state: Value, slate_docs: Value) -> Value:
        return self._choice_model.choice(
            self._affinities(previous_state.get("user_interests"), slate_docs))

    def observation(self, user_state: Value) -> Value:
        return user_state.at("user_interests")  # Fully observed.


class ClusteredNormalUserCoreDispersion(ClusteredNormalUser):
    """Users whose interest scale shrinks with the provider's distance from the origin:
    sigma_k = user_stddev / (1 + |mu_k|)."""

    def _component_scales(self) -> tf.Tensor:
        return self._user_stddev / (1.0 + tf.norm(self._provider_means, axis=-1))


def init_random_provider_clusters(provider_disp: float = 64.0, provider_fan_out: int = 2,
                                  num_provider_clusters: int = 40, num_topics: int = 2,
                                  seed: int = 0) -> np.ndarray:
    """Provider means `[clusters * fan_out, topics]`, float32, each cluster's providers adjacent.

    Cluster centres ~ N(0, provider_disp I); each provider ~ N(its centre, 0.5 I).
    """
    check_finite("provider_disp", provider_disp, low=0.0)
    for name, size in (("provider_fan_out", provider_fan_out),
                       ("num_provider_clusters", num_provider_clusters), ("num_topics", num_topics)):
        check_size(name, size)
    rng = np.random.default_rng(seed)
    centres = np.sqrt(provider_disp) * rng.standard_normal((num_provider_clusters, num_topics))
    offsets = np.sqrt(0.5) * rng.standard_normal(
        (num_provider_clusters * provider_fan_out, num_topics))
    return (np.repeat(centres, provider_fan_out, axis=0) + offsets).astype(np.float32)
