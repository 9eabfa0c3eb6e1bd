"""The interest evolution, ecosystem and latent-variable users and corpora reject NaN, infinite and
degenerate parameters, naming them (the soft-attribute ones: test_cav_parameter_checks.py)."""

import numpy as np
import pytest
import tensorflow as tf

from recsim_ng.applications.ecosystem_simulation.corpus import ViableCorpus
from recsim_ng.applications.ecosystem_simulation.user import ClusteredNormalUser
from recsim_ng.applications.interest_evolution.corpus import (CorpusWithTopicAndQuality,
                                                              topic_quality_means)
from recsim_ng.applications.interest_evolution.user import InterestEvolutionUser
from recsim_ng.applications.latent_variable_model_learning.user import ModelLearningDemoUser
from recsim_ng.core import Value

NAN, INF = float("nan"), float("inf")
CONFIG = {"num_users": 2, "num_topics": 2, "slate_size": 2, "num_docs": 4,
          "provider_means": np.array([[0.0, 1.0], [1.0, 0.0]], np.float32)}


@pytest.mark.parametrize("make, name", [
    (lambda: InterestEvolutionUser(CONFIG, no_click_logit=NAN), "nochoice_logits"),
    (lambda: InterestEvolutionUser(CONFIG, choice_offset=INF), "choice_offset"),
    (lambda: InterestEvolutionUser(CONFIG, interest_step_size=NAN), "interest_step_size"),
    (lambda: InterestEvolutionUser(CONFIG, max_user_affinity=0.0), "max_user_affinity"),
    (lambda: InterestEvolutionUser(CONFIG, max_user_affinity=NAN), "max_user_affinity"),
    (lambda: CorpusWithTopicAndQuality(CONFIG, topic_min_utility=NAN), "topic_min_utility"),
    (lambda: CorpusWithTopicAndQuality(CONFIG, topic_max_utility=INF), "topic_max_utility"),
    (lambda: CorpusWithTopicAndQuality(CONFIG, video_length=0.0), "video_length"),
    (lambda: CorpusWithTopicAndQuality(CONFIG, quality_stddev=NAN), "quality_stddev"),
    (lambda: CorpusWithTopicAndQuality(CONFIG, feature_stddev=-1.0), "feature_stddev"),
    (lambda: topic_quality_means(4, trashy_fraction=NAN), "trashy_fraction"),
    (lambda: ClusteredNormalUser(CONFIG, user_stddev=NAN), "user_stddev"),
    (lambda: ClusteredNormalUser(CONFIG, user_stddev=0.0), "user_stddev"),
    (lambda: ClusteredNormalUser(CONFIG, interest_step_size=INF), "interest_step_size"),
    (lambda: ClusteredNormalUser(CONFIG, utility_stddev=NAN), "utility_stddev"),
    (lambda: ClusteredNormalUser(CONFIG, utility_stddev=0.0), "utility_stddev"),
    (lambda: ClusteredNormalUser({**CONFIG, "provider_means": [[0.0, NAN], [1.0, 0.0]]}),
     "provider_means"),
    (lambda: ViableCorpus(CONFIG, gamma=NAN), "gamma"),
    (lambda: ViableCorpus(CONFIG, discount=1.5), "discount"),
    (lambda: ViableCorpus(CONFIG, provider_stddev=0.0), "provider_stddev"),
    (lambda: ViableCorpus({**CONFIG, "provider_means": [[0.0, INF], [1.0, 0.0]]}),
     "provider_means"),
    (lambda: ModelLearningDemoUser(CONFIG, satisfaction_sensitivity=NAN),
     "satisfaction_sensitivity"),
    (lambda: ModelLearningDemoUser(CONFIG, intent_variance=0.0), "intent_variance"),
    (lambda: ModelLearningDemoUser(CONFIG, intent_variance=NAN), "intent_variance"),
    (lambda: ModelLearningDemoUser(CONFIG, satisfaction_noise=INF), "satisfaction_noise"),
    (lambda: ModelLearningDemoUser(CONFIG, initial_satisfaction=NAN), "initial_satisfaction"),
])
def test_bad_parameters_are_named(make, name):
    with pytest.raises(ValueError, match=name):
        make()


@pytest.mark.parametrize("mode", ["eager", "graph"])
def test_a_trained_sensitivity_that_turns_nan_is_named_when_used(mode):
    user = ModelLearningDemoUser(CONFIG)
    state = Value(intent=tf.zeros([2, 2]), satisfaction=tf.ones([2]),
                  max_slate_utility=tf.zeros([2]))
    docs = Value(features=tf.zeros([2, 2, 2]))

    def satisfaction_log_prob():
        return user.next_state(state, Value(), docs).get("satisfaction").log_prob(tf.ones([2]))

    if mode == "graph":
        satisfaction_log_prob = tf.function(satisfaction_log_prob, autograph=False)
    assert np.all(np.isfinite(satisfaction_log_prob()))
    user.satisfaction_sensitivity.assign([0.8, NAN])
    with pytest.raises(tf.errors.InvalidArgumentError, match="satisfaction_sensitivity"):
        satisfaction_log_prob()
