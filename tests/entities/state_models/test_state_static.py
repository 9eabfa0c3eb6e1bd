"""Static state models: shapes, choice frequencies, mixture densities, and exact log-probs."""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from recsim_ng.core import Network, Value, Variable
from recsim_ng.core.variable import value
from recsim_ng.entities.state_models import GMMVector, HierarchicalStaticTensor, StaticTensor
from recsim_ng.lib import space

tfd = tfp.distributions
DICTIONARY = tf.constant([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0], [6.0, 7.0]])
LOGITS = tf.constant([0.0, 1.0, 2.0, -1.0])
NUM_DRAWS = 20000


def assert_frequencies(indices, probabilities):
    """Empirical frequencies of `indices` within 4 standard errors of `probabilities`."""
    indices = np.asarray(indices).ravel()
    probabilities = np.asarray(probabilities)
    frequencies = np.bincount(indices, minlength=len(probabilities)) / indices.size
    standard_error = np.sqrt(probabilities * (1 - probabilities) / indices.size)
    np.testing.assert_array_less(np.abs(frequencies - probabilities), 4 * standard_error + 1e-12)


def index_of(states, dictionary):
    """The row of `dictionary` equal to each state `[..., D]`."""
    matches = np.all(np.asarray(states)[..., None, :] == np.asarray(dictionary), axis=-1)
    assert np.all(matches.sum(-1) == 1)
    return matches.argmax(-1)


@pytest.mark.parametrize("batch_shape", [[3], [2, 3]])
@pytest.mark.parametrize("return_component_id", [False, True])
def test_static_tensor_shapes_specs_and_unchanged_next_state(resolve, batch_shape,
                                                              return_component_id):
    model = StaticTensor(DICTIONARY, LOGITS, batch_shape, return_component_id)
    state, _ = resolve(model.initial_state(), model.specs())
    assert state.get("state").shape == batch_shape + [2]
    if return_component_id:
        assert state.get("component_id").shape == batch_shape
        assert model.specs().get("component_id").space == space.discrete(4)
        np.testing.assert_array_equal(state.get("state"),
                                      tf.gather(DICTIONARY, state.get("component_id")))
    following, _ = resolve(model.next_state(state), model.specs())
    assert following == state


@pytest.mark.parametrize("return_component_id", [False, True])
def test_static_tensor_frequencies_and_log_probs_follow_the_logits(resolve, return_component_id):
    model = StaticTensor(DICTIONARY, LOGITS, [NUM_DRAWS], return_component_id)
    state, log_probs = resolve(model.initial_state(), model.specs(), seed=1)
    indices = index_of(state.get("state"), DICTIONARY)
    probabilities = tf.nn.softmax(LOGITS).numpy()
    assert_frequencies(indices, probabilities)
    random_field = "component_id" if return_component_id else "state"
    np.testing.assert_allclose(np.exp(log_probs[random_field]), probabilities[indices], rtol=1e-5)


def test_static_tensor_mixture_sums_equal_tensors_and_to_one():
    dictionary = tf.constant([[1.0], [2.0], [1.0]])  # Tensor [1.0] can be drawn two ways.
    state = StaticTensor(dictionary, tf.zeros([3])).initial_state().get("state")
    probabilities = np.exp([state.log_prob([1.0]), state.log_prob([2.0])])
    np.testing.assert_allclose(probabilities, [2 / 3, 1 / 3], rtol=1e-6)
    assert probabilities.sum() == pytest.approx(1.0)


def test_static_tensor_per_user_logits_with_a_shared_dictionary(resolve):
    logits = tf.constant([[9.0, 0.0, 0.0, 0.0], [0.0, 0.0, 9.0, 0.0], [0.0, 0.0, 0.0, 9.0]])
    model = StaticTensor(DICTIONARY[tf.newaxis], logits, [2, 3], return_component_id=True)
    state, log_probs = resolve(model.initial_state(), model.specs())
    expected = tf.nn.log_softmax(logits).numpy()[[0, 1, 2], state.get("component_id").numpy()]
    np.testing.assert_allclose(log_probs["component_id"], expected, rtol=1e-5, atol=1e-6)


def test_static_tensor_dictionary_must_match_the_batch():
    with pytest.raises(ValueError, match="tensor_dictionary"):
        StaticTensor(tf.zeros([4, 4, 2]), tf.zeros([1, 4]), [3]).initial_state()


CLUSTERS = tf.constant([0, 1, 1, 1])  # Tensor 0 alone in cluster 0, tensors 1..3 in cluster 1.
CLUSTER_LOGITS = tf.math.log([0.4, 0.6])


@pytest.mark.parametrize("batch_shape", [[3], [2, 3]])
def test_hierarchical_shapes_and_specs(resolve, batch_shape):
    model = HierarchicalStaticTensor(DICTIONARY, CLUSTERS, CLUSTER_LOGITS, batch_shape, True)
    state, _ = resolve(model.initial_state(), model.specs())
    assert state.get("state").shape == batch_shape + [2]
    assert state.get("component_id").shape == batch_shape


