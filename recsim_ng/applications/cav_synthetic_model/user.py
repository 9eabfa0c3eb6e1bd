"""`ConceptActivationVectorUser`: users who rate and tag documents by their soft attributes.

The synthetic user model of "Discovering personalized semantics for soft attributes in
recommender systems using concept activation vectors" (arXiv 2202.02830). Each user (a static
state, drawn once) has
- a number of ratings `num_ratings ~ Zipf(zipf_power)`, of which the first `max_num_ratings`
  are kept;
- a tagging probability: 0 with probability `no_tagging_prob`, else `U(low, high)`;
- per tag, a personal tagging threshold: the objective threshold, or one of the tag's
  subjective thresholds picked uniformly (`threshold_component`); each rated document perturbs
  it by `N(0, tagging_threshold_eps^2)`;
- a utility vector: a Gaussian mixture draw over topics, masked by the user's `tag_sense` and
  clipped to [0, 1]. Tags fall into `num_subjective_tag_groups` groups (the first tags) of
  `subjective_tag_group_size` attributes; within each group the user perceives only the
  attribute the sense picks, the others are masked to 0 in both liking and tagging;
- utility peaks `U(utility_peak_low, 1)` per attribute, for a single-peaked affinity.

The response to the available documents: the user rates `num_rated = min(num_ratings,
max_num_ratings)` distinct documents, picked in order by multinomial logit without replacement
over `affinity / choice_temperature + popularity_weight * popularity_bias`; the first
`max_num_ratings` picks are drawn, the ones beyond `num_rated` are unrated. Each pick gets a
score `N(affinity, rating_noise_stddev^2)`, turned into ratings 1..5 by `ratings_from_scores`.
The user tags each rated document with probability `tagging_prob` and then attaches every tag
whose perceived attribute exceeds the threshold.

Every random quantity is a field, so a logged population has an exact log-probability; the
clipping, the mask, the ratings and the tags are deterministic functions of logged fields.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from recsim_ng.applications.cav_synthetic_model.corpus import read_topics, topic_mixture
from recsim_ng.core import Value, ValueSpec
from recsim_ng.entities.choice_models import StoppingIteratedMultinomialLogitChoiceModel
from recsim_ng.entities.choice_models.affinities import single_peaked
from recsim_ng.entities.recommendation import Config, User
from recsim_ng.lib.checks import check_finite, check_size
from recsim_ng.lib.field_spec import FieldSpec
from recsim_ng.lib.space import Space, box, discrete

tfd = tfp.distributions

NUM_RATING_LEVELS = 5


def ratings_from_scores(scores: tf.Tensor, num_rated: tf.Tensor) -> tf.Tensor:
    """Ratings 1..5 of each user's first `num_rated` scores `[..., M]`, 0 beyond them.

    A score's rating is the fifth of the user's [lowest, highest] rated-score range it falls in:
    the lowest gets 1, the highest 5, and a user's only rating is a 5. The user's `ratings` field
    is this function of its `scores` and `num_rated` fields.
    """
    scores = tf.convert_to_tensor(scores, tf.float32)
    rated = tf.range(tf.shape(scores)[-1]) < tf.expand_dims(num_rated, -1)
    lowest = tf.reduce_min(tf.where(rated, scores, np.inf), -1, keepdims=True)
    highest = tf.reduce_max(tf.where(rated, scores, -np.inf), -1, keepdims=True)
    spread = highest - lowest
    position = tf.where(spread > 0, (scores - lowest) / tf.where(spread > 0, spread, 1.0), 1.0)
    levels = tf.minimum(tf.floor(NUM_RATING_LEVELS * position), NUM_RATING_LEVELS - 1)
    return tf.where(rated, tf.cast(levels, tf.int32) + 1, 0)


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(f"ConceptActivationVectorUser: {message}")


class ConceptActivationVectorUser(User):
    """See the module docstring. Config keys: `num_users`, `num_docs`, `num_topics`,
    `topic_means` `[K, d]`, `num_tags` S < d, `num_subjective_tag_groups` J and
    `subjective_tag_group_size` G >= 2, with J * G <= S.

    `tagging_thresholds` `[S]` (default 0.5 each) are objective thresholds;
    `subjective_tagging_thresholds` `[S, C]` instead gives each tag C thresholds users pick from.
    """

    def __init__(self, config: Config, max_num_ratings: int = 10,
                 topic_logits: Sequence[float] | None = None, user_stddev: float = 0.5,
                 zipf_power: float = 1.35, choice_temperature: float = 1.0,
                 popularity_weight: float = 1.0, rating_noise_stddev: float = 0.02,
                 no_tagging_prob: float = 0.8, tagging_prob_low: float = 0.1,
                 tagging_prob_high: float = 0.5,
                 tagging_thresholds: Sequence[float] | None = None,
                 subjective_tagging_thresholds: np.ndarray | None = None,
                 tagging_threshold_eps: float = 0.01,
                 utility_peak_low: float | Sequence[float] = 0.3,
                 name: str = "ConceptActivationVectorUser"):
        super().__init__(config, name)
        for key in ("num_docs", "num_topics", "topic_means", "num_tags",
                    "num_subjective_tag_groups", "subjective_tag_group_size"):
            self._config_value(key)
        self._num_docs = config["num_docs"]
        self._num_tags = config["num_tags"]
        self._num_groups = config["num_subjective_tag_groups"]
        self._group_size = config["subjective_tag_group_size"]
        self._topic_means, self._topic_logits = read_topics(config, topic_logits, name)
        self._dimension = self._topic_means.shape[1]
        check_size("max_num_ratings", max_num_ratings)
        _require(1 <= max_num_ratings <= self._num_docs,
                 f"max_num_ratings must be in 1..num_docs={self._num_docs}, got {max_num_ratings}")
        _require(self._group_size >= 2, "subjective_tag_group_size must be at least 2, got"
                 f" {self._group_size}")
        _require(0 <= self._num_groups * self._group_size <= self._num_tags,
                 f"{self._num_groups} subjective tag groups of {self._group_size} tags do not fit"
                 f" in num_tags={self._num_tags}")
        _require(zipf_power > 1, f"zipf_power must exceed 1, got {zipf_power}")
        _require(0 <= no_tagging_prob <= 1, f"no_tagging_prob must be in [0, 1], got"
                 f" {no_tagging_prob}")
        _require(0 <= tagging_prob_low < tagging_prob_high <= 1,
                 f"need 0 <= tagging_prob_low < tagging_prob_high <= 1, got {tagging_prob_low},"
                 f" {tagging_prob_high}")
        check_finite("zipf_power", zipf_power)
        for scale, value in (("user_stddev", user_stddev),
                             ("choice_temperature", choice_temperature),
                             ("rating_noise_stddev", rating_noise_stddev),
                             ("tagging_threshold_eps", tagging_threshold_eps)):
            check_finite(scale, value, low=0.0, low_open=True)
        check_finite("popularity_weight", popularity_weight)
        # |single-peaked affinity| <= d and popularity_bias is in [0, 1], so the logits are
        # bounded by d / choice_temperature + |popularity_weight|: it must be a float32.
        logit_bound = self._dimension / choice_temperature + abs(popularity_weight)
        _require(logit_bound <= np.finfo(np.float32).max,
                 f"choice_temperature ({choice_temperature}) is so small that the logits"
                 f" affinity / choice_temperature + popularity_weight * popularity_bias, up to"
                 f" {logit_bound:.3g}, overflow float32")
        self._max_num_ratings = max_num_ratings
        self._user_stddev = user_stddev
        self._zipf_power = zipf_power
        self._choice_temperature = choice_temperature
        self._popularity_weight = popularity_weight
        self._rating_noise_stddev = rating_noise_stddev
        self._no_tagging_prob = no_tagging_prob
        self._tagging_prob_range = (tagging_prob_low, tagging_prob_high)
        self._thresholds = self._threshold_table(tagging_thresholds, subjective_tagging_thresholds)
        self._tagging_threshold_eps = tagging_threshold_eps
        peak_low = np.broadcast_to(np.asarray(utility_peak_low, np.float32), [self._dimension])
        _require(bool(np.all((peak_low >= 0) & (peak_low < 1))),
                 f"utility_peak_low must lie in [0, 1), got {utility_peak_low}")
        self._utility_peak_low = peak_low
        self._choice_model = StoppingIteratedMultinomialLogitChoiceModel(
            max_num_ratings, [self._num_users], nochoice_logits=-np.inf)

    def _threshold_table(self, objective: Sequence[float] | None,
                         subjective: np.ndarray | None) -> np.ndarray:
        """The `[S, C]` thresholds each tag's users pick from (C = 1 for objective ones)."""
        _require(objective is None or subjective is None,
                 "give tagging_thresholds or subjective_tagging_thresholds, not both")
        if subjective is not None:
            table = check_finite("subjective_tagging_thresholds", subjective).astype(np.float32)
            _require(table.ndim == 2 and table.shape[0] == self._num_tags,
                     f"subjective_tagging_thresholds must have shape [num_tags={self._num_tags},"
                     f" C], got {table.shape}")
            return table
        table = np.full([self._num_tags], 0.5, np.float32) if objective is None else check_finite(
            "tagging_thresholds", objective).astype(np.float32)
        _require(table.shape == (self._num_tags,), f"tagging_thresholds must have shape"
                 f" [num_tags={self._num_tags}], got {table.shape}")
        return table[:, np.newaxis]

    def specs(self) -> ValueSpec:
        users, slots, tags = self._num_users, self._max_num_ratings, self._num_tags
        vectors = [users, self._dimension]
        state = Value(
            num_ratings=FieldSpec([users], tf.int32, Space(1, np.inf, discrete=True)),
            tagging_prob=FieldSpec([users], tf.float32, box(0.0, 1.0)),
            threshold_component=FieldSpec([users, tags], tf.int32,
                                          discrete(self._thresholds.shape[1])),
            tagging_thresholds=FieldSpec([users, slots, tags], tf.float32, box()),
            untruncated_utility=FieldSpec(vectors, tf.float32, box()),
            tag_sense=FieldSpec([users], tf.int32, discrete(self._group_size)),
            utility_mask=FieldSpec(vectors, tf.float32, box(0.0, 1.0)),
            utility_vector=FieldSpec(vectors, tf.float32, box(0.0, 1.0)),
            utility_peaks=FieldSpec(vectors, tf.float32, box(0.0, 1.0)))
        response = Value(
            num_rated=FieldSpec([users], tf.int32, Space(1, slots, discrete=True)),
            rated_docs=FieldSpec([users, slots], tf.int32, discrete(self._num_docs)),
            scores=FieldSpec([users, slots], tf.float32, box()),
            ratings=FieldSpec([users, slots], tf.int32, Space(0, NUM_RATING_LEVELS, True)),
            is_doc_tagged=FieldSpec([users, slots], tf.int32, discrete(2)),
            tags=FieldSpec([users, slots, tags], tf.int32, discrete(2)))
        return Value(state=state, response=response, observation=Value())

    def initial_state(self) -> Value:
        users, dims = self._num_users, self._dimension
        low, high = self._tagging_prob_range
        tagging_prob = tfd.Mixture(
            tfd.Categorical(probs=tf.broadcast_to(
                tf.constant([self._no_tagging_prob, 1 - self._no_tagging_prob]), [users, 2])),
            [tfd.Deterministic(tf.zeros([users])),
             tfd.Uniform(tf.fill([users], np.float32(low)), tf.fill([users], np.float32(high)))])
        return Value(
            num_ratings=tfd.Zipf(tf.fill([users], np.float32(self._zipf_power)), dtype=tf.int32),
            tagging_prob=tagging_prob,
            threshold_component=tfd.Categorical(
                logits=tf.zeros([users, *self._thresholds.shape]), dtype=tf.int32),
            tagging_thresholds=self._perturbed_thresholds,
            untruncated_utility=topic_mixture(self._topic_means, self._topic_logits,
                                              self._user_stddev, users),
            tag_sense=tfd.Categorical(logits=tf.zeros([users, self._group_size]), dtype=tf.int32),
            utility_mask=self._utility_mask,
            utility_vector=lambda untruncated_utility, utility_mask: tf.clip_by_value(
                untruncated_utility * utility_mask, 0.0, 1.0),
            utility_peaks=tfd.Uniform(tf.broadcast_to(self._utility_peak_low, [users, dims]),
                                      tf.ones([users, dims])))

    def _perturbed_thresholds(self, threshold_component: tf.Tensor) -> tfd.Distribution:
        """Each rated slot's thresholds `[users, slots, tags]` around the user's own ones."""
        users = self._num_users
        table = tf.broadcast_to(self._thresholds, [users, *self._thresholds.shape])
        own = tf.gather(table, threshold_component, batch_dims=2)  # [users, tags]
        means = tf.broadcast_to(own[:, tf.newaxis, :],
                                [users, self._max_num_ratings, self._num_tags])
        return tfd.Normal(means, self._tagging_threshold_eps)

    def _utility_mask(self, tag_sense: tf.Tensor) -> tf.Tensor:
        """1 for the attributes a user perceives: one per subjective group, and all others."""
        sense = tf.tile(tf.one_hot(tag_sense, self._group_size), [1, self._num_groups])
        rest = self._dimension - self._num_groups * self._group_size
        return tf.concat([sense, tf.ones([self._num_users, rest])], -1)

    def next_state(self, previous_state: Value, user_response: Value, slate_docs: Value) -> Value:
        del user_response, slate_docs
        return previous_state

    def observation(self, user_state: Value) -> Value:
        del user_state
        return Value()

    def next_response(self, previous_state: Value, slate_docs: Value) -> Value:
        """Ratings and tags of the documents in `slate_docs` (`attribute_vector` `[D, d]` and
        `popularity_bias` `[D]`, shared by all users)."""
        num_rated = tf.clip_by_value(previous_state.get("num_ratings"), 1, self._max_num_ratings)
        attributes = slate_docs.get("attribute_vector")
        affinity = single_peaked(previous_state.get("utility_vector"), attributes,
                                 previous_state.get("utility_peaks"))  # [users, docs]
        logits = (affinity / self._choice_temperature
                  + self._popularity_weight * slate_docs.get("popularity_bias"))
        rated = tf.range(self._max_num_ratings) < num_rated[:, tf.newaxis]
        tagging_prob = tf.where(rated, previous_state.get("tagging_prob")[:, tf.newaxis], 0.0)

        def tags(rated_docs: tf.Tensor, is_doc_tagged: tf.Tensor) -> tf.Tensor:
            mask = previous_state.get("utility_mask")[:, tf.newaxis, :]
            perceived = tf.gather(attributes, rated_docs) * mask  # [users, slots, d]
            above = perceived[..., :self._num_tags] > previous_state.get("tagging_thresholds")
            return tf.cast(above, tf.int32) * is_doc_tagged[..., tf.newaxis]

        return Value(
            num_rated=num_rated,
            rated_docs=self._choice_model.choice(logits).get("choice"),
            scores=lambda rated_docs: tfd.Normal(
                tf.gather(affinity, rated_docs, batch_dims=1), self._rating_noise_stddev),
            ratings=ratings_from_scores,
            is_doc_tagged=tfd.Bernoulli(probs=tagging_prob, dtype=tf.int32),
            tags=tags)
