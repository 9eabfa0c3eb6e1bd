"""Every selector as a network field: log_probability replays the online log-probs."""

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from recsim_ng.core import Network, Value, Variable
from recsim_ng.core.variable import value
from recsim_ng.entities.choice_models import (
    ExponentialCascadeChoiceModel, IteratedMultinomialLogitChoiceModel, MultinomialLogitChoiceModel,
    MultinomialProportionalChoiceModel, PositionBasedClickModel, ProportionalCascadeChoiceModel,
    geometric_examination)
from recsim_ng.lib.field_spec import FieldSpec
from recsim_ng.lib.log_probability import log_probability, log_probability_fn, total_log_prob
from recsim_ng.lib.runtime import TFRuntime

tfd = tfp.distributions

NUM_USERS = 4
SLATE_SIZE = 3


def choice_network() -> Network:
    """Uniform slate scores in [-1, 1] each step, and every selector's response to them."""
    batch = [NUM_USERS]
    models = {
        "logit": MultinomialLogitChoiceModel(batch, 0.2, positional_bias=-0.1),
        "ranked": IteratedMultinomialLogitChoiceModel(2, batch, 0.2),
        "proportional": MultinomialProportionalChoiceModel(batch, -1.0, 1.0),
        "exponential_cascade": ExponentialCascadeChoiceModel(batch, 0.8, 0.3),
        "proportional_cascade": ProportionalCascadeChoiceModel(batch, 0.9, 0.4, -1.0),
    }
    clicks = PositionBasedClickModel(batch, geometric_examination(SLATE_SIZE, 0.7))
    slate = Variable("slate", Value(scores=FieldSpec(batch + [SLATE_SIZE], tf.float32)))
    slate.value = value(lambda: Value(scores=tfd.Uniform(-tf.ones(batch + [SLATE_SIZE]), 1.0)))
    specs = {name: model.specs().get("choice") for name, model in models.items()}
    response = Variable("response", Value(**specs, clicks=clicks.specs().get("clicks")))

    def respond(slate_value: Value) -> Value:
        scores = slate_value.get("scores")
        fields = {name: model.choice(scores).get("choice") for name, model in models.items()}
        return Value(**fields, clicks=clicks.clicks(tf.sigmoid(scores)).get("clicks"))

    response.value = value(respond, [slate])
    return Network([slate, response])


NETWORK = choice_network()


def test_log_probability_equals_recorded_online_log_probs():
    trajectory = TFRuntime(NETWORK, record_log_probs=True).trajectory(4, seed=3)
    online = trajectory.log_probs
    data = dict(trajectory)
    per_field = log_probability_fn(NETWORK).per_field(data)
    recorded = online["response"].as_dict
    assert set(recorded) == {"logit", "ranked", "proportional", "exponential_cascade",
                             "proportional_cascade", "clicks"}
    for field, log_prob in recorded.items():
        assert log_prob.shape == [4, NUM_USERS] and np.all(np.isfinite(log_prob))
        np.testing.assert_allclose(per_field["response"].get(field), log_prob, rtol=1e-5,
                                   atol=1e-5)
    np.testing.assert_allclose(log_probability(NETWORK, data), total_log_prob(online),
                               rtol=1e-5)
