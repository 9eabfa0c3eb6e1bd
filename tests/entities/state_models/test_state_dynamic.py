"""Linear Gaussian, finite-state Markov and recurrent-cell state models."""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from recsim_ng.core import Network, Value, Variable
from recsim_ng.core.variable import value
from recsim_ng.entities.state_models import (ControlledLinearGaussianStateModel,
                                             ControlledLinearScaledGaussianStateModel,
                                             FiniteStateMarkovModel, LinearGaussianStateModel,
                                             RNNCellStateModel)
from recsim_ng.lib.field_spec import FieldSpec

tfd = tfp.distributions
NUM_DRAWS = 20000
SEED = (4, 2)
TRANSITION = tf.constant([[0.9, 0.2], [-0.1, 0.8]])
CONTROL = tf.constant([[1.0, 0.0], [0.5, 2.0]])
NOISE_SCALE = tf.constant([[0.5, 0.0], [0.3, 0.2]])  # Lower-triangular.
INITIAL_SCALE = tf.constant([[2.0, 0.0], [1.0, 1.0]])


def controlled(batch_shape, noise=True):
    triangular = tf.linalg.LinearOperatorLowerTriangular
    return ControlledLinearGaussianStateModel(
        tf.linalg.LinearOperatorFullMatrix, tf.linalg.LinearOperatorFullMatrix, triangular,
        triangular if noise else None, initial_dist_scale=INITIAL_SCALE,
        transition_parameters=TRANSITION, transition_noise_scale=NOISE_SCALE,
        control_parameters=CONTROL, batch_shape=batch_shape)


def assert_gaussian_moments(draws, mean, covariance):
    """Empirical mean within 4 standard errors of `mean`, covariance within 4 of `covariance`.

    `draws` is `[n, ..., D]`; the variance of a sample covariance entry (i, j) of a Gaussian is
    (S_ii S_jj + S_ij^2) / n.
    """
    draws = np.asarray(draws, np.float64)
    n = draws.shape[0]
    variances = np.diagonal(covariance, axis1=-2, axis2=-1)
    np.testing.assert_array_less(np.abs(draws.mean(0) - mean), 4 * np.sqrt(variances / n))
    centred = draws - mean
    empirical = np.einsum("n...i,n...j->...ij", centred, centred) / n
    entry_variance = (variances[..., :, None] * variances[..., None, :] + covariance**2) / n
    np.testing.assert_array_less(np.abs(empirical - covariance), 4 * np.sqrt(entry_variance))


@pytest.mark.parametrize("batch_shape", [[3], [2, 3]])
def test_linear_gaussian_shapes_and_specs(resolve, batch_shape):
    model = controlled(batch_shape)
    state, _ = resolve(model.initial_state(), model.specs())
    assert state.get("state").shape == batch_shape + [2]
    inputs = Value(input=tf.ones(batch_shape + [2]))
    following, _ = resolve(model.next_state(state, inputs), model.specs())
    assert following.get("state").shape == batch_shape + [2]


def test_initial_state_is_centred_with_the_initial_covariance():
    state = controlled([]).initial_state().get("state")
    covariance = (INITIAL_SCALE @ tf.transpose(INITIAL_SCALE)).numpy()
    assert_gaussian_moments(state.sample(NUM_DRAWS, seed=SEED), np.zeros(2), covariance)


def test_next_state_is_a_x_plus_b_u_plus_the_noise():
    x = tf.constant([[1.0, -1.0], [0.0, 2.0], [3.0, 0.5]])
    u = tf.constant([[0.5, 0.5], [-1.0, 0.0], [0.0, 0.0]])
    following = controlled([3]).next_state(Value(state=x), Value(input=u)).get("state")
    mean = tf.linalg.matvec(TRANSITION, x) + tf.linalg.matvec(CONTROL, u)
    covariance = np.broadcast_to(NOISE_SCALE @ tf.transpose(NOISE_SCALE), [3, 2, 2])
    assert_gaussian_moments(following.sample(NUM_DRAWS, seed=SEED), mean.numpy(), covariance)
    points = following.sample(5, seed=SEED)
    by_hand = tfd.MultivariateNormalTriL(mean, NOISE_SCALE).log_prob(points)
    np.testing.assert_allclose(following.log_prob(points), by_hand, rtol=1e-5)


