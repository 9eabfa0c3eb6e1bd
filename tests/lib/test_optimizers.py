"""Adam on plain tf.Variables."""

import numpy as np
import pytest
import tensorflow as tf

from recsim_ng.lib.optimizers import Adam


def test_adam_first_step_moves_each_coordinate_by_the_learning_rate_then_converges():
    x = tf.Variable([3.0, -2.0, 0.5])
    target = tf.constant([1.0, 1.0, 1.0])
    adam = Adam([x], learning_rate=0.1)

    def step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.square(x - target))
        adam.apply(tape.gradient(loss, [x]))

    step()
    np.testing.assert_allclose(x, [2.9, -1.9, 0.6], rtol=1e-5)
    for _ in range(300):
        step()
    np.testing.assert_allclose(x, target, atol=0.02)


def test_apply_gradients_takes_pairs_in_any_order_and_names_missing_or_foreign_variables():
    x, y = tf.Variable([1.0], name="x"), tf.Variable([2.0], name="y")
    by_pairs, by_list = Adam([x, y], 0.1), Adam([tf.Variable([1.0]), tf.Variable([2.0])], 0.1)
    by_pairs.apply_gradients([(tf.constant([-1.0]), y), (tf.constant([3.0]), x)])
    by_list.apply([tf.constant([3.0]), tf.constant([-1.0])])
    np.testing.assert_allclose([x.numpy(), y.numpy()], [v.numpy() for v in by_list._variables])
    other = tf.Variable([0.0], name="other")
    with pytest.raises(ValueError, match=r"missing \['y:0'\], not the optimizer's \['other:0'\]"):
        by_pairs.apply_gradients([(tf.constant([1.0]), x), (tf.constant([1.0]), other)])
