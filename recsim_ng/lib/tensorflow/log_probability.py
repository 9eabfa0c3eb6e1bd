"""RecSim NG's path and signatures for the log-probability of a logged trajectory; see
docs/migrating_from_recsim_ng.md.

Both functions take RecSim NG's arguments and call `recsim_ng.lib.log_probability`. They build a
`Network` (and so compile a program) on every call, as RecSim NG did: for repeated scoring, build
the network once and call `log_probability(network, trajectory)` from there. RecSim NG's helper
variables (replay, log-prob and accumulator variables) have no counterpart: per-field log-probs
are `TrajectoryLogProb(network).per_field(trajectory)`, log-probs recorded while simulating come
from `TFRuntime(network, record_log_probs=True)`, and variables absent from a log are handled by
`LatentTrajectory`.
"""

from __future__ import annotations

from typing import Sequence

import tensorflow as tf

from recsim_ng.core import Network, NetworkValue, Value, Variable
from recsim_ng.lib import log_probability as log_probability_lib
from recsim_ng.lib.checks import check_size
from recsim_ng.lib.runtime import TFRuntime


def log_probability_from_value_trajectory(variables: Sequence[Variable],
                                          value_trajectory: NetworkValue, num_steps: int,
                                          graph_compile: bool = True) -> tf.Tensor:
    """The log density of steps 0 .. `num_steps` of a logged trajectory under `variables`.

    Every variable must be in the log (RecSim NG re-simulated absent ones with unseeded draws;
    here they are latent, see `LatentTrajectory`). `graph_compile` is accepted for RecSim NG's
    calls: one compiled program computes the same value either way.
    """
    del graph_compile
    num_steps = check_size("num_steps", num_steps, minimum=0)
    network = Network(variables)
    missing = [variable.name for variable in network.variables
               if variable.name not in value_trajectory]
    if missing:
        raise ValueError(f"value_trajectory lacks variables {missing}; to treat them as latent,"
                         " use recsim_ng.lib.log_probability.LatentTrajectory")
    steps = {}
    for name, val in value_trajectory.items():
        fields = {field: tf.convert_to_tensor(leaf) for field, leaf in val.as_dict.items()}
        for field, tensor in fields.items():
            if tensor.shape.rank == 0 or tensor.shape[0] < num_steps + 1:
                raise ValueError(f"value_trajectory variable {name!r}, field {field!r}: needs"
                                 f" {num_steps + 1} steps for num_steps={num_steps}, has shape"
                                 f" {tensor.shape}")
        steps[name] = Value(**{field: tensor[:num_steps + 1] for field, tensor in fields.items()})
    return log_probability_lib.log_probability(network, steps)


def log_probability(variables: Sequence[Variable], observation: Sequence[Variable],
                    num_steps: int, graph_compile: bool = True) -> tf.Tensor:
    """The log density of `variables` at steps 0 .. `num_steps` of the values that the
    `observation` variables replay, the i-th observing the i-th variable.

    Observation variables are deterministic, e.g. `recsim_ng.lib.data.replay_variable`s; fields
    they have beyond the observed variable's (a replay index) are ignored.
    """
    if len(variables) != len(observation):
        raise ValueError(f"{len(variables)} variables but {len(observation)} observation"
                         " variables: give one observation variable per variable")
    num_steps = check_size("num_steps", num_steps, minimum=0)
    replayed = TFRuntime(Network(observation)).trajectory(num_steps + 1, seed=None)
    logged = {variable.name: replayed[observed.name].at(*variable.spec.as_dict)
              for variable, observed in zip(variables, observation)}
    return log_probability_from_value_trajectory(variables, logged, num_steps, graph_compile)
