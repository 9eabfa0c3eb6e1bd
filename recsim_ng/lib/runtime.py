"""`TFRuntime`: runs a network as one compiled TensorFlow program; `PythonRuntime`: eagerly."""

from __future__ import annotations

from typing import Any, Callable, Mapping, NamedTuple, Sequence

import tensorflow as tf

from recsim_ng.core import Network, NetworkValue, Value
from recsim_ng.core.value import flatten_network_value, unflatten_network_value
from recsim_ng.lib import data, memory, seeds, value_checks
from recsim_ng.lib.field_spec import FieldSpec
from recsim_ng.lib.sampling import FieldResolver, LogProbs, mismatch
from recsim_ng.lib.trajectory_io import validate_trajectory

Flat = dict[str, dict[str, tf.Tensor]]  # variable -> dotted field -> tensor
FieldSelection = Mapping[str, Sequence[str] | None]  # variable -> its fields (None: all fields)
Summarize = Callable[[dict[str, Value]], Mapping[str, tf.Tensor]]


class Trajectory(dict):
    """`{variable: Value}` of fields stacked on a leading time axis (index 0: the initial step),
    with the recorded log-probs beside them in `log_probs` (empty unless recorded)."""

    def __init__(self, values: Mapping[str, Value], log_probs: Mapping[str, Value] | None = None):
        super().__init__(values)
        self.log_probs: dict[str, Value] = dict(log_probs or {})


class SimulationState(NamedTuple):
    """Where a step-wise simulation stands: the network value, the run seed, the step index and
    the log-probs of that step's draws (when recorded)."""

    value: dict[str, Value]
    seed: tf.Tensor
    step: tf.Tensor
    log_probs: dict[str, Value] = {}


