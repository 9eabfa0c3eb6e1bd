"""Exact log-probabilities of logged trajectories, and the latent-variable densities built on them.

For each step and variable, the variable's function is evaluated once on the logged values of its
dependencies, and every random field's distribution is scored at the logged field value (fields
resolve in order, so a callable field is conditioned on the logged earlier fields). Steps are
independent given the log, so the steps after the initial one are scored by one `tf.map_fn`
whose iterations run in parallel (not `tf.vectorized_map`, which cannot stack intermediate
results whose shapes vary from step to step, e.g. of `tf.boolean_mask`).
"""

from __future__ import annotations

import math
import weakref
from typing import Mapping

import tensorflow as tf

from recsim_ng.core import Network, NetworkValue, Value
from recsim_ng.core.value import unflatten_network_value
from recsim_ng.lib import seeds
from recsim_ng.lib.runtime import LOG_PROB_SUFFIX, Flat, TFRuntime
from recsim_ng.lib.sampling import FieldResolver, LogProbs, mismatch
from recsim_ng.lib.trajectory_io import validate_trajectory


class TrajectoryLogProb:
    """The log density of fully logged trajectories under one network, compiled once per shape."""

    def __init__(self, network: Network, jit_compile: bool = False):
        self._network = network
        self._names = [variable.name for variable in network.variables]
        self._fn = tf.function(self._per_field, jit_compile=jit_compile, autograph=False)
        self.trace_count = 0

    def per_field(self, trajectory: NetworkValue) -> dict[str, Value]:
        """`{variable: Value(field=log-prob[T, ...])}` for every random field.

        With concrete data, a logged deterministic field that its variable's function does not
        reproduce from the log (beyond float rounding) is an error naming it: the log cannot
        come from this network.
        """
        log_probs, mismatches = self._fn(self._flat(trajectory))
        if tf.executing_eagerly():
            for name, fields in mismatches.items():
                for field, distance in fields.items():
                    if distance > 1.0:
                        raise ValueError(
                            f"trajectory variable {name!r}, field {field!r}: the logged values"
                            " differ from what the variable computes from the log")
        return unflatten_network_value(log_probs)

    def __call__(self, trajectory: NetworkValue) -> tf.Tensor:
        """The total log density: all random fields, steps and batch elements."""
        return total_log_prob(self.per_field(trajectory))

    def _flat(self, trajectory: NetworkValue) -> Flat:
        missing = [name for name in self._names if name not in trajectory]
        if missing:
            raise ValueError(f"trajectory lacks variables {missing}; to treat them as latent,"
                             " use LatentTrajectory")
        if tf.executing_eagerly():  # Concrete data: check it all, naming any bad variable/field.
            trajectory = validate_trajectory(self._network, trajectory)
        return {name: {field: tf.convert_to_tensor(x) for field, x in trajectory[name].as_dict.items()}
                for name in self._names}

    def _per_field(self, trajectory: Flat) -> tuple[Flat, Flat]:
        self.trace_count += 1
        logged = unflatten_network_value(trajectory)
        initial, initial_mismatches = self._score(
            lambda r: self._network.initial_step(r), _slice(logged, 0))
        leaves = tf.nest.flatten(trajectory)
        if not leaves:
            raise ValueError("the trajectory has no fields")
        length = leaves[0].shape[0]
        steps: Flat = {}
        mismatches = [initial_mismatches]
        if length > 1:
            pairs = (tf.nest.map_structure(lambda x: x[:-1], trajectory),
                     tf.nest.map_structure(lambda x: x[1:], trajectory))

            def score_step(pair: tuple[Flat, Flat]) -> tuple[LogProbs, Flat]:
                return self._score(
                    lambda r: self._network.step(unflatten_network_value(pair[0]), r),
                    unflatten_network_value(pair[1]))

            one_step = tf.nest.map_structure(lambda x: tf.TensorSpec(x.shape[1:], x.dtype), pairs)
            signature = tf.function(score_step, autograph=False).get_concrete_function(
                one_step).structured_outputs
            steps, step_mismatches = tf.map_fn(
                score_step, pairs, parallel_iterations=16,
                fn_output_signature=tf.nest.map_structure(tf.TensorSpec.from_tensor, signature))
            mismatches.append(tf.nest.map_structure(tf.reduce_max, step_mismatches))
        worst: Flat = {}
        for found in mismatches:
            for name, fields in found.items():
                for field, distance in fields.items():
                    known = worst.setdefault(name, {})
                    known[field] = tf.maximum(known[field], distance) if field in known else distance
        return _concatenate_in_time(initial, steps, length), worst

    @staticmethod
    def _score(run_step, observed: Mapping[str, Value]) -> tuple[LogProbs, Flat]:
        """The step's log-probs, and per deterministic field how far the recomputed value is
        from the logged one, in units of a float tolerance (above 1: a mismatch)."""
        resolver = FieldResolver(None, observed, record_log_probs=True)
        computed = run_step(resolver)
        mismatches: Flat = {}
        for name, val in computed.items():
            random = resolver.log_probs.get(name, {})
            logged = observed[name].as_dict
            for field, value in val.as_dict.items():
                if field not in random:
                    mismatches.setdefault(name, {})[field] = mismatch(value, logged[field])
        return resolver.log_probs, mismatches


def _slice(logged: Mapping[str, Value], step: int) -> dict[str, Value]:
    return {name: val.map(lambda x: x[step]) for name, val in logged.items()}