def test_without_a_noise_constructor_the_transition_is_deterministic():
    x, u = tf.constant([[1.0, -1.0]]), tf.constant([[0.5, 2.0]])
    following = controlled([1], noise=False).next_state(Value(state=x), Value(input=u))
    expected = tf.linalg.matvec(TRANSITION, x) + tf.linalg.matvec(CONTROL, u)
    np.testing.assert_allclose(following.get("state"), expected, rtol=1e-6)


def test_controlled_model_names_its_missing_input():
    with pytest.raises(ValueError, match="field 'input'"):
        controlled([1]).next_state(Value(state=tf.zeros([1, 2])))


def test_uncontrolled_model_ignores_inputs_and_keeps_its_name():
    model = LinearGaussianStateModel(
        tf.linalg.LinearOperatorFullMatrix, tf.linalg.LinearOperatorLowerTriangular,
        initial_dist_scale=INITIAL_SCALE, transition_parameters=TRANSITION, name="drift")
    assert model.name == "drift"
    x = tf.constant([1.0, 2.0])
    following = model.next_state(Value(state=x), Value(input=tf.ones([2])))
    np.testing.assert_allclose(following.get("state"), tf.linalg.matvec(TRANSITION, x))


def test_scaled_model_moments_per_user_and_defaults():
    a, b, n = tf.constant([0.5, 1.0, 2.0]), tf.constant(3.0), tf.constant([0.1, 1.0, 0.5])
    model = ControlledLinearScaledGaussianStateModel(2, a, b, n, batch_shape=[3])
    x, u = tf.ones([3, 2]), tf.fill([3, 2], 0.5)
    following = model.next_state(Value(state=x), Value(input=u)).get("state")
    covariance = (n.numpy()**2)[:, None, None] * np.eye(2)
    assert_gaussian_moments(following.sample(NUM_DRAWS, seed=SEED),
                            (a[:, None] * x + b * u).numpy(), covariance)
    initial = model.initial_state().get("state")
    np.testing.assert_allclose(initial.covariance(), np.broadcast_to(np.eye(2), [3, 2, 2]))
    identity = ControlledLinearScaledGaussianStateModel(2, batch_shape=[3])
    np.testing.assert_allclose(identity.next_state(Value(state=x), Value(input=u)).get("state"),
                               x + u)
    with pytest.raises(ValueError, match="dim must be >= 1"):
        ControlledLinearScaledGaussianStateModel(0)


