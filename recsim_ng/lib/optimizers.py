"""`Adam` on plain `tf.Variable`s, so entity training depends on neither Keras 2 nor Keras 3."""

from __future__ import annotations

from typing import Iterable, Sequence

import tensorflow as tf


class Adam(tf.Module):
    """Adam (Kingma and Ba, 2015) on a fixed list of variables, with plain TensorFlow ops."""

    def __init__(self, variables: Sequence[tf.Variable], learning_rate: float,
                 beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-8):
        super().__init__(name="Adam")
        self._variables = list(variables)
        self._learning_rate, self._beta_1, self._beta_2 = learning_rate, beta_1, beta_2
        self._epsilon = epsilon
        self._steps = tf.Variable(0.0, trainable=False, name="steps")
        self._first = [tf.Variable(tf.zeros_like(v), trainable=False) for v in self._variables]
        self._second = [tf.Variable(tf.zeros_like(v), trainable=False) for v in self._variables]

    def apply(self, gradients: Sequence[tf.Tensor]) -> None:
        """One descent step along `gradients` (one per variable, in order)."""
        steps = self._steps.assign_add(1.0)
        rate = (self._learning_rate * tf.sqrt(1.0 - self._beta_2 ** steps)
                / (1.0 - self._beta_1 ** steps))
        for variable, first, second, gradient in zip(self._variables, self._first, self._second,
                                                     gradients):
            first.assign(self._beta_1 * first + (1.0 - self._beta_1) * gradient)
            second.assign(self._beta_2 * second + (1.0 - self._beta_2) * tf.square(gradient))
            variable.assign_sub(tf.cast(rate, variable.dtype) * first
                                / (tf.sqrt(second) + self._epsilon))

    def apply_gradients(self, grads_and_vars: Iterable[tuple[tf.Tensor, tf.Variable]]) -> None:
        """`apply` from (gradient, variable) pairs, the Keras optimizer call TF-Agents makes;
        the pairs must cover exactly this optimizer's variables, in any order."""
        gradients = {variable.ref(): gradient for gradient, variable in grads_and_vars}
        own = {variable.ref() for variable in self._variables}
        if gradients.keys() != own:
            missing = [ref.deref().name for ref in own - gradients.keys()]
            extra = [ref.deref().name for ref in gradients.keys() - own]
            raise ValueError("apply_gradients needs one gradient for each of the optimizer's"
                             f" variables: missing {missing}, not the optimizer's {extra}")
        self.apply([gradients[variable.ref()] for variable in self._variables])