def test_hierarchical_picks_a_cluster_then_a_member_uniformly(resolve):
    model = HierarchicalStaticTensor(DICTIONARY, CLUSTERS, CLUSTER_LOGITS, [NUM_DRAWS])
    state, log_probs = resolve(model.initial_state(), model.specs(), seed=2)
    probabilities = np.array([0.4, 0.2, 0.2, 0.2])
    indices = index_of(state.get("state"), DICTIONARY)
    assert_frequencies(indices, probabilities)
    np.testing.assert_allclose(np.exp(log_probs["state"]), probabilities[indices], rtol=1e-5)
    single = HierarchicalStaticTensor(DICTIONARY, CLUSTERS, CLUSTER_LOGITS).initial_state()
    total = sum(np.exp(single.get("state").log_prob(row)) for row in DICTIONARY)
    assert total == pytest.approx(1.0, rel=1e-6)


def test_hierarchical_rejects_empty_clusters_and_bad_assignments_at_construction():
    with pytest.raises(ValueError, match=r"clusters \[2\] have no member"):
        HierarchicalStaticTensor(DICTIONARY, CLUSTERS, tf.zeros([3]))
    with pytest.raises(ValueError, match="must lie in 0..1"):
        HierarchicalStaticTensor(DICTIONARY, tf.constant([0, 1, 2, 1]), tf.zeros([2]))


def test_hierarchical_checks_parameters_given_per_call_inside_a_graph():
    model = HierarchicalStaticTensor(batch_shape=[2])

    @tf.function(autograph=False)
    def log_prob_of_first(assignments):
        parameters = Value(tensor_dictionary=DICTIONARY, cluster_assignments=assignments,
                           cluster_logits=CLUSTER_LOGITS)
        return model.initial_state(parameters).get("state").log_prob(DICTIONARY[0])

    np.testing.assert_allclose(log_prob_of_first(CLUSTERS), np.log([0.4, 0.4]), rtol=1e-6)
    with pytest.raises(tf.errors.InvalidArgumentError, match="a cluster has no member"):
        log_prob_of_first(tf.constant([1, 1, 1, 1]))


MEANS = tf.constant([[-3.0, 0.0], [3.0, 1.0]])
SCALES = tf.constant([[[1.0, 0.0], [0.5, 0.5]], [[2.0, 0.0], [-1.0, 1.0]]])  # Lower-triangular.
MIXTURE_LOGITS = tf.math.log([0.3, 0.7])


def gmm(batch_shape, return_component_id=False,
        linear_operator_ctor=tf.linalg.LinearOperatorLowerTriangular):
    return GMMVector(batch_shape, MIXTURE_LOGITS, MEANS, SCALES, linear_operator_ctor,
                     return_component_id)


@pytest.mark.parametrize("batch_shape", [[3], [2, 3]])
def test_gmm_shapes_and_specs_with_the_default_full_matrix_operator(resolve, batch_shape):
    model = GMMVector(batch_shape, MIXTURE_LOGITS, MEANS, SCALES, return_component_id=True)
    # Scoring a full-matrix scale needs LogMatrixDeterminant, which XLA cannot compile.
    state, log_probs = resolve(model.initial_state(), model.specs(), record_log_probs=True)
    assert state.get("state").shape == batch_shape + [2]
    assert state.get("component_id").shape == batch_shape
    assert np.all(np.isfinite(log_probs.get("state")))


def test_gmm_density_is_the_hand_built_mixture():
    state = gmm([]).initial_state().get("state")
    points = tf.constant([[0.0, 0.0], [-3.0, 1.0], [2.5, -1.0]])
    by_hand = tf.reduce_logsumexp(
        tf.math.log([0.3, 0.7])
        + tfd.MultivariateNormalTriL(MEANS, SCALES).log_prob(points[:, tf.newaxis]), axis=-1)
    np.testing.assert_allclose(state.log_prob(points), by_hand, rtol=1e-5)


def test_gmm_components_and_their_moments(resolve):
    model = gmm([NUM_DRAWS], return_component_id=True)
    state, log_probs = resolve(model.initial_state(), model.specs(), seed=3)
    component_id, vectors = state.get("component_id").numpy(), state.get("state").numpy()
    assert_frequencies(component_id, [0.3, 0.7])
    for k in range(2):
        drawn = vectors[component_id == k]
        standard_error = drawn.std(axis=0) / np.sqrt(len(drawn))
        np.testing.assert_array_less(np.abs(drawn.mean(axis=0) - MEANS[k]), 4 * standard_error)
    by_hand = tfd.MultivariateNormalTriL(tf.gather(MEANS, component_id),
                                         tf.gather(SCALES, component_id)).log_prob(vectors)
    np.testing.assert_allclose(log_probs["state"], by_hand, rtol=1e-5, atol=1e-5)


def test_static_models_in_a_network_score_their_trajectories(check_log_probability):
    models = {
        "tensor": StaticTensor(DICTIONARY, LOGITS, [3]),
        "tensor_with_id": StaticTensor(DICTIONARY, LOGITS, [3], return_component_id=True),
        "hierarchical": HierarchicalStaticTensor(DICTIONARY, CLUSTERS, CLUSTER_LOGITS, [3], True),
        "gmm": gmm([3]),
        "gmm_with_id": gmm([3], return_component_id=True),
    }
    variables = []
    for name, model in models.items():
        variable = Variable(name, model.specs())
        variable.initial_value = value(model.initial_state)
        variable.value = value(model.next_state, [variable.previous])
        variables.append(variable)
    trajectory = check_log_probability(Network(variables))
    for name in models:
        for field in trajectory[name].as_dict:  # Static: every step equals the first.
            steps = trajectory[name].get(field).numpy()
            np.testing.assert_array_equal(steps, np.broadcast_to(steps[:1], steps.shape))
