"""Switching, reset-or-continue and no-op-or-continue state models, per batch element."""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from recsim_ng.core import Network, Value, Variable
from recsim_ng.core.variable import value
from recsim_ng.entities.state_models import (ControlledLinearScaledGaussianStateModel,
                                             FiniteStateMarkovModel, NoOPOrContinueStateModel,
                                             ResetOrContinueStateModel, StaticTensor,
                                             SwitchingDynamicsStateModel)
from recsim_ng.lib import space
from recsim_ng.lib.field_spec import FieldSpec

tfd = tfp.distributions
FORWARD = tf.math.log([[[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]])  # One action.
BACKWARD = tf.math.log([[[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
START_AT_0 = tf.math.log([1.0, 0.0, 0.0])


def chain(kernel, batch_shape, initial_logits=START_AT_0):
    return FiniteStateMarkovModel(kernel, initial_logits, batch_shape)


def inputs(condition):
    condition = tf.constant(condition)
    return Value(condition=condition, input=tf.zeros(condition.shape, tf.int32))


@pytest.mark.parametrize("batch_shape", [[3], [2, 3]])
def test_switching_advances_each_element_with_its_branch(resolve, batch_shape):
    model = SwitchingDynamicsStateModel(chain(FORWARD, batch_shape), chain(BACKWARD, batch_shape))
    state, _ = resolve(model.initial_state(), model.specs())
    for name in ("state", "tbranch.state", "fbranch.state"):
        np.testing.assert_array_equal(state.get(name), np.zeros(batch_shape))
    condition = np.arange(np.prod(batch_shape)).reshape(batch_shape) % 2 == 0
    following, log_probs = resolve(model.next_state(state, inputs(condition)), model.specs())
    np.testing.assert_array_equal(following.get("state"), np.where(condition, 1, 2))
    np.testing.assert_array_equal(following.get("tbranch.state"), np.ones(batch_shape))
    np.testing.assert_array_equal(following.get("fbranch.state"), np.full(batch_shape, 2))
    assert set(log_probs) == {"tbranch.state", "fbranch.state"}  # The merge is deterministic.


def test_switching_specs_describe_each_branch():
    four_states = chain(tf.zeros([1, 4, 4]), [2], tf.zeros([4]))
    model = SwitchingDynamicsStateModel(chain(FORWARD, [2]), four_states)
    specs = model.specs()
    assert list(specs.as_dict) == ["tbranch.state", "fbranch.state", "state"]
    assert specs.get("tbranch.state").space == space.discrete(3)
    assert specs.get("fbranch.state").space == space.discrete(4)


def test_switching_merges_vector_fields_and_draws_that_depend_on_earlier_ones(resolve):
    """A reset StaticTensor draws `component_id`, then `state` as a callable of it."""
    dictionary = tf.constant([[1.0, 1.0], [2.0, 2.0]])
    static = StaticTensor(dictionary, tf.math.log([0.0, 1.0]), [2], return_component_id=True)
    model = ResetOrContinueStateModel(static)
    state, _ = resolve(model.initial_state(), model.specs())
    np.testing.assert_array_equal(state.get("fbranch.state"), [[2.0, 2.0], [2.0, 2.0]])
    previous = Value(state=tf.ones([2, 2]), component_id=tf.constant([0, 0]))
    following, _ = resolve(model.next_state(previous, inputs([True, False])), model.specs())
    np.testing.assert_array_equal(following.get("state"), [[2.0, 2.0], [1.0, 1.0]])
    np.testing.assert_array_equal(following.get("component_id"), [1, 0])


def test_switching_rejects_incompatible_branches_and_conditions():
    with pytest.raises(ValueError, match="batch shapes"):
        SwitchingDynamicsStateModel(chain(FORWARD, [2]), chain(FORWARD, [3]))
    static = StaticTensor(tf.zeros([3, 1]), tf.zeros([3]), [2], return_component_id=True)
    with pytest.raises(ValueError, match="fields"):
        SwitchingDynamicsStateModel(chain(FORWARD, [2]), static)
    nested = ResetOrContinueStateModel(chain(FORWARD, [2]))
    with pytest.raises(ValueError, match="cannot itself be a switching model"):
        SwitchingDynamicsStateModel(nested, nested)
    model = SwitchingDynamicsStateModel(chain(FORWARD, [2]), chain(BACKWARD, [2]))
    state = Value(state=tf.zeros([2], tf.int32))
    with pytest.raises(ValueError, match="condition must be a bool tensor of shape"):
        model.next_state(state, Value(condition=tf.constant([1, 0]), input=tf.zeros([2])))
    with pytest.raises(ValueError, match="field 'condition'"):
        model.next_state(state, Value(input=tf.zeros([2], tf.int32)))


def test_switching_parameters_are_prefixed_by_branch(resolve):
    model = SwitchingDynamicsStateModel(chain(None, [2]), chain(None, [2]))
    following = model.next_state(Value(state=tf.constant([0, 0])), inputs([True, False]),
                                 Value(**{"tbranch.transition_parameters": FORWARD,
                                          "fbranch.transition_parameters": BACKWARD}))
    resolved, _ = resolve(following, model.specs())
    np.testing.assert_array_equal(resolved.get("state"), [1, 2])
    with pytest.raises(ValueError, match="unknown parameters"):
        model.initial_state(Value(initial_dist_logits=START_AT_0))


@pytest.mark.parametrize("batch_shape", [[3], [2, 3]])
def test_reset_redraws_the_initial_state_where_the_condition_holds(resolve, batch_shape):
    model = ResetOrContinueStateModel(chain(FORWARD, batch_shape))
    state = Value(state=tf.fill(batch_shape, 1))
    condition = np.arange(np.prod(batch_shape)).reshape(batch_shape) % 3 == 0
    following, log_probs = resolve(model.next_state(state, inputs(condition)), model.specs())
    np.testing.assert_array_equal(following.get("state"), np.where(condition, 0, 2))
    assert set(log_probs) == {"tbranch.state", "fbranch.state"}


def test_reset_of_a_continuous_state_draws_fresh_values(resolve):
    model = ResetOrContinueStateModel(
        ControlledLinearScaledGaussianStateModel(2, control_scales=0.0, batch_shape=[4]))
    state = Value(state=tf.fill([4, 2], 100.0))
    condition = [True, False, True, False]
    following, _ = resolve(model.next_state(state, Value(condition=tf.constant(condition),
                                                         input=tf.zeros([4, 2]))), model.specs())
    merged = following.get("state").numpy()
    np.testing.assert_array_equal(merged[[1, 3]], np.full([2, 2], 100.0))
    np.testing.assert_array_equal(merged[[0, 2]], following.get("tbranch.state").numpy()[[0, 2]])
    assert np.all(np.abs(merged[[0, 2]]) < 10.0)


@pytest.mark.parametrize("batch_shape", [[3], [2, 3]])
def test_noop_keeps_the_state_where_the_condition_holds(resolve, batch_shape):
    model = NoOPOrContinueStateModel(chain(FORWARD, batch_shape))
    state, _ = resolve(model.initial_state(), model.specs())
    condition = np.arange(np.prod(batch_shape)).reshape(batch_shape) % 2 == 1
    following, log_probs = resolve(model.next_state(state, inputs(condition)), model.specs())
    np.testing.assert_array_equal(following.get("state"), np.where(condition, 0, 1))
    assert set(log_probs) == {"fbranch.state"}  # The kept state is no draw.


def test_reset_and_noop_take_the_wrapped_model_parameters_unprefixed(resolve):
    parameters = Value(transition_parameters=BACKWARD, initial_dist_logits=START_AT_0)
    for model in (ResetOrContinueStateModel(chain(None, [2], None)),
                  NoOPOrContinueStateModel(chain(None, [2], None))):
        following = model.next_state(Value(state=tf.constant([1, 1])), inputs([True, False]),
                                     parameters)
        resolved, _ = resolve(following, model.specs())
        kept_or_reset = 0 if isinstance(model, ResetOrContinueStateModel) else 1
        np.testing.assert_array_equal(resolved.get("state"), [kept_or_reset, 0])


def test_switching_models_in_a_network_score_their_trajectories(check_log_probability):
    """Random conditions pick per element between random transitions at every step."""
    batch = [4]
    random_chain = chain(tf.zeros([1, 3, 3]), batch, tf.zeros([3]))
    gaussian = ControlledLinearScaledGaussianStateModel(2, 0.9, 0.0, 0.5, 1.0, batch)
    models = {  # name: (model, its `input` field)
        "switching": (SwitchingDynamicsStateModel(random_chain, chain(FORWARD, batch)),
                      tf.zeros(batch, tf.int32)),
        "reset": (ResetOrContinueStateModel(gaussian), tf.zeros(batch + [2])),
        "noop": (NoOPOrContinueStateModel(random_chain), tf.zeros(batch, tf.int32)),
    }
    coin = Variable("coin", Value(condition=FieldSpec(batch, tf.bool)))
    coin.value = value(lambda: Value(condition=tfd.Bernoulli(logits=tf.zeros(batch),
                                                             dtype=tf.bool)))
    variables = [coin]
    for name, (model, model_input) in models.items():
        variable = Variable(name, model.specs())
        variable.initial_value = value(model.initial_state)
        variable.value = value(
            lambda previous, given, model=model, model_input=model_input: model.next_state(
                previous, Value(condition=given.get("condition"), input=model_input)),
            [variable.previous, coin])
        variables.append(variable)
    trajectory = check_log_probability(Network(variables), length=5)
    condition = trajectory["coin"].get("condition").numpy()[1:]
    noop = trajectory["noop"].map(lambda steps: steps.numpy())
    np.testing.assert_array_equal(noop.get("state")[1:], np.where(
        condition, noop.get("state")[:-1], noop.get("fbranch.state")[1:]))
