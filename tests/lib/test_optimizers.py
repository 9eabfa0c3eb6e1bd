"""Adam on plain tf.Variables."""

import numpy as np
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
