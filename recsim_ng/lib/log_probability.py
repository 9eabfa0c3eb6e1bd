"""Exact log-probabilities of logged trajectories, and the latent-variable densities built on them.

Scoring is the runtime's own walk over the steps (`TFRuntime.trajectory` with the log observed and
log-probs recorded): for each step and variable, the variable's function is evaluated on the
logged values of its dependencies, and every random field's distribution is scored at the logged
field value (fields resolve in order, so a callable field is conditioned on the logged earlier
fields). Latent fields are the ones the log lacks; their values come from a sampler (HMC, VI) or
are re-simulated by the same walk.
"""

from __future__ import annotations

import math
import weakref
from typing import Mapping

import tensorflow as tf

from recsim_ng.core import Network, NetworkValue, Value
from recsim_ng.core.value import unflatten_network_value
from recsim_ng.lib import seeds
from recsim_ng.lib.runtime import TFRuntime, Trajectory


class TrajectoryLogProb:
    """The log density of fully logged trajectories under one network, compiled once per shape."""

    def __init__(self, network: Network, jit_compile: bool = False):
        self._network = network
        self._runtime = TFRuntime(network, jit_compile=jit_compile, record_log_probs=True)

    @property
    def trace_count(self) -> int:
        return self._runtime.trace_count

    def per_field(self, trajectory: NetworkValue) -> dict[str, Value]:
        """`{variable: Value(field=log-prob[T, ...])}` for every random field.

        With concrete data, a logged deterministic field that its variable's function does not
        reproduce from the log (beyond float rounding) is an error naming it: the log cannot
        come from this network.
        """
        missing = [v.name for v in self._network.variables if v.name not in trajectory]
        if missing:
            raise ValueError(f"trajectory lacks variables {missing}; to treat them as latent,"
                             " use LatentTrajectory")
        for variable in self._network.variables:
            absent = [f for f in variable.spec.as_dict if f not in trajectory[variable.name]]
            if absent:
                raise ValueError(f"trajectory variable {variable.name!r} lacks fields {absent}")
        lengths = {tf.convert_to_tensor(leaf).shape[0] for val in trajectory.values()
                   for leaf in val.as_dict.values()}
        if not lengths:
            raise ValueError("the trajectory has no fields")
        if len(lengths) != 1:
            raise ValueError(f"trajectory fields have different lengths {sorted(lengths)}")
        return self._runtime.trajectory(lengths.pop(), None, observed=trajectory,
                                        fields={}).log_probs

    def __call__(self, trajectory: NetworkValue) -> tf.Tensor:
        """The total log density: all random fields, steps and batch elements."""
        return total_log_prob(self.per_field(trajectory))


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
        simulated = self._runtime.trajectory(self.length, 0, observed=self._observed, fields={})
        random = {name: val.as_dict for name, val in simulated.log_probs.items()}
        self.latent_fields: list[tuple[str, str]] = [
            (name, field) for name in names for field in random.get(name, {})
            if name not in observed or field not in observed[name]]
        self._observed_random = {
            name: [field for field in val.as_dict if field in random.get(name, {})]
            for name, val in self._observed.items()}
        if not self.latent_fields:
            raise ValueError("the trajectory has no latent random fields; use log_probability")

    def simulate(self, seed: seeds.Seed) -> Trajectory:
        """The whole trajectory with its latents re-simulated given the log, and the recorded
        log-probs (`log_probs`) of every random field."""
        return self._runtime.trajectory(self.length, seed, observed=self._observed)

    def sample(self, seed: seeds.Seed) -> tuple[list[tf.Tensor], tf.Tensor]:
        """Latent values re-simulated given the log, and that draw's log importance weight."""
        kept = {name: None for name, _ in self.latent_fields}
        simulated = self._runtime.trajectory(self.length, seed, observed=self._observed,
                                             fields=kept)
        latents = [simulated[name].get(field) for name, field in self.latent_fields]
        log_weight = total_log_prob({
            name: simulated.log_probs[name].at(*fields)
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
        scored = self._runtime.trajectory(self.length, None,
                                          observed=unflatten_network_value(fields),
                                          check_observed=False, fields={})
        return total_log_prob(scored.log_probs)

    def log_marginal_likelihood(self, num_samples: int, seed: seeds.Seed) -> tf.Tensor:
        """A Monte-Carlo estimate of log p(log), averaging importance weights over draws."""
        if num_samples < 1:
            raise ValueError(f"num_samples must be positive, got {num_samples}")
        run_seed = seeds.as_seed(seed)
        log_weights = tf.stack([self.sample(seeds.fold_in(run_seed, k))[1]
                                for k in range(num_samples)])
        return tf.reduce_logsumexp(log_weights) - math.log(num_samples)
