"""Evolving states: linear Gaussian dynamics, finite-state Markov chains and recurrent cells.

Transitions read the previous state's `state` field and, where controlled, the `input` field of
the step's inputs. For the models that switch between transitions see `switching`.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import tensorflow as tf
import tensorflow_probability as tfp

from recsim_ng.core import Value, ValueSpec
from recsim_ng.entities.state_models.state import (LinearOpCtor, StateModel, check_batch_shape,
                                                   gather_per_element)
# RecSim NG's path for the switching models, which live in `switching`.
from recsim_ng.entities.state_models.switching import (  # pylint: disable=unused-import
    NoOPOrContinueStateModel, ResetOrContinueStateModel, SwitchingDynamicsStateModel)
from recsim_ng.lib import space
from recsim_ng.lib.checks import check_size
from recsim_ng.lib.field_spec import FieldSpec

tfd = tfp.distributions


class LinearGaussianStateModel(StateModel):
    """An uncontrolled linear Gaussian state: `x_0 ~ N(0, S S^T)`, `x_t = A x_{t-1} + eps`.

    Each operator comes from a constructor applied to a tensor parameter:
    `S = initial_dist_scale_ctor(initial_dist_scale)`, `A = transition_op_ctor(
    transition_parameters)` and the noise scale `N = transition_noise_scale_ctor(
    transition_noise_scale)`, `eps ~ N(0, N N^T)`. Without a noise constructor the transition is
    deterministic. Operator batch shapes broadcast to `batch_shape`; the state is
    `[*batch_shape, dim]` with `dim` the rows of `S`.
    """

    def __init__(self, transition_op_ctor: LinearOpCtor, initial_dist_scale_ctor: LinearOpCtor,
                 transition_noise_scale_ctor: LinearOpCtor | None = None,
                 initial_dist_scale: Any = None, transition_parameters: Any = None,
                 transition_noise_scale: Any = None, batch_shape: Sequence[int] = (),
                 name: str = "LinearGaussianStateModel"):
        super().__init__(batch_shape, name, dict(
            initial_dist_scale=initial_dist_scale, transition_parameters=transition_parameters,
            transition_noise_scale=transition_noise_scale))
        self._transition_op_ctor = transition_op_ctor
        self._initial_dist_scale_ctor = initial_dist_scale_ctor
        self._transition_noise_scale_ctor = transition_noise_scale_ctor

    def initial_state(self, parameters: Value | None = None) -> Value:
        scale = self._initial_dist_scale_ctor(self._parameter("initial_dist_scale", parameters))
        loc = tf.zeros(self.batch_shape + (scale.range_dimension,), scale.dtype)
        return Value(state=self._normal(loc, scale, "initial_dist_scale"))

    def next_state(self, previous_state: Value, inputs: Value | None = None,
                   parameters: Value | None = None) -> Value:
        mean = self._mean(previous_state, inputs, parameters)
        if self._transition_noise_scale_ctor is None:
            check_batch_shape(self, mean.shape[:-1], "the transition's mean")
            return Value(state=mean)
        noise_scale = self._transition_noise_scale_ctor(
            self._parameter("transition_noise_scale", parameters))
        return Value(state=self._normal(mean, noise_scale, "transition_noise_scale"))

    def _mean(self, previous_state: Value, inputs: Value | None,
              parameters: Value | None) -> tf.Tensor:
        """The mean of the next state: `A x`."""
        del inputs
        transition = self._transition_op_ctor(self._parameter("transition_parameters", parameters))
        return transition.matvec(previous_state.get("state"))

    def _normal(self, loc: tf.Tensor, scale: tf.linalg.LinearOperator,
                parameter_name: str) -> tfd.Distribution:
        normal = tfd.MultivariateNormalLinearOperator(loc, scale)
        check_batch_shape(self, normal.batch_shape, f"parameter {parameter_name!r}")
        return normal

    def specs(self) -> ValueSpec:
        initial_dist_scale = self._static_parameter("initial_dist_scale")
        if initial_dist_scale is None:
            return Value(state=FieldSpec(self.batch_shape + (None,), space=space.box()))
        scale = self._initial_dist_scale_ctor(initial_dist_scale)
        return Value(state=FieldSpec(self.batch_shape + (scale.range_dimension,), scale.dtype,
                                     space.box()))


class ControlledLinearGaussianStateModel(LinearGaussianStateModel):
    """A linear Gaussian state driven by inputs: `x_t = A x_{t-1} + B u_t + eps`.

    As `LinearGaussianStateModel`, plus `B = control_op_ctor(control_parameters)` applied to the
    `input` field of `next_state`'s inputs.
    """

    def __init__(self, transition_op_ctor: LinearOpCtor, control_op_ctor: LinearOpCtor,
                 initial_dist_scale_ctor: LinearOpCtor,
                 transition_noise_scale_ctor: LinearOpCtor | None = None,
                 initial_dist_scale: Any = None, transition_parameters: Any = None,
                 transition_noise_scale: Any = None, control_parameters: Any = None,
                 batch_shape: Sequence[int] = (),
                 name: str = "ControlledLinearGaussianStateModel"):
        super().__init__(transition_op_ctor, initial_dist_scale_ctor, transition_noise_scale_ctor,
                         initial_dist_scale, transition_parameters, transition_noise_scale,
                         batch_shape, name)
        self._add_parameters(dict(control_parameters=control_parameters))
        self._control_op_ctor = control_op_ctor

    def _mean(self, previous_state: Value, inputs: Value | None,
              parameters: Value | None) -> tf.Tensor:
        """The mean of the next state: `A x + B u`."""
        control = self._control_op_ctor(self._parameter("control_parameters", parameters))
        return (super()._mean(previous_state, inputs, parameters)
                + control.matvec(self._input(inputs, "input")))


class ControlledLinearScaledGaussianStateModel(ControlledLinearGaussianStateModel):
    """A controlled linear Gaussian state whose operators are scaled identities.

    `x_0 ~ N(0, s_0^2 I)`, `x_t = a x_{t-1} + b u_t + eps`, `eps ~ N(0, n^2 I)`, with the scales
    tensors broadcasting to `batch_shape`. A missing `a`, `b` or `s_0` is 1; a missing `n` makes
    the transition deterministic. Per-call parameters use the names of
    `ControlledLinearGaussianStateModel` (`transition_parameters` for `a`, and so on). The
    scales `s_0` and `n` must be positive.
    """

    _SCALES = frozenset({"initial_dist_scale", "transition_noise_scale"})

    def __init__(self, dim: int, transition_scales: Any = None, control_scales: Any = None,
                 noise_scales: Any = None, initial_dist_scales: Any = None,
                 batch_shape: Sequence[int] = (),
                 name: str = "ControlledLinearScaledGaussianStateModel"):
        dim = check_size(f"{name}: dim", dim)

        def scaled_identity(multiplier: Any) -> tf.linalg.LinearOperator:
            return tf.linalg.LinearOperatorScaledIdentity(dim, multiplier)

        def or_one(scales: Any) -> Any:
            return tf.constant(1.0) if scales is None else scales

        super().__init__(
            scaled_identity, scaled_identity, scaled_identity,
            None if noise_scales is None else scaled_identity,
            initial_dist_scale=or_one(initial_dist_scales),
            transition_parameters=or_one(transition_scales),
            transition_noise_scale=noise_scales, control_parameters=or_one(control_scales),
            batch_shape=batch_shape, name=name)


class FiniteStateMarkovModel(StateModel):
    """A batch of controlled Markov chains on states `0 .. S-1`, with actions `0 .. A-1`.

    `initial_dist_logits` `[*P, S]` gives the initial state's logits and
    `transition_parameters` `[*P', A, S, S]` the next state's logits given (action, state); the
    action is the integer `input` field of `next_state`'s inputs. `P`, `P'` broadcast to
    `batch_shape`. A logit of -inf makes a state impossible.
    """

    _LOGITS = frozenset({"initial_dist_logits", "transition_parameters"})

    def __init__(self, transition_parameters: Any = None, initial_dist_logits: Any = None,
                 batch_shape: Sequence[int] = (), name: str = "FiniteStateMarkovModel"):
        super().__init__(batch_shape, name, dict(transition_parameters=transition_parameters,
                                                 initial_dist_logits=initial_dist_logits))

    def initial_state(self, parameters: Value | None = None) -> Value:
        logits = self._parameter("initial_dist_logits", parameters)
        return Value(state=tfd.Categorical(
            logits=self._broadcast(logits, 1, "parameter 'initial_dist_logits'")))

    def next_state(self, previous_state: Value, inputs: Value | None = None,
                   parameters: Value | None = None) -> Value:
        kernel = tf.convert_to_tensor(self._parameter("transition_parameters", parameters))
        if kernel.shape.rank < 3:
            raise ValueError(f"{self.name}: transition_parameters must be [..., actions, states,"
                             f" states], got shape {kernel.shape}")
        check_batch_shape(self, kernel.shape[:-3], "parameter 'transition_parameters'")
        given_action = gather_per_element(kernel, self._input(inputs, "input"), event_ndims=2)
        logits = gather_per_element(given_action, previous_state.get("state"), event_ndims=1)
        return Value(state=tfd.Categorical(
            logits=self._broadcast(logits, 1, "the transition logits")))

    def specs(self) -> ValueSpec:
        logits = self._static_parameter("initial_dist_logits")
        states = None if logits is None else space.discrete(tf.TensorShape(logits.shape)[-1])
        return Value(state=FieldSpec(self.batch_shape, tf.int32, states))


class RNNCellStateModel(StateModel):
    """A deterministic recurrent state, advanced by a cell on the `input` field of each step.

    `rnn_cell` is any callable `(inputs, state) -> (output, new_state)` on a `[batch, input_size]`
    input and one `[batch, state_size]` state tensor (e.g. `tf.keras.layers.GRUCell`); a new
    state given as a one-tensor list is accepted. Fields: `state` and `cell_output`; the
    initial ones are the cell applied to a zero input and a zero state.
    """

    def __init__(self, rnn_cell: Callable[[tf.Tensor, tf.Tensor], Any], input_size: int,
                 state_size: int, batch_shape: Sequence[int] = (), dtype: tf.DType = tf.float32,
                 name: str = "RNNCellStateModel"):
        super().__init__(batch_shape, name)
        self._rnn_cell = rnn_cell
        self._input_size, self._state_size, self._dtype = input_size, state_size, dtype
        # One call now creates the cell's weights, so they are trainable variables from the
        # start, and tells the output size.
        output, _ = self._call_cell(tf.zeros([1, input_size], dtype), tf.zeros([1, state_size],
                                                                                dtype))
        self._output_size = output.shape[-1]
        # Keras 3 layers (tf.keras from TensorFlow 2.16) are not tf.Modules: their weights wrap
        # tf.Variables this module would not find. Held here, they are trainable variables.
        if not isinstance(rnn_cell, tf.Module):
            self._cell_variables = [v if isinstance(v, tf.Variable) else v.value
                                    for v in getattr(rnn_cell, "trainable_variables", ())]

    def initial_state(self, parameters: Value | None = None) -> Value:
        self._check_parameters(parameters)
        output, state = self._call_cell(
            tf.zeros(self.batch_shape + (self._input_size,), self._dtype),
            tf.zeros(self.batch_shape + (self._state_size,), self._dtype))
        return Value(state=state, cell_output=output)

    def next_state(self, previous_state: Value, inputs: Value | None = None,
                   parameters: Value | None = None) -> Value:
        self._check_parameters(parameters)
        output, state = self._call_cell(self._input(inputs, "input"), previous_state.get("state"))
        return Value(state=state, cell_output=output)

    def _call_cell(self, inputs: tf.Tensor, state: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """The cell on any batch shape: the batch axes are flattened into one."""
        batch = inputs.shape[:-1]
        output, new_state = self._rnn_cell(tf.reshape(inputs, [-1, self._input_size]),
                                           tf.reshape(state, [-1, self._state_size]))
        if isinstance(new_state, (list, tuple)):
            if len(new_state) != 1:
                raise ValueError(f"{self.name}: the cell must have one state tensor, it has"
                                 f" {len(new_state)}")
            new_state = new_state[0]
        return (tf.reshape(output, batch.concatenate(output.shape[-1:])),
                tf.reshape(new_state, batch.concatenate([self._state_size])))

    def specs(self) -> ValueSpec:
        return Value(state=FieldSpec(self.batch_shape + (self._state_size,), self._dtype),
                     cell_output=FieldSpec(self.batch_shape + (self._output_size,), self._dtype))
