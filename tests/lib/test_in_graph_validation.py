"""Impossible logs are refused in every execution mode, not only eagerly.

Eagerly, scoring raises a `ValueError` naming the variable and field; inside a `tf.function` a
`tf.debugging` assertion names them when the graph runs; under XLA, which drops assertions, the
log-probability is -inf. The cases are the issue's: a negative click count, a slate showing a
document twice, and slate indices outside the corpus.
"""

import numpy as np
import pytest
import tensorflow as tf

from recsim_ng.applications.recsim_v1 import interest_evolution
from recsim_ng.core import Value
from recsim_ng.examples.reference_network import reference_network
from recsim_ng.lib.log_probability import TrajectoryLogProb, log_probability
from recsim_ng.lib.runtime import TFRuntime
from recsim_ng.lib.space import Space, box, discrete

REFERENCE = reference_network(3, num_docs=5, slate_size=2)
# RecSim v1 with its random agent: the slate is a random field (uniform over distinct
# candidates), scored by its distribution rather than recomputed.
V1 = interest_evolution(3, num_candidates=5, slate_size=2, uniform_random_slate=True)


def _trajectory(network):
    logged = TFRuntime(network).trajectory(4, seed=0)
    return {name: val.map(lambda x: x.numpy()) for name, val in logged.items()}


LOGS = {id(REFERENCE): _trajectory(REFERENCE), id(V1): _trajectory(V1)}


def _forged(network, name, field, change):
    """The network's logged trajectory, as tensors, with one field changed at step 2."""
    logs = {k: Value(**v.as_dict) for k, v in LOGS[id(network)].items()}
    fields = logs[name].as_dict
    array = fields[field].copy()
    change(array[2])
    fields[field] = array
    logs[name] = Value(**fields)
    return {k: v.map(tf.convert_to_tensor) for k, v in logs.items()}


def _negative(clicks):
    clicks[0] = -3


def _repeated(slates):
    slates[0, 1] = slates[0, 0]


def _past_the_corpus(slates):
    slates[0, 1] = 5


def _negative_index(slates):
    slates[1, 0] = -1


def _one_more(clicks):
    clicks[0] += 1


def _negative_click(clicks):
    clicks[0, 0] = -1


CASES = {
    "negative click count": (REFERENCE, "user", "clicks", _negative),
    "repeated document": (REFERENCE, "recommender", "slate", _repeated),
    "index past the corpus": (REFERENCE, "recommender", "slate", _past_the_corpus),
    "negative index": (REFERENCE, "recommender", "slate", _negative_index),
    "v1 repeated document": (V1, "slate", "slate", _repeated),
    "v1 index past the candidates": (V1, "slate", "slate", _past_the_corpus),
    "v1 negative click": (V1, "response", "click", _negative_click),
}


def _named(name, field):
    """A pattern of the message naming the field (TensorFlow escapes quotes in assertions)."""
    return rf"variable \\?'{name}\\?', field \\?'{field}\\?'"


@pytest.mark.parametrize("case", CASES)
def test_eager_scoring_raises_naming_the_field(case):
    network, name, field, change = CASES[case]
    with pytest.raises(ValueError, match=_named(name, field)):
        log_probability(network, _forged(network, name, field, change))


@pytest.mark.parametrize("case", CASES)
def test_scoring_in_a_users_tf_function_asserts_naming_the_field(case):
    network, name, field, change = CASES[case]
    forged = _forged(network, name, field, change)
    score = tf.function(lambda: log_probability(network, forged), autograph=False)
    with pytest.raises(tf.errors.InvalidArgumentError, match=_named(name, field)):
        score()


@pytest.mark.parametrize("case", CASES)
def test_scoring_under_xla_gives_minus_infinity(case):
    network, name, field, change = CASES[case]
    forged = _forged(network, name, field, change)
    score = tf.function(lambda: log_probability(network, forged), jit_compile=True,
                        autograph=False)
    assert score().numpy() == -np.inf


@pytest.mark.parametrize("case", CASES)
def test_an_xla_compiled_trajectory_log_prob_refuses_the_log(case):
    network, name, field, change = CASES[case]
    with pytest.raises(ValueError, match=_named(name, field)):
        TrajectoryLogProb(network, jit_compile=True)(_forged(network, name, field, change))


@pytest.mark.parametrize("network", [REFERENCE, V1], ids=["reference", "v1"])
def test_possible_logs_score_the_same_in_every_mode(network):
    logged = {name: val.map(tf.convert_to_tensor) for name, val in LOGS[id(network)].items()}
    eager = log_probability(network, logged).numpy()
    graph = tf.function(lambda: log_probability(network, logged), autograph=False)().numpy()
    xla = tf.function(lambda: log_probability(network, logged), jit_compile=True,
                      autograph=False)().numpy()
    assert np.isfinite(eager)
    np.testing.assert_allclose([graph, xla], [eager, eager], rtol=1e-5)


def test_infinite_logged_values_are_refused_in_every_mode():
    forged = _forged(REFERENCE, "user", "interest", lambda interest: interest.fill(np.inf))
    with pytest.raises(ValueError, match=_named("user", "interest")):
        log_probability(REFERENCE, forged)
    with pytest.raises(tf.errors.InvalidArgumentError, match=_named("user", "interest")):
        tf.function(lambda: log_probability(REFERENCE, forged), autograph=False)()
    xla = tf.function(lambda: log_probability(REFERENCE, forged), jit_compile=True,
                      autograph=False)
    assert xla().numpy() == -np.inf


def test_a_deterministic_field_the_network_does_not_reproduce_is_refused_in_graphs():
    clicks = LOGS[id(REFERENCE)]["user"].get("clicks")
    forged = _forged(REFERENCE, "user", "clicks", _one_more)
    assert clicks[2, 0] + 1 <= 2  # a possible count: only the network's own sum refutes it
    differ = _named("user", "clicks") + ": the logged values differ"
    with pytest.raises(tf.errors.InvalidArgumentError, match=differ):
        tf.function(lambda: log_probability(REFERENCE, forged), autograph=False)()
    xla = tf.function(lambda: log_probability(REFERENCE, forged), jit_compile=True,
                      autograph=False)
    assert xla().numpy() == -np.inf


def test_space_membership_in_graph_and_xla_matches_contains():
    slates = Space(0, 4, discrete=True, distinct=True)
    rows = np.array([[0, 4], [1, 1], [0, 5], [-1, 2], [3, 2]], np.int32)
    expected = [slates.contains(row) for row in rows]
    assert expected == [True, False, False, False, True]
    for compile_with_xla in (False, True):
        members = tf.function(lambda x: slates.tensor_contains(x, batch_dims=1),
                              jit_compile=compile_with_xla, autograph=False)
        np.testing.assert_array_equal(members(tf.constant(rows)), expected)
    assert not discrete(3).contains(np.array([0.5]))
    assert not box(0.0, 1.0).contains(np.array([np.nan]))
    assert box().contains(np.array([-np.inf, np.inf]))  # a box may be unbounded