def _concatenate_in_time(initial: LogProbs, steps: Flat, length: int) -> Flat:
    """Initial-step and later log-probs as one [T, ...] tensor per field, 0 where not drawn."""
    combined: Flat = {}
    for name in {**initial, **steps}:
        for field in {**initial.get(name, {}), **steps.get(name, {})}:
            first = initial.get(name, {}).get(field)
            rest = steps.get(name, {}).get(field)
            if first is None:
                first = tf.zeros(rest.shape[1:], rest.dtype)
            if rest is None:
                rest = tf.zeros([length - 1, *first.shape], first.dtype)
            combined.setdefault(name, {})[field] = tf.concat([first[tf.newaxis], rest], axis=0)
    return combined


def total_log_prob(log_probs: Mapping[str, Value]) -> tf.Tensor:
    """The sum of every field of every entry of `log_probs` (per-field or recorded log-probs)."""
    terms = [tf.reduce_sum(leaf) for val in log_probs.values() for leaf in val.as_dict.values()]
    if not terms:
        return tf.constant(0.0)
    dtype = tf.float64 if any(term.dtype == tf.float64 for term in terms) else terms[0].dtype
    return tf.add_n([tf.cast(term, dtype) for term in terms])


_compiled: "weakref.WeakKeyDictionary[Network, TrajectoryLogProb]" = weakref.WeakKeyDictionary()


def log_probability_fn(network: Network) -> TrajectoryLogProb:
    """The network's shared compiled log density (made on first use)."""
    if network not in _compiled:
        _compiled[network] = TrajectoryLogProb(network)
    return _compiled[network]


def log_probability(network: Network, trajectory: NetworkValue) -> tf.Tensor:
    """The exact log density of a fully logged trajectory `{variable: Value(field=[T, ...])}`.

    Differentiable with respect to the entities' variables; compiled once per network and shape.
    """
    return log_probability_fn(network)(trajectory)


class LatentTrajectory:
    """A trajectory whose variables (or fields) missing from the log are latent.

    The latent random fields, in `latent_fields` order, are the free quantities: latent
    deterministic fields are recomputed from them step by step. `target_log_prob_fn` is the joint
    log density as a function of the latent random fields' values, ready for TFP's HMC or
    variational inference; `sample` re-simulates the latents given the log; and
    `log_marginal_likelihood` estimates log p(log) by importance sampling with that re-simulation
    as the proposal (so each weight is the log's likelihood given the simulated latents).
    """

    def __init__(self, network: Network, observed: NetworkValue, jit_compile: bool = False):
        names = [variable.name for variable in network.variables]
        unknown = [name for name in observed if name not in names]
        if unknown:
            raise ValueError(f"observed trajectory has unknown variables {unknown}")
        self._observed = {name: observed[name].map(tf.convert_to_tensor) for name in observed}
        lengths = {leaf.shape[0] for val in self._observed.values() for leaf in val.as_dict.values()}
        if len(lengths) != 1:
            raise ValueError(f"observed fields have different lengths {sorted(lengths)}")
        self.length = lengths.pop()
        self._runtime = TFRuntime(network, jit_compile=jit_compile, record_log_probs=True)
        simulated = self._runtime.trajectory(self.length, 0, observed=self._observed)
        random = {name: simulated[name + LOG_PROB_SUFFIX].as_dict for name in names
                  if name + LOG_PROB_SUFFIX in simulated}
        self.latent_fields: list[tuple[str, str]] = [
            (name, field) for name in names for field in random.get(name, {})
            if name not in observed or field not in observed[name]]
        self._observed_random = {
            name: [field for field in val.as_dict if field in random.get(name, {})]
            for name, val in self._observed.items()}
        if not self.latent_fields:
            raise ValueError("the trajectory has no latent random fields; use log_probability")

    def simulate(self, seed: seeds.Seed) -> dict[str, Value]:
        """The whole trajectory with its latents re-simulated given the log, and the recorded
        log-probs (`"<variable>_log_prob"` entries) of every random field."""
        return self._runtime.trajectory(self.length, seed, observed=self._observed)

    def sample(self, seed: seeds.Seed) -> tuple[list[tf.Tensor], tf.Tensor]:
        """Latent values re-simulated given the log, and that draw's log importance weight."""
        simulated = self.simulate(seed)
        latents = [simulated[name].get(field) for name, field in self.latent_fields]
        log_weight = total_log_prob({
            name: simulated[name + LOG_PROB_SUFFIX].at(*fields)
            for name, fields in self._observed_random.items() if fields})
        return latents, log_weight

    def target_log_prob_fn(self, *latent_values: tf.Tensor) -> tf.Tensor:
        """log p(log, latents): the joint density at the given latent values."""
        if len(latent_values) != len(self.latent_fields):
            raise ValueError(f"expected {len(self.latent_fields)} latent values for"
                             f" {self.latent_fields}, got {len(latent_values)}")
        fields = {name: val.as_dict for name, val in self._observed.items()}
        for (name, field), tensor in zip(self.latent_fields, latent_values):
            fields.setdefault(name, {})[field] = tensor
        # A latent field drawn only at some steps (e.g. a static intent) has free values at the
        # others: they are recomputed, so they must not be checked against the computation.
        scored = self._runtime.trajectory(self.length, 0, observed=unflatten_network_value(fields),
                                          check_observed=False)
        return total_log_prob({name: val for name, val in scored.items()
                               if name.endswith(LOG_PROB_SUFFIX)})

    def log_marginal_likelihood(self, num_samples: int, seed: seeds.Seed) -> tf.Tensor:
        """A Monte-Carlo estimate of log p(log), averaging importance weights over draws."""
        if num_samples < 1:
            raise ValueError(f"num_samples must be positive, got {num_samples}")
        run_seed = seeds.as_seed(seed)
        log_weights = tf.stack([self.sample(seeds.fold_in(run_seed, k))[1]
                                for k in range(num_samples)])
        return tf.reduce_logsumexp(log_weights) - math.log(num_samples)
