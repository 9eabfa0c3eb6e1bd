"""States that summarise what was observed: a window of the most recent inputs."""

from __future__ import annotations

from typing import Sequence

import tensorflow as tf

from recsim_ng.core import Value, ValueSpec
from recsim_ng.entities.state_models.state import StateModel
from recsim_ng.lib.checks import check_size
from recsim_ng.lib.field_spec import FieldSpec


class FiniteHistoryStateModel(StateModel):
    """The last `history_length` values of the `input` field, oldest first, zeros initially.

    Each input is `[*batch_shape, *observation_shape]`; the state is `[*batch_shape,
    history_length, *observation_shape]`, so a story can feed it to an estimator.
    """

    def __init__(self, history_length: int, observation_shape: Sequence[int],
                 batch_shape: Sequence[int] = (), dtype: tf.DType = tf.float32,
                 name: str = "FiniteHistoryStateModel"):
        history_length = check_size(f"{name}: history_length", history_length)
        super().__init__(batch_shape, name)
        self._shape = self.batch_shape + (history_length,) + tuple(observation_shape)
        self._dtype = tf.as_dtype(dtype)

    def initial_state(self, parameters: Value | None = None) -> Value:
        self._check_parameters(parameters)
        return Value(state=tf.zeros(self._shape, self._dtype))

    def next_state(self, previous_state: Value, inputs: Value | None = None,
                   parameters: Value | None = None) -> Value:
        self._check_parameters(parameters)
        observation = self._input(inputs, "input")
        time_axis = len(self.batch_shape)
        expected = self._shape[:time_axis] + self._shape[time_axis + 1:]
        if observation.shape != expected or observation.dtype != self._dtype:
            raise ValueError(f"{self.name}: input is {observation.dtype.name} {observation.shape},"
                             f" expected {self._dtype.name} {expected}")
        older = previous_state.get("state")[(slice(None),) * time_axis + (slice(1, None),)]
        return Value(state=tf.concat([older, tf.expand_dims(observation, time_axis)],
                                     axis=time_axis))

    def specs(self) -> ValueSpec:
        return Value(state=FieldSpec(self._shape, self._dtype))