FORWARD = [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
KERNEL = tf.math.log(tf.constant([  # Action 0 steps forward on a 3-cycle; action 1 is random.
    FORWARD, [[0.2, 0.3, 0.5], [0.6, 0.2, 0.2], [0.1, 0.1, 0.8]]]))
INITIAL_LOGITS = tf.math.log([0.5, 0.3, 0.2])


@pytest.mark.parametrize("batch_shape", [[3], [2, 3]])
def test_markov_shapes_specs_and_deterministic_rows(resolve, batch_shape):
    model = FiniteStateMarkovModel(KERNEL, INITIAL_LOGITS, batch_shape)
    state, _ = resolve(model.initial_state(), model.specs())
    inputs = Value(input=tf.zeros(batch_shape, tf.int32))
    following, log_probs = resolve(model.next_state(state, inputs), model.specs())
    np.testing.assert_array_equal(following.get("state"), (state.get("state") + 1) % 3)
    np.testing.assert_array_equal(log_probs["state"], np.zeros(batch_shape))
    assert model.specs().get("state").space.high == 2


def test_markov_initial_and_next_state_frequencies_follow_the_kernel(resolve):
    model = FiniteStateMarkovModel(KERNEL, INITIAL_LOGITS, [NUM_DRAWS])
    state, log_probs = resolve(model.initial_state(), model.specs(), seed=5)
    drawn = state.get("state").numpy()
    probabilities = np.array([0.5, 0.3, 0.2])
    np.testing.assert_array_less(
        np.abs(np.bincount(drawn, minlength=3) / NUM_DRAWS - probabilities),
        4 * np.sqrt(probabilities * (1 - probabilities) / NUM_DRAWS))
    np.testing.assert_allclose(np.exp(log_probs["state"]), probabilities[drawn], rtol=1e-5)
    previous = tf.constant([1] * NUM_DRAWS)
    following, log_probs = resolve(model.next_state(
        Value(state=previous), Value(input=tf.ones([NUM_DRAWS], tf.int32))), model.specs(), seed=6)
    row = np.array([0.6, 0.2, 0.2])
    drawn = following.get("state").numpy()
    np.testing.assert_array_less(np.abs(np.bincount(drawn, minlength=3) / NUM_DRAWS - row),
                                 4 * np.sqrt(row * (1 - row) / NUM_DRAWS))
    np.testing.assert_allclose(np.exp(log_probs["state"]), row[drawn], rtol=1e-5)


def test_markov_per_user_kernels_and_rows_summing_to_one():
    kernels = tf.stack([KERNEL, tf.reverse(KERNEL, axis=[-1])])  # [2, A, S, S]
    model = FiniteStateMarkovModel(kernels, INITIAL_LOGITS, [2])
    following = model.next_state(Value(state=tf.constant([0, 0])),
                                 Value(input=tf.constant([1, 1]))).get("state")
    probabilities = np.exp([following.log_prob(tf.fill([2], s)) for s in range(3)]).T
    np.testing.assert_allclose(probabilities, [[0.2, 0.3, 0.5], [0.5, 0.3, 0.2]], rtol=1e-5)
    np.testing.assert_allclose(probabilities.sum(-1), [1.0, 1.0], rtol=1e-6)


@pytest.mark.parametrize("batch_shape", [[3], [2, 3]])
def test_rnn_cell_state_is_the_cell_applied_per_element(resolve, batch_shape):
    cell = tf.keras.layers.GRUCell(4)
    model = RNNCellStateModel(cell, input_size=2, state_size=4, batch_shape=batch_shape)
    assert {id(v) for v in model.trainable_variables} == {  # Keras 3 wraps a tf.Variable.
        id(v if isinstance(v, tf.Variable) else v.value) for v in cell.trainable_variables}
    state, _ = resolve(model.initial_state(), model.specs())
    zero_output, zero_state = cell(tf.zeros([1, 2]), tf.zeros([1, 4]))
    np.testing.assert_allclose(state.get("state"),
                               np.broadcast_to(zero_state, batch_shape + [4]), rtol=1e-6)
    inputs = tf.reshape(tf.range(np.prod(batch_shape) * 2, dtype=tf.float32), batch_shape + [2])
    following, _ = resolve(model.next_state(state, Value(input=inputs)), model.specs())
    output, new_state = cell(tf.reshape(inputs, [-1, 2]), tf.reshape(state.get("state"), [-1, 4]))
    np.testing.assert_allclose(following.get("cell_output"),
                               tf.reshape(output, batch_shape + [4]), rtol=1e-6)
    np.testing.assert_allclose(following.get("state"),
                               tf.reshape(new_state, batch_shape + [4]), rtol=1e-6)
    with pytest.raises(ValueError, match="unknown parameters"):
        model.initial_state(Value(units=3))


def test_dynamic_models_in_a_network_score_their_trajectories(check_log_probability):
    """A random action drives a Markov chain, a random vector drives the Gaussian models."""
    batch = [3]
    models = {
        "gaussian": controlled(batch),
        "noiseless": controlled(batch, noise=False),
        "scaled": ControlledLinearScaledGaussianStateModel(2, 0.9, 1.0, 0.5, 2.0, batch),
        "markov": FiniteStateMarkovModel(KERNEL, INITIAL_LOGITS, batch),
        "rnn": RNNCellStateModel(tf.keras.layers.GRUCell(2), 2, 2, batch),
    }
    inputs = Variable("inputs", Value(action=FieldSpec(batch, tf.int32),
                                      signal=FieldSpec(batch + [2], tf.float32)))
    inputs.value = value(lambda: Value(action=tfd.Categorical(logits=tf.zeros(batch + [2])),
                                       signal=tfd.Normal(tf.zeros(batch + [2]), 1.0)))
    variables = [inputs]
    for name, model in models.items():
        field = "action" if name == "markov" else "signal"
        variable = Variable(name, model.specs())
        variable.initial_value = value(model.initial_state)
        variable.value = value(
            lambda previous, given, model=model, field=field: model.next_state(
                previous, Value(input=given.get(field))), [variable.previous, inputs])
        variables.append(variable)
    trajectory = check_log_probability(Network(variables))
    assert trajectory.log_probs["markov"].get("state").shape == [4] + batch
