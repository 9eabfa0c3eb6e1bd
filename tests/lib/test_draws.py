"""Draws from Philox words: identical uniforms in every mode, correct laws, exact user shards."""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp
from tensorflow_probability.python.internal import samplers

from recsim_ng.entities.choice_models.plackett_luce import TruncatedPlackettLuce
from recsim_ng.lib import draws, seeds

tfd = tfp.distributions

SEEDS = [seeds.as_seed(s) for s in (0, 1234, 2**61 + 17)] + [tf.constant([-7, -2**31])]


def in_modes(fn, *args):
    """`fn(*args)` eagerly, as a graph and compiled by XLA, as numpy arrays."""
    results = []
    for compiled in (fn, tf.function(fn, autograph=False),
                     tf.function(fn, autograph=False, jit_compile=True)):
        results.append(tf.nest.map_structure(lambda x: np.asarray(x), compiled(*args)))
    return results


@pytest.mark.parametrize("seed", SEEDS)
def test_words_and_uniforms_are_bit_identical_in_eager_graph_and_xla(seed):
    def uniforms(seed):
        return (draws.philox_words([7, 5], seed), draws.unit_uniform([7, 5], seed),
                draws.unit_uniform([3], seed, tf.float64))

    eager, graph, xla = in_modes(uniforms, seed)
    for other in (graph, xla):
        for first, second in zip(eager, other):
            assert first.dtype == second.dtype and first.tobytes() == second.tobytes()


def test_unit_uniforms_lie_strictly_inside_the_unit_interval_and_are_uniform():
    for dtype in (tf.float32, tf.float64):
        u = draws.unit_uniform([200_000], seeds.as_seed(5), dtype).numpy().astype(np.float64)
        assert u.min() > 0.0 and u.max() < 1.0
        n = u.size  # Mean 1/2 (sd 1/sqrt(12 n)) and variance 1/12 (sd 1/sqrt(180 n)).
        assert abs(u.mean() - 0.5) < 4 / np.sqrt(12 * n)
        assert abs(u.var() - 1 / 12) < 4 / np.sqrt(180 * n)
    # The extremes of the 23-bit grid stay inside (0, 1) in float32.
    assert np.float32((2**23 - 0.5) * 2.0**-23) < 1.0


def test_exact_sampling_switches_tfps_samplers_only_inside_the_block():
    with draws.exact_sampling():
        assert samplers.uniform is draws.uniform
        with draws.exact_sampling():  # Nesting keeps the switch on until the outer block ends.
            pass
        assert samplers.normal is draws.normal
    assert samplers.uniform is not draws.uniform and samplers.normal is not draws.normal


DISTRIBUTIONS = {
    "normal": lambda: tfd.Normal(tf.zeros([50]), 2.0),
    "uniform": lambda: tfd.Uniform(-tf.ones([50]), 3.0),
    "gumbel": lambda: tfd.Gumbel(tf.zeros([50]), 1.0),
    "lognormal": lambda: tfd.LogNormal(tf.zeros([50]), 0.5),
    "mvn_diag": lambda: tfd.MultivariateNormalDiag(tf.zeros([10, 3]), tf.ones([3])),
    "mvn_tril": lambda: tfd.MultivariateNormalTriL(tf.zeros([10, 2]), [[1.0, 0.0], [0.5, 1.0]]),
    "sample": lambda: tfd.Sample(tfd.Normal(0.0, 1.0), [10, 4]),
    "mixture_same_family": lambda: tfd.MixtureSameFamily(
        tfd.Categorical(logits=tf.zeros([50, 3])), tfd.Normal(tf.zeros([50, 3]) + [-5.0, 0, 5],
                                                              1.0)),
    "beta": lambda: tfd.Beta(2.0 * tf.ones([50]), 3.0),
    "gamma": lambda: tfd.Gamma(0.5 * tf.ones([50]), 1.0),
    "categorical": lambda: tfd.Categorical(logits=tf.zeros([50, 5]) + [0.0, 1, 2, 3, 4]),
    "bernoulli": lambda: tfd.Bernoulli(probs=0.3 * tf.ones([50])),
    "zipf": lambda: tfd.Zipf(1.5 * tf.ones([50]), dtype=tf.int32),
    "plackett_luce": lambda: TruncatedPlackettLuce(tf.zeros([50, 6]) + [0.0, 1, 2, 3, 4, 0],
                                                   num_choices=3),
}


