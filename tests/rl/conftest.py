"""A small recommendation story for the RL adapter tests.

Users with an interest vector and a clock, a shared corpus of document features, an input `slate`
variable, a multinomial-logit choice among the slate plus "no click", reward 1 per click, and a
per-user `done` once the clock reaches that user's horizon (2, 3, 4, ... steps).
"""

import math

import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from recsim_ng.core import Network, Value, Variable
from recsim_ng.core.variable import value
from recsim_ng.lib.field_spec import FieldSpec
from recsim_ng.lib.space import Space, box, discrete

tfd = tfp.distributions

NUM_DOCS = 6
SLATE_SIZE = 2
DIM = 3


def recs_network(num_users: int) -> Network:
    """The story for `num_users` users; user `u` is done after `2 + u` steps."""
    horizon = tf.range(2, 2 + num_users)
    corpus = Variable("corpus", Value(features=FieldSpec(space=box(-1.0, 1.0))))
    corpus.initial_value = value(
        lambda: Value(features=tfd.Uniform(-tf.ones([NUM_DOCS, DIM]), 1.0)))
    user = Variable("user", Value(interest=FieldSpec(), clock=FieldSpec(dtype=tf.int32),
                                  done=FieldSpec(dtype=tf.bool)))
    user.initial_value = value(lambda: Value(
        interest=tfd.Normal(tf.zeros([num_users, DIM]), 1.0),
        clock=tf.zeros([num_users], tf.int32), done=tf.zeros([num_users], tf.bool)))
    user.value = value(lambda prev: Value(
        interest=tfd.Normal(prev.get("interest"), 0.1), clock=prev.get("clock") + 1,
        done=prev.get("clock") + 1 >= horizon), [user.previous])
    slate = Variable("slate", Value(docs=FieldSpec(
        dtype=tf.int32, space=Space(0, NUM_DOCS - 1, discrete=True))))
    slate.initial_value = value(lambda: Value(docs=tf.zeros([num_users, SLATE_SIZE], tf.int32)))

    def respond(u: Value, c: Value, s: Value) -> Value:
        shown = tf.gather(c.get("features"), s.get("docs"))  # [users, slate, dim]
        scores = tf.einsum("ud,usd->us", u.get("interest"), shown)
        logits = tf.concat([scores, tf.zeros([num_users, 1])], axis=-1)
        return Value(choice=tfd.Categorical(logits=logits, dtype=tf.int32),
                     reward=lambda choice: tf.cast(choice < SLATE_SIZE, tf.float32))

    response = Variable("response", Value(choice=FieldSpec(dtype=tf.int32,
                                                           space=discrete(SLATE_SIZE + 1)),
                                          reward=FieldSpec(dtype=tf.float32)))
    response.value = value(respond, [user, corpus, slate])
    return Network([corpus, user, slate, response])


ENV_ARGS = dict(observation={"user": ["interest"], "response": ["choice"]},
                shared_observation={"corpus": None}, reward=("response", "reward"),
                done=("user", "done"), shared_state=("corpus",))


@pytest.fixture(name="assert_beats")
def fixture_assert_beats():
    """`assert_beats(better, worse)`: `better`'s mean return exceeds `worse`'s by more than 3
    standard errors of the difference (two `EvaluationResult`s, treated as independent)."""

    def check(better, worse):
        difference_se = math.hypot(better.ci95_half_width, worse.ci95_half_width) / 1.96
        assert better.mean_return - worse.mean_return > 3 * difference_se, (better, worse)

    return check


@pytest.fixture(name="make_network")
def fixture_make_network():
    return recs_network


@pytest.fixture(name="env_args")
def fixture_env_args():
    return dict(ENV_ARGS)