class TFRuntime:
    """Simulates a network: whole trajectories, final values, streamed summaries, or step by step.

    Each entry point is one `tf.function` (XLA-compiled with `jit_compile=True`) traced once
    per shape: new seeds and new starting values or inputs of the same shapes reuse it. Called
    inside a `tf.function` of your own, an entry point becomes part of that function instead (so a
    training step compiled with XLA differentiates through the whole simulation). With
    `record_log_probs`, results carry the log-prob of each random field's value at each step (0
    where the field was not drawn, e.g. at a given starting value). Variables named in `inputs`
    are fed from outside at every `step` (the hook RL adapters use).
    """

    def __init__(self, network: Network, jit_compile: bool = False,
                 record_log_probs: bool = False, inputs: Sequence[str] = ()):
        self._network = network
        for variable in network.variables:  # A plain core FieldSpec() checks as ours does.
            variable.specialize_field_specs(FieldSpec)
        self._names = tuple(v.name for v in network.variables)
        self._record = record_log_probs
        for name in inputs:
            network.variable(name)
        self._inputs = tuple(inputs)
        self._log_prob_templates: dict[tuple[str, ...], dict[str, dict[str, tf.TensorSpec]]] = {}
        self.trace_count = 0
        self._compiled = {name: self._compiler(jit_compile)(getattr(self, name))
                          for name in ("_trajectory", "_execute", "_reset", "_step")}

    @staticmethod
    def _compiler(jit_compile: bool) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return lambda fn: tf.function(fn, jit_compile=jit_compile, autograph=False)

    def _run(self, name: str, *args: Any) -> Any:
        """The compiled entry point, or its body when already inside a `tf.function`."""
        return (getattr(self, name) if tf.inside_function() else self._compiled[name])(*args)

    @property
    def network(self) -> Network:
        return self._network

    @property
    def records_log_probs(self) -> bool:
        return self._record

    # Public API: Values in and out; the compiled functions see only nested dicts of tensors.

    def trajectory(self, length: int, seed: seeds.Seed | None,
                   starting_value: NetworkValue | None = None,
                   observed: NetworkValue | None = None, check_observed: bool = True,
                   fields: FieldSelection | None = None) -> Trajectory:
        """Values at steps 0 .. length-1 stacked on a leading time axis; 0 is the initial step.

        `fields` keeps only some fields (`{variable: [field, ...] or None for all}`; default:
        every field), which saves the memory of the others. `observed` holds logged fields
        (time-stacked, any subset of variables and fields): the simulation is conditioned on
        them, i.e. they replace the draws and are scored when log-probs are recorded, while the
        other fields are simulated given them. With `seed=None` nothing may be drawn: every
        random field must be observed. Deterministic fields are always computed. With
        `check_observed`, an impossible log is an error naming the variable and field: values
        not finite or outside the field's `Space`, or an observed deterministic field that
        differs from the computed values. Eagerly it is a `ValueError`; inside a `tf.function`,
        a `tf.debugging` assertion that fails when the function runs; XLA drops assertions, so
        there every recorded log-prob is -inf instead. Turn the check off for latent values
        (HMC states may leave a field's space, and hold values at steps where their field is
        not drawn). `observed` excludes `starting_value`.
        """
        if not isinstance(length, int) or length < 1:
            raise ValueError(f"trajectory length must be a positive int, got {length!r}")
        if starting_value is not None and observed:
            raise ValueError("give either starting_value or observed: both would set step 0")
        if starting_value is None:
            data.check_replay_lengths(self._network, length)
        start = self._flat_start(starting_value)
        logged = self._flat_observed(observed, length)
        problems = (value_checks.logged_value_problems(self._network, logged)
                    if check_observed else [])
        logged = value_checks.enforced(problems, logged)
        kept = self._selected(fields)
        memory.check_trajectory_length(length, [self._network.variable(name).spec.as_dict[field]
                                                for name, names in kept for field in names])
        run_seed = None if seed is None else seeds.as_seed(seed)
        values, log_probs, mismatches = self._run("_trajectory", length, run_seed, start, logged,
                                                  kept)
        if check_observed:
            differences = value_checks.mismatch_problems(mismatches)
            values, log_probs = value_checks.enforced(differences, (values, log_probs))
            log_probs = value_checks.masked(log_probs, problems + differences)
        return Trajectory(unflatten_network_value(values), unflatten_network_value(log_probs))

    def execute(self, num_steps: int, seed: seeds.Seed,
                starting_value: NetworkValue | None = None) -> dict[str, Value]:
        """The value after `num_steps` steps from the initial step (or `starting_value`)."""
        return self.stream(num_steps, seed, None, starting_value)[0]

    def stream(self, num_steps: int | tf.Tensor, seed: seeds.Seed, summarize: Summarize | None,
               starting_value: NetworkValue | None = None
               ) -> tuple[dict[str, Value], dict[str, tf.Tensor]]:
        """The value after `num_steps` steps, and `summarize(value)` at steps 0 .. num_steps.

        Only the current value and the summaries are kept, so memory does not grow with the
        number of steps: `summarize` reduces a step's value to small tensors (`{name: tensor}`,
        e.g. a mean over users), returned stacked on a leading time axis. Pass the same function
        object on every call: a new one traces the program again.
        """
        if not tf.is_tensor(num_steps) and (not isinstance(num_steps, int) or num_steps < 0):
            raise ValueError(f"num_steps must be a non-negative int, got {num_steps!r}")
        if starting_value is None and not tf.is_tensor(num_steps):
            data.check_replay_lengths(self._network, num_steps + 1)
        start = self._flat_start(starting_value)
        final, summaries = self._run("_execute", tf.convert_to_tensor(num_steps),
                                     seeds.as_seed(seed), start, summarize)
        return unflatten_network_value(final), summaries

    def reset(self, seed: seeds.Seed, inputs: NetworkValue | None = None) -> SimulationState:
        """The initial step; input variables not in `inputs` use their own initial value."""
        run_seed = seeds.as_seed(seed)
        value, log_probs = self._run("_reset", run_seed, self._flat_inputs(inputs, required=False))
        return SimulationState(unflatten_network_value(value), run_seed, tf.constant(0),
                               unflatten_network_value(log_probs))

    def step(self, state: SimulationState, inputs: NetworkValue | None = None) -> SimulationState:
        """One step from `state`, with every input variable's value taken from `inputs`."""
        flat_state = self._flat_values(state.value)
        next_step = state.step + 1
        value, log_probs = self._run("_step", flat_state, state.seed, next_step,
                                     self._flat_inputs(inputs, required=True))
        return SimulationState(unflatten_network_value(value), state.seed, next_step,
                               unflatten_network_value(log_probs))

    # Conversions at the boundary.

    def _flat_values(self, network_value: NetworkValue) -> Flat:
        unknown = [name for name in network_value if name not in self._names]
        missing = [name for name in self._names if name not in network_value]
        if unknown:
            raise ValueError(f"values for unknown variables {unknown}")
        if missing:
            raise ValueError(f"the network value lacks variables {missing}")
        return {v.name: {k: tf.convert_to_tensor(x) for k, x in
                         v.typecheck(network_value[v.name]).as_dict.items()}
                for v in self._network.variables}

    def _flat_start(self, starting_value: NetworkValue | None) -> Flat | None:
        return None if starting_value is None else self._flat_values(starting_value)

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

    def _selected(self, fields: FieldSelection | None) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """The kept `(variable, its fields)`, a hashable argument of the compiled function."""
        fields = {v.name: None for v in self._network.variables} if fields is None else fields
        kept = []
        for name, names in fields.items():
            specs = self._network.variable(name).spec.as_dict
            unknown = [field for field in names or () if field not in specs]
            if unknown:
                raise ValueError(f"fields: variable {name!r} has no fields {unknown}")
            kept.append((name, tuple(specs if names is None else names)))
        return tuple(kept)

    # Traced building blocks.

    def _initial(self, run_seed: tf.Tensor | None, given: Flat,
                 observed: Flat | None = None) -> tuple[Flat, LogProbs]:
        resolver = FieldResolver(self._field_seeds(run_seed, 0), _at_step(observed, 0),
                                 record_log_probs=self._record)
        value = self._network.initial_step(resolver, unflatten_network_value(given))
        return flatten_network_value(value), resolver.log_probs

    def _transition(self, state: Flat, run_seed: tf.Tensor | None, step: tf.Tensor, given: Flat,
                    observed: Flat | None = None) -> tuple[Flat, LogProbs]:
        resolver = FieldResolver(self._field_seeds(run_seed, step), _at_step(observed, step),
                                 record_log_probs=self._record)
        value = self._network.step(unflatten_network_value(state), resolver,
                                   unflatten_network_value(given))
        return flatten_network_value(value), resolver.log_probs

    def _field_seeds(self, run_seed: tf.Tensor | None,
                     step: int | tf.Tensor) -> seeds.FieldSeeds | None:
        if run_seed is None:
            return None
        names = [(v.name, field) for v in self._network.variables for field in v.spec.as_dict]
        return seeds.FieldSeeds(seeds.step_seed(run_seed, step), names)

    def _filled(self, log_probs: LogProbs, reference: Flat, fed: tuple[str, ...] = ()) -> Flat:
        """`log_probs` zero-filled to the same structure at every step (empty unless recorded)."""
        if not self._record:
            return {}
        return {name: {field: log_probs.get(name, {}).get(field, tf.zeros(spec.shape, spec.dtype))
                       for field, spec in fields.items()}
                for name, fields in self._template(reference, fed).items()}

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

    def _start(self, run_seed: tf.Tensor | None, start: Flat | None,
               observed: Flat | None = None) -> tuple[Flat, Flat]:
        if start is None:
            state, log_probs = self._initial(run_seed, {}, observed)
        else:
            state, log_probs = start, {}
        return state, self._filled(log_probs, state)

    def _advance(self, state: Flat, run_seed: tf.Tensor | None, step: tf.Tensor,
                 observed: Flat | None = None) -> tuple[Flat, Flat]:
        next_state, log_probs = self._transition(state, run_seed, step, {}, observed)
        return next_state, self._filled(log_probs, state)

    def _shape_invariants(self, state: Flat) -> Flat:
        invariants = {name: val.as_dict for name, val in self._network.invariants().items()}
        return {name: {field: invariants[name][field] for field in fields}
                for name, fields in state.items()}

    # The compiled entry points.

    def _trajectory(self, length: int, run_seed: tf.Tensor | None, start: Flat | None,
                    observed: Flat, kept: tuple[tuple[str, tuple[str, ...]], ...]
                    ) -> tuple[Flat, Flat, Flat]:
        self.trace_count += 1
        state, log_probs = self._start(run_seed, start, observed)
        invariants = self._shape_invariants(state)

        def records(state: Flat, log_probs: Flat) -> tuple[Flat, Flat]:
            return {name: {f: state[name][f] for f in fields} for name, fields in kept}, log_probs

        record_shapes = ({name: {f: invariants[name][f] for f in fields} for name, fields in kept},
                         tf.nest.map_structure(lambda x: x.shape, log_probs))
        arrays = tf.nest.map_structure(
            lambda x, shape: tf.TensorArray(x.dtype, size=length, element_shape=shape).write(0, x),
            records(state, log_probs), record_shapes)
        mismatches = _mismatches(state, observed, 0)

        def body(step: tf.Tensor, state: Flat, arrays: Any, worst: Flat) -> tuple[Any, ...]:
            state, log_probs = self._advance(state, run_seed, step, observed)
            arrays = tf.nest.map_structure(lambda a, x: a.write(step, x), arrays,
                                           records(state, log_probs))
            worst = tf.nest.map_structure(tf.maximum, worst, _mismatches(state, observed, step))
            return step + 1, state, arrays, worst

        _, _, arrays, mismatches = tf.while_loop(
            lambda step, *_: step < length, body, (tf.constant(1), state, arrays, mismatches),
            shape_invariants=(tf.TensorShape([]), invariants,
                              tf.nest.map_structure(lambda _: None, arrays),
                              tf.nest.map_structure(lambda x: x.shape, mismatches)),
            maximum_iterations=length - 1)
        values, log_probs = tf.nest.map_structure(lambda a: a.stack(), arrays)
        return values, log_probs, mismatches

    def _execute(self, num_steps: tf.Tensor, run_seed: tf.Tensor, start: Flat | None,
                 summarize: Summarize | None) -> tuple[Flat, dict[str, tf.Tensor]]:
        self.trace_count += 1
        state, _ = self._start(run_seed, start)
        summaries = self._summaries(summarize, state)
        arrays = {key: tf.TensorArray(x.dtype, size=num_steps + 1, element_shape=x.shape).write(
                      0, x) for key, x in summaries.items()}

        def body(step: tf.Tensor, state: Flat, arrays: dict[str, tf.TensorArray]
                 ) -> tuple[tf.Tensor, Flat, dict[str, tf.TensorArray]]:
            state, _ = self._advance(state, run_seed, step)
            arrays = {key: arrays[key].write(step, x)
                      for key, x in self._summaries(summarize, state).items()}
            return step + 1, state, arrays

        _, state, arrays = tf.while_loop(
            lambda step, *_: step <= num_steps, body, (tf.constant(1), state, arrays),
            shape_invariants=(tf.TensorShape([]), self._shape_invariants(state),
                              {key: None for key in arrays}),
            maximum_iterations=num_steps)
        return state, {key: array.stack() for key, array in arrays.items()}

    @staticmethod
    def _summaries(summarize: Summarize | None, state: Flat) -> dict[str, tf.Tensor]:
        if summarize is None:
            return {}
        return {key: tf.convert_to_tensor(x)
                for key, x in summarize(unflatten_network_value(state)).items()}

    def _reset(self, run_seed: tf.Tensor, given: Flat) -> tuple[Flat, Flat]:
        self.trace_count += 1
        state, log_probs = self._initial(run_seed, given)
        return state, self._filled(log_probs, state, self._inputs)

    def _step(self, state: Flat, run_seed: tf.Tensor, step: tf.Tensor,
              given: Flat) -> tuple[Flat, Flat]:
        self.trace_count += 1
        next_state, log_probs = self._transition(state, run_seed, step, given)
        return next_state, self._filled(log_probs, state, self._inputs)


def _at_step(observed: Flat | None, step: int | tf.Tensor) -> dict[str, Value]:
    """The observed values of one step."""
    return unflatten_network_value(tf.nest.map_structure(lambda x: x[step], observed or {}))


def _mismatches(state: Flat, observed: Flat, step: int | tf.Tensor) -> Flat:
    """For each observed field, how far the step's value is from the logged one (see
    `sampling.mismatch`; observed random fields take the logged value, so they give 0)."""
    return {name: {field: mismatch(state[name][field], logged[step])
                   for field, logged in fields.items()}
            for name, fields in observed.items()}


class PythonRuntime(TFRuntime):
    """The same simulation run eagerly, op by op, for debugging; results equal `TFRuntime`'s."""

    def __init__(self, network: Network, record_log_probs: bool = False,
                 inputs: Sequence[str] = ()):
        super().__init__(network, record_log_probs=record_log_probs, inputs=inputs)

    @staticmethod
    def _compiler(jit_compile: bool) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        del jit_compile
        return lambda fn: fn
