"""TF-Agents networks over slate observations: a Plackett-Luce slate actor and a state value.

Both score every candidate with one `ItemNetwork` tower over (user features, candidate features)
(`SlateFeatures`), so they fit any candidate count. `SlateActorNetwork` returns the slate
distribution `PlackettLuceSlate(logits, slate_size)`, which TF-Agents' `ActorPolicy`,
`ReinforceAgent` and `PPOAgent` sample, score and take the mode of; `SlateValueNetwork` returns
the mean of the candidates' scores, a state value for a baseline or a critic.

They are TF-Agents `Network`s (Keras layers) only at the surface: the tower is a plain `tf.Module`
of `tf.Variable`s, which Keras tracks as attributes, so `variables`, `trainable_weights`,
`create_variables` and `copy` work as for any TF-Agents network. Observations may carry any
number of outer axes (`[B]`, or `[B, T]` in an agent's loss).
"""

from __future__ import annotations

from typing import Sequence

import tensorflow as tf
from tf_agents.networks import network, utils
from tf_agents.specs import tensor_spec
from tf_agents.typing import types
from tf_agents.utils import nest_utils

from recsim_ng.entities.choice_models import PlackettLuceSlate
from recsim_ng.lib import seeds
from recsim_ng.rl.agents.features import SlateFeatures
from recsim_ng.rl.agents.networks import ItemNetwork
from recsim_ng.rl.agents.slate_spec import slate_shape


class _CandidateScores(network.Network):
    """A network whose output is a function of the `[..., N]` candidate scores of `tower`."""

    def __init__(self, observation_spec: types.NestedTensorSpec, hidden: Sequence[int],
                 seed: seeds.Seed, name: str):
        super().__init__(tf.nest.map_structure(_samplable, observation_spec), name=name)
        self.tower = ItemNetwork(SlateFeatures(observation_spec), hidden, seed)

    def scores(self, observation: types.NestedTensor) -> tf.Tensor:
        """`[..., N]`: every candidate's score, for observations with any outer axes."""
        squash = utils.BatchSquash(nest_utils.get_outer_rank(observation,
                                                             self.input_tensor_spec))
        return squash.unflatten(self.tower(tf.nest.map_structure(squash.flatten, observation)))


class SlateActorNetwork(_CandidateScores):
    """observation -> `PlackettLuceSlate(logits, slate_size)`, a logit per candidate from the
    shared tower (ReLU `hidden` layers; weights drawn from the stateless `seed`). The action
    spec gives the slate size and must index candidates from 0."""

    def __init__(self, observation_spec: types.NestedTensorSpec,
                 action_spec: types.BoundedTensorSpec, hidden: Sequence[int] = (64, 32),
                 seed: seeds.Seed = 0, name: str = "SlateActorNetwork"):
        shape = slate_shape(action_spec)
        if shape.minimum != 0:
            raise ValueError(f"action_spec must index candidates from 0, got {action_spec}")
        self._slate_size = shape.slate_size
        super().__init__(observation_spec, hidden, seed, name)

    def call(self, observation: types.NestedTensor, step_type: types.Tensor | None = None,
             network_state: types.NestedTensor = (),
             training: bool = False) -> tuple[PlackettLuceSlate, types.NestedTensor]:
        del step_type, training
        return PlackettLuceSlate(self.scores(observation), self._slate_size), network_state


class SlateValueNetwork(_CandidateScores):
    """observation -> `[...]` state value: the mean of the shared tower's candidate scores."""

    def __init__(self, observation_spec: types.NestedTensorSpec,
                 hidden: Sequence[int] = (64, 32), seed: seeds.Seed = 0,
                 name: str = "SlateValueNetwork"):
        super().__init__(observation_spec, hidden, seed, name)

    def call(self, observation: types.NestedTensor, step_type: types.Tensor | None = None,
             network_state: types.NestedTensor = (),
             training: bool = False) -> tuple[tf.Tensor, types.NestedTensor]:
        del step_type, training
        return tf.reduce_mean(self.scores(observation), axis=-1), network_state


def _samplable(spec: tf.TensorSpec) -> tf.TensorSpec:
    """`spec`, without bounds if it has no elements: `create_variables` calls the network on an
    input sampled from its input spec, and TF-Agents cannot sample an empty bounded spec (e.g.
    the user features of a story that shows none)."""
    if isinstance(spec, tensor_spec.BoundedTensorSpec) and spec.shape.num_elements() == 0:
        return tf.TensorSpec(spec.shape, spec.dtype, spec.name)
    return spec
