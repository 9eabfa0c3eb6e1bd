"""`TFRuntime`: runs a network as one compiled TensorFlow program; `PythonRuntime`: eagerly."""

from __future__ import annotations

from typing import Any, Callable, NamedTuple, Sequence

import tensorflow as tf

from recsim_ng.core import Network, NetworkValue, Value
from recsim_ng.core.value import flatten_network_value, unflatten_network_value
from recsim_ng.lib import seeds
from recsim_ng.lib.sampling import FieldResolver, LogProbs, mismatch
from recsim_ng.lib.trajectory_io import validate_trajectory

Flat = dict[str, dict[str, tf.Tensor]]  # variable -> dotted field -> tensor
LOG_PROB_SUFFIX = "_log_prob"


class SimulationState(NamedTuple):
    """Where a step-wise simulation stands: the network value, the run seed and the step index."""

    value: dict[str, Value]
    seed: tf.Tensor
    step: tf.Tensor


class TFRuntime:
    """Simulates a network: whole trajectories, final values, or step by step.

    Each entry point is one `tf.function` (XLA-compiled with `jit_compile=True`) traced once
    per shape: new seeds and new starting values or inputs of the same shapes reuse it. With
    `record_log_probs`, every result also holds a `"<variable>_log_prob"` entry per variable with
    random fields: the log-prob of each random field's value at that step (0 where the field was
    not drawn, e.g. at a given starting value). Variables named in `inputs` are fed from outside
    at every `step` (the hook RL adapters use).
    """

    def __init__(self, network: Network, jit_compile: bool = False,
                 record_log_probs: bool = False, inputs: Sequence[str] = ()):
        self._network = network
        self._names = frozenset(v.name for v in network.variables)
        self._record = record_log_probs
        for name in inputs:
            network.variable(name)
        self._inputs = tuple(inputs)
        if record_log_probs:
            clashes = [name for name in self._names if name.endswith(LOG_PROB_SUFFIX)
                       and name[:-len(LOG_PROB_SUFFIX)] in self._names]
            if clashes:
                raise ValueError(f"variables {clashes} clash with recorded log-prob names")
        self._log_prob_templates: dict[tuple[str, ...], dict[str, dict[str, tf.TensorSpec]]] = {}
        self.trace_count = 0
        compile_fn = self._compiler(jit_compile)
        self._trajectory_fn = compile_fn(self._trajectory)
        self._execute_fn = compile_fn(self._execute)
        self._reset_fn = compile_fn(self._reset)
        self._step_fn = compile_fn(self._step)

    @staticmethod
    def _compiler(jit_compile: bool) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return lambda fn: tf.function(fn, jit_compile=jit_compile, autograph=False)

    @property
    def network(self) -> Network:
        return self._network

    # Public API: Values in and out; the compiled functions see only nested dicts of tensors.

    def trajectory(self, length: int, seed: seeds.Seed, starting_value: NetworkValue | None = None,
                   observed: NetworkValue | None = None,
                   check_observed: bool = True) -> dict[str, Value]:
        """Values at steps 0 .. length-1 stacked on a leading time axis; 0 is the initial step.

        `observed` holds logged fields (time-stacked, any subset of variables and fields): the
        simulation is conditioned on them, i.e. they replace the draws and are scored when log
        probs are recorded, while the other fields are simulated given them. Deterministic
        fields are always computed; with concrete data and `check_observed`, an observed one
        that differs from the computed values is an error naming it (turn the check off for
        latent values at steps where their field is not drawn, as HMC states have).
        `observed` excludes `starting_value`.
        """
        if not isinstance(length, int) or length < 1:
            raise ValueError(f"trajectory length must be a positive int, got {length!r}")
        if starting_value is not None and observed:
            raise ValueError("give either starting_value or observed: both would set step 0")
        start = self._flat_start(starting_value)
        logged = self._flat_observed(observed, length)
        result = unflatten_network_value(
            self._trajectory_fn(length, seeds.as_seed(seed), start, logged))
        if check_observed and tf.executing_eagerly():
            for name, fields in logged.items():
                for field, values in fields.items():
                    if mismatch(result[name].get(field), values) > 1.0:
                        raise ValueError(
                            f"observed variable {name!r}, field {field!r}: the field is"
                            " deterministic and the network computes other values")
        return result

    def execute(self, num_steps: int, seed: seeds.Seed,
                starting_value: NetworkValue | None = None) -> dict[str, Value]:
        """The value after `num_steps` steps from the initial step (or `starting_value`)."""
        if not isinstance(num_steps, int) or num_steps < 0:
            raise ValueError(f"num_steps must be a non-negative int, got {num_steps!r}")
        start = self._flat_start(starting_value)
        return unflatten_network_value(
            self._execute_fn(tf.constant(num_steps), seeds.as_seed(seed), start))

    def reset(self, seed: seeds.Seed, inputs: NetworkValue | None = None) -> SimulationState:
        """The initial step; input variables not in `inputs` use their own initial value."""
        run_seed = seeds.as_seed(seed)
        value = self._reset_fn(run_seed, self._flat_inputs(inputs, required=False))
        return SimulationState(unflatten_network_value(value), run_seed, tf.constant(0))

    def step(self, state: SimulationState, inputs: NetworkValue | None = None) -> SimulationState:
        """One step from `state`, with every input variable's value taken from `inputs`."""
        flat_state = flatten_network_value(self._without_log_probs(state.value))
        next_step = state.step + 1
        value = self._step_fn(flat_state, state.seed, next_step,
                              self._flat_inputs(inputs, required=True))
        return SimulationState(unflatten_network_value(value), state.seed, next_step)

    # Conversions at the boundary.

    def _flat_start(self, starting_value: NetworkValue | None) -> Flat | None:
        if starting_value is None:
            return None
        starting_value = self._without_log_probs(starting_value)
        missing = [v.name for v in self._network.variables if v.name not in starting_value]
        if missing:
            raise ValueError(f"starting_value lacks variables {missing}")
        return {v.name: {k: tf.convert_to_tensor(x) for k, x in
                         v.typecheck(starting_value[v.name]).as_dict.items()}
                for v in self._network.variables}

    def _flat_observed(self, observed: NetworkValue | None, length: int) -> Flat:
        if observed and tf.executing_eagerly():  # Concrete data: names, dtypes, NaNs, spaces.
            # Checked only: the tensors themselves go on, so gradients with respect to them flow.
            validate_trajectory(self._network, observed, require_all=False, source="observed")
        flat: Flat = {}
        for name, val in (observed or {}).items():
            specs = self._network.variable(name).spec.as_dict
            for field, array in val.as_dict.items():
                if field not in specs:
                    raise ValueError(f"observed variable {name!r} has no field {field!r}")
                tensor = tf.convert_to_tensor(array)
                if tensor.shape.rank == 0 or tensor.shape[0] != length:
                    raise ValueError(f"observed variable {name!r}, field {field!r}: leading axis"
                                     f" {tensor.shape} does not match trajectory length {length}")
                flat.setdefault(name, {})[field] = tensor
        return flat

    def _flat_inputs(self, inputs: NetworkValue | None, required: bool) -> Flat:
        inputs = dict(inputs or {})
        unknown = [name for name in inputs if name not in self._inputs]
        missing = [name for name in self._inputs if name not in inputs]
        if unknown:
            raise ValueError(f"inputs {unknown} are not input variables {list(self._inputs)}")
        if required and missing:
            raise ValueError(f"step needs values for input variables {missing}")
        return {name: {k: tf.convert_to_tensor(x) for k, x in
                       self._network.variable(name).typecheck(val).as_dict.items()}
                for name, val in inputs.items()}

    def _without_log_probs(self, network_value: NetworkValue) -> dict[str, Value]:
        """The variables' values, without recorded log-probs; any other name is an error."""
        unknown = [name for name in network_value if name not in self._names and not (
            name.endswith(LOG_PROB_SUFFIX) and name[:-len(LOG_PROB_SUFFIX)] in self._names)]
        if unknown:
            raise ValueError(f"values for unknown variables {unknown}")
        return {name: val for name, val in network_value.items() if name in self._names}

    # Traced building blocks.

    def _initial(self, run_seed: tf.Tensor, given: Flat,
                 observed: Flat | None = None) -> tuple[Flat, LogProbs]:
        resolver = FieldResolver(self._field_seeds(run_seed, 0), _at_step(observed, 0),
                                 record_log_probs=self._record)
        value = self._network.initial_step(resolver, unflatten_network_value(given))
        return flatten_network_value(value), resolver.log_probs

    def _transition(self, state: Flat, run_seed: tf.Tensor, step: tf.Tensor, given: Flat,
                    observed: Flat | None = None) -> tuple[Flat, LogProbs]:
        resolver = FieldResolver(self._field_seeds(run_seed, step), _at_step(observed, step),
                                 record_log_probs=self._record)
        value = self._network.step(unflatten_network_value(state), resolver,
                                   unflatten_network_value(given))
        return flatten_network_value(value), resolver.log_probs

    def _field_seeds(self, run_seed: tf.Tensor, step: int | tf.Tensor) -> seeds.FieldSeeds:
        names = [(v.name, field) for v in self._network.variables for field in v.spec.as_dict]
        return seeds.FieldSeeds(seeds.step_seed(run_seed, step), names)

    def _with_log_probs(self, state: Flat, log_probs: LogProbs, reference: Flat,
                        fed: tuple[str, ...] = ()) -> Flat:
        """`state` plus its log-prob entries, zero-filled to a fixed structure across steps."""
        if not self._record:
            return state
        template = self._template(reference, fed)
        full = dict(state)
        for name, fields in template.items():
            recorded = log_probs.get(name, {})
            full[name + LOG_PROB_SUFFIX] = {
                field: recorded[field] if field in recorded else tf.zeros(spec.shape, spec.dtype)
                for field, spec in fields.items()}
        return full

    def _template(self, state: Flat, fed: tuple[str, ...]) -> dict[str, dict[str, tf.TensorSpec]]:
        """Which fields are random in either phase, and their log-prob shapes (traced once)."""
        if fed not in self._log_prob_templates:
            def spec_of(tree: Any) -> Any:
                return tf.nest.map_structure(tf.TensorSpec.from_tensor, tree)
            seed, step = tf.constant([0, 0]), tf.constant(1)
            initial = tf.function(lambda s: self._initial(s, {})[1], autograph=False)
            transition = tf.function(
                lambda x, s, t: self._transition(x, s, t, {n: x[n] for n in fed})[1],
                autograph=False)
            template: dict[str, dict[str, tf.TensorSpec]] = {}
            for traced in (initial.get_concrete_function(spec_of(seed)).structured_outputs,
                           transition.get_concrete_function(
                               spec_of(state), spec_of(seed), spec_of(step)).structured_outputs):
                for name, fields in traced.items():
                    for field, tensor in fields.items():
                        template.setdefault(name, {}).setdefault(
                            field, tf.TensorSpec(tensor.shape, tensor.dtype))
            self._log_prob_templates[fed] = template
        return self._log_prob_templates[fed]

    def _start(self, run_seed: tf.Tensor, start: Flat | None, observed: Flat | None = None) -> Flat:
        if start is None:
            state, log_probs = self._initial(run_seed, {}, observed)
        else:
            state, log_probs = start, {}
        return self._with_log_probs(state, log_probs, state)

    def _advance(self, state: Flat, run_seed: tf.Tensor, step: tf.Tensor,
                 observed: Flat | None = None) -> Flat:
        plain = {name: fields for name, fields in state.items() if name in self._names}
        next_state, log_probs = self._transition(plain, run_seed, step, {}, observed)
        return self._with_log_probs(next_state, log_probs, plain)

    def _shape_invariants(self, state: Flat) -> Flat:
        invariants = {name: val.as_dict for name, val in self._network.invariants().items()}
        return {name: {field: invariants[name][field] if name in invariants else tensor.shape
                       for field, tensor in fields.items()}
                for name, fields in state.items()}

    # The compiled entry points.

    def _trajectory(self, length: int, run_seed: tf.Tensor, start: Flat | None,
                    observed: Flat) -> Flat:
        self.trace_count += 1
        state = self._start(run_seed, start, observed)
        arrays = tf.nest.map_structure(
            lambda x, shape: tf.TensorArray(x.dtype, size=length, element_shape=shape).write(0, x),
            state, self._shape_invariants(state))

        def body(step: tf.Tensor, state: Flat, arrays: Flat) -> tuple[tf.Tensor, Flat, Flat]:
            state = self._advance(state, run_seed, step, observed)
            arrays = tf.nest.map_structure(lambda a, x: a.write(step, x), arrays, state)
            return step + 1, state, arrays

        _, _, arrays = tf.while_loop(
            lambda step, *_: step < length, body, (tf.constant(1), state, arrays),
            shape_invariants=(tf.TensorShape([]), self._shape_invariants(state),
                              tf.nest.map_structure(lambda _: None, arrays)),
            maximum_iterations=length - 1)
        return tf.nest.map_structure(lambda a: a.stack(), arrays)

    def _execute(self, num_steps: tf.Tensor, run_seed: tf.Tensor, start: Flat | None) -> Flat:
        self.trace_count += 1
        state = self._start(run_seed, start)

        def body(step: tf.Tensor, state: Flat) -> tuple[tf.Tensor, Flat]:
            return step + 1, self._advance(state, run_seed, step)

        _, state = tf.while_loop(
            lambda step, _: step <= num_steps, body, (tf.constant(1), state),
            shape_invariants=(tf.TensorShape([]), self._shape_invariants(state)),
            maximum_iterations=num_steps)
        return state

    def _reset(self, run_seed: tf.Tensor, given: Flat) -> Flat:
        self.trace_count += 1
        state, log_probs = self._initial(run_seed, given)
        return self._with_log_probs(state, log_probs, state, self._inputs)

    def _step(self, state: Flat, run_seed: tf.Tensor, step: tf.Tensor, given: Flat) -> Flat:
        self.trace_count += 1
        next_state, log_probs = self._transition(state, run_seed, step, given)
        return self._with_log_probs(next_state, log_probs, state, self._inputs)


def _at_step(observed: Flat | None, step: int | tf.Tensor) -> dict[str, Value]:
    """The observed values of one step."""
    return unflatten_network_value(tf.nest.map_structure(lambda x: x[step], observed or {}))


class PythonRuntime(TFRuntime):
    """The same simulation run eagerly, op by op, for debugging; results equal `TFRuntime`'s."""

    def __init__(self, network: Network, record_log_probs: bool = False,
                 inputs: Sequence[str] = ()):
        super().__init__(network, record_log_probs=record_log_probs, inputs=inputs)

    @staticmethod
    def _compiler(jit_compile: bool) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        del jit_compile
        return lambda fn: fn