@pytest.mark.parametrize("name", sorted(DISTRIBUTIONS))
def test_every_distribution_draws_the_same_values_in_eager_graph_and_xla(name):
    def sample(seed):
        with draws.exact_sampling():
            return DISTRIBUTIONS[name]().sample(seed=seed)

    eager, graph, xla = in_modes(sample, seeds.as_seed(99))
    for other in (graph, xla):
        if eager.dtype.kind == "f":
            # Transcendental functions of the shared uniforms may differ in the last bits.
            np.testing.assert_allclose(other, eager, rtol=2e-6, atol=1e-6)
        else:
            np.testing.assert_array_equal(other, eager)


def test_replacement_samplers_draw_the_right_laws():
    seed = seeds.as_seed(3)
    n = 100_000
    with draws.exact_sampling():
        normal = tfd.Normal(1.0, 2.0).sample(n, seed=seed).numpy().astype(np.float64)
        categorical = tfd.Categorical(probs=[0.1, 0.2, 0.7]).sample(n, seed=seed).numpy()
        gamma = tfd.Gamma(3.0, 2.0).sample(n, seed=seed).numpy().astype(np.float64)
        integers = samplers.uniform([n], minval=3, maxval=10, dtype=tf.int32, seed=seed).numpy()
    # Normal(1, 2): mean (sd 2 / sqrt n), variance (sd 4 sqrt(2 / n)).
    assert abs(normal.mean() - 1.0) < 4 * 2 / np.sqrt(n)
    assert abs(normal.var() - 4.0) < 4 * 4 * np.sqrt(2 / n)
    for k, p in enumerate([0.1, 0.2, 0.7]):
        assert abs(np.mean(categorical == k) - p) < 4 * np.sqrt(p * (1 - p) / n), k
    # Gamma(3, rate 2): mean 1.5 and variance 0.75.
    assert abs(gamma.mean() - 1.5) < 4 * np.sqrt(0.75 / n)
    assert integers.min() == 3 and integers.max() == 9
    for k in range(3, 10):
        assert abs(np.mean(integers == k) - 1 / 7) < 4 * np.sqrt((1 / 7) * (6 / 7) / n)


def test_categorical_never_draws_a_class_of_probability_zero():
    logits = tf.constant([[0.0, -np.inf, 0.0, -np.inf], [-np.inf, -np.inf, 5.0, -np.inf]])
    with draws.exact_sampling():
        drawn = tfd.Categorical(logits=logits).sample(20_000, seed=seeds.as_seed(1)).numpy()
    assert set(np.unique(drawn[:, 0])) == {0, 2}
    assert set(np.unique(drawn[:, 1])) == {2}


def test_split_seeds_are_identical_in_every_mode_and_distinct():
    with draws.exact_sampling():
        eager, graph, xla = in_modes(lambda seed: draws.split_seed(seed, 4), seeds.as_seed(8))
    for other in (graph, xla):
        np.testing.assert_array_equal(np.stack(other), np.stack(eager))
    assert len({tuple(s) for s in eager}) == 4


@pytest.mark.parametrize("shape,local_users", [([10, 3], 2), ([12], 4), ([9, 2, 5], 3),
                                               ([7, 1], 7)])
def test_user_shards_of_a_draw_concatenate_to_the_whole_draw(shape, local_users):
    seed = seeds.as_seed(42)
    whole = draws.unit_uniform(shape, seed).numpy()
    normal = tfd.Normal(tf.zeros(shape), 1.0)

    def shard(first_user):
        local_shape = [local_users, *shape[1:]]
        with draws.sharded_draws(first_user, local_users), draws.exact_sampling():
            return (draws.unit_uniform(local_shape, seed),
                    tfd.Normal(tf.zeros(local_shape), 1.0).sample(seed=seed))

    for compiled in (shard, tf.function(shard, jit_compile=True)):
        parts = [compiled(tf.constant(first)) for first in range(0, shape[0], local_users)]
        np.testing.assert_array_equal(np.concatenate([p[0] for p in parts]), whole)
        with draws.exact_sampling():
            expected = normal.sample(seed=seed).numpy()
        np.testing.assert_allclose(np.concatenate([p[1] for p in parts]), expected, rtol=2e-6,
                                   atol=1e-6)


def test_a_sharded_draw_without_a_user_axis_is_refused():
    with draws.sharded_draws(tf.constant(0), 3):
        with pytest.raises(ValueError, match="replicated"):
            draws.philox_words([4, 2], seeds.as_seed(1))
