"""Stateless seed derivation: deterministic, name-keyed, vectorisable and backend-independent."""

import numpy as np
import pytest
import tensorflow as tf

from recsim_ng.lib import seeds


def test_int_seeds_become_int32_pairs_and_bad_seeds_are_rejected():
    assert seeds.as_seed(5).numpy().tolist() == [0, 5]
    assert seeds.as_seed(2**40).numpy().tolist() == [2**9, 0]
    with pytest.raises(ValueError, match=r"in \[0, 2\*\*62\)"):
        seeds.as_seed(-1)
    with pytest.raises(ValueError, match=r"in \[0, 2\*\*62\)"):
        seeds.as_seed(2**62)  # Would collide with 0.
    with pytest.raises(ValueError, match="fit int32"):
        seeds.as_seed(np.array([2**32, 5]))  # Would wrap to [0, 5].
    with pytest.raises(ValueError, match="shape \\[2\\]"):
        seeds.as_seed(tf.constant([1, 2, 3]))


def test_vectorised_fold_in_equals_one_at_a_time():
    seed = seeds.as_seed(123)
    data = np.array([0, 1, 7, 2**31 - 1, 2**31 + 5], np.int64)
    batched = seeds.fold_in(seed, data).numpy()
    singles = np.stack([seeds.fold_in(seed, int(d)).numpy() for d in data])
    np.testing.assert_array_equal(batched, singles)


def test_fold_in_is_identical_in_eager_graph_and_xla():
    seed, data = seeds.as_seed(99), np.arange(50, dtype=np.int64) * 7919
    eager = seeds.fold_in(seed, data)
    graph = tf.function(seeds.fold_in, autograph=False)(seed, data)
    xla = tf.function(seeds.fold_in, jit_compile=True, autograph=False)(seed, data)
    np.testing.assert_array_equal(eager, graph)
    np.testing.assert_array_equal(eager, xla)


def test_derived_seeds_are_distinct():
    seed = seeds.as_seed(0)
    derived = seeds.fold_in(seed, np.arange(10_000, dtype=np.int64)).numpy()
    assert len({tuple(pair) for pair in derived}) == 10_000


def test_field_seeds_are_keyed_by_name_not_position():
    step = seeds.step_seed(seeds.as_seed(3), 4)
    small = seeds.FieldSeeds(step, [("user", "interest")])
    large = seeds.FieldSeeds(step, [("corpus", "features"), ("user", "noise"),
                                    ("user", "interest")])
    np.testing.assert_array_equal(small["user", "interest"], large["user", "interest"])
    assert not np.array_equal(large["user", "noise"], large["user", "interest"])
    with pytest.raises(ValueError, match="'user' has no field 'clicks'"):
        small["user", "clicks"]
