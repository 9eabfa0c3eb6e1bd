"""Static states: drawn once from a mixture at the first step, then kept unchanged."""

from __future__ import annotations

import abc
from typing import Any, Sequence

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from recsim_ng.core import Value, ValueSpec
from recsim_ng.entities.state_models.state import (LinearOpCtor, StateModel, check_batch_shape,
                                                   gather_per_element)
from recsim_ng.lib import space
from recsim_ng.lib.field_spec import FieldSpec

tfd = tfp.distributions


class StaticStateModel(StateModel):
    """A state that never changes: `next_state` returns the previous state's fields as they are."""

    def next_state(self, previous_state: Value, inputs: Value | None = None,
                   parameters: Value | None = None) -> Value:
        del inputs, parameters
        return previous_state.at(*self.specs().as_dict)


class StaticMixtureSameFamilyModel(StaticStateModel):
    """A state drawn from a mixture, optionally with the drawn component's id as a field.

    Without `return_component_id` the state is one draw from the mixture, so its log-prob is
    the mixture density; with it, `component_id` is drawn first and the state given it.
    """

    def __init__(self, batch_shape: Sequence[int], return_component_id: bool, name: str,
                 parameters: dict[str, Any]):
        super().__init__(batch_shape, name, parameters)
        self._return_component_id = return_component_id

    @abc.abstractmethod
    def _mixture_logits(self, parameters: Value | None) -> tf.Tensor:
        """Component logits `[*batch_shape, K]`."""

    @abc.abstractmethod
    def _components(self, parameters: Value | None) -> tfd.Distribution:
        """All components: a distribution of batch shape broadcasting to `[*batch_shape, K]`."""

    @abc.abstractmethod
    def _component_state(self, component_id: tf.Tensor, parameters: Value | None) -> Any:
        """The state given the component id: a distribution or a tensor."""

    def initial_state(self, parameters: Value | None = None) -> Value:
        logits = self._mixture_logits(parameters)
        if not self._return_component_id:
            return Value(state=tfd.MixtureSameFamily(tfd.Categorical(logits=logits),
                                                     self._components(parameters)))
        return Value(component_id=tfd.Categorical(logits=logits),
                     state=lambda component_id: self._component_state(component_id, parameters))

    def _specs(self, event_shape: Sequence[int] | None, dtype: tf.DType | None,
               num_components: int | None) -> ValueSpec:
        shape = None if event_shape is None else self.batch_shape + tuple(event_shape)
        state = Value(state=FieldSpec(shape, dtype, space.box()))
        if not self._return_component_id:
            return state
        id_space = None if num_components is None else space.discrete(num_components)
        return Value(component_id=FieldSpec(self.batch_shape, tf.int32, id_space)).union(state)


class _TensorDictionaryModel(StaticMixtureSameFamilyModel):
    """A choice among the N tensors of `tensor_dictionary` `[*P', N, *E]`, by per-tensor logits.

    The dictionary has as many leading axes as the per-tensor logits `[*P, N]` (size 1 where
    shared); `P` and `P'` broadcast to `batch_shape`, and the state is `[*batch_shape, *E]`.
    """

    @abc.abstractmethod
    def _tensor_logits(self, parameters: Value | None) -> tf.Tensor:
        """Per-tensor logits `[*P, N]`, before broadcasting to the batch."""

    @abc.abstractmethod
    def _index_rank(self) -> int | None:
        """The rank of the constructor's per-tensor parameter (logits or assignments)."""

    def _mixture_logits(self, parameters: Value | None) -> tf.Tensor:
        return self._broadcast(self._tensor_logits(parameters), 1, "the per-tensor logits")

    def _dictionary(self, parameters: Value | None) -> tuple[tf.Tensor, int]:
        """The tensor dictionary and its number of event axes."""
        dictionary = tf.convert_to_tensor(self._parameter("tensor_dictionary", parameters))
        event_ndims = dictionary.shape.rank - self._tensor_logits(parameters).shape.rank
        if event_ndims < 0:
            raise ValueError(f"{self.name}: tensor_dictionary {dictionary.shape} has fewer axes"
                             " than the per-tensor logits")
        check_batch_shape(self, dictionary.shape[:-event_ndims - 1],
                          "parameter 'tensor_dictionary'")
        return dictionary, event_ndims

    def _components(self, parameters: Value | None) -> tfd.Distribution:
        dictionary, event_ndims = self._dictionary(parameters)
        return tfd.Independent(tfd.Deterministic(dictionary), event_ndims)

    def _component_state(self, component_id: tf.Tensor, parameters: Value | None) -> tf.Tensor:
        dictionary, event_ndims = self._dictionary(parameters)
        return gather_per_element(dictionary, component_id, event_ndims)

    def specs(self) -> ValueSpec:
        dictionary = self._static_parameter("tensor_dictionary")
        index_rank = self._index_rank()
        if dictionary is None or index_rank is None:
            return self._specs(None, None, None)
        dictionary = tf.convert_to_tensor(dictionary)
        return self._specs(dictionary.shape[index_rank:], dictionary.dtype,
                           dictionary.shape[index_rank - 1])


class StaticTensor(_TensorDictionaryModel):
    """One of N fixed tensors per batch element, chosen by categorical `logits` `[*P, N]`.

    `tensor_dictionary` is `[*P', N, *E]` with as many leading axes as `logits` (size 1 where
    shared); `P` and `P'` broadcast to `batch_shape`, and the state is `[*batch_shape, *E]`.
    `component_id` is the index of the chosen tensor.
    """

    _LOGITS = frozenset({"logits"})

    def __init__(self, tensor_dictionary: Any = None, logits: Any = None,
                 batch_shape: Sequence[int] = (), return_component_id: bool = False,
                 name: str = "StaticTensorStateModel"):
        super().__init__(batch_shape, return_component_id, name,
                         dict(tensor_dictionary=tensor_dictionary, logits=logits))

    def _tensor_logits(self, parameters: Value | None) -> tf.Tensor:
        return tf.convert_to_tensor(self._parameter("logits", parameters))

    def _index_rank(self) -> int | None:
        logits = self._static_parameter("logits")
        return None if logits is None else tf.TensorShape(logits.shape).rank


class HierarchicalStaticTensor(_TensorDictionaryModel):
    """One of N fixed tensors: a cluster is chosen by logits, then a member uniformly.

    `cluster_assignments` is an integer `[*P, N]` giving each tensor's cluster in `0 .. C-1`;
    `cluster_logits` is `[*P'', C]`; `tensor_dictionary` is `[*P', N, *E]` with as many leading
    axes as `cluster_assignments`. Every cluster must have a member in every batch element, or
    its probability would silently go to the others. `component_id` is the chosen tensor's index.
    """

    _LOGITS = frozenset({"cluster_logits"})

    def __init__(self, tensor_dictionary: Any = None, cluster_assignments: Any = None,
                 cluster_logits: Any = None, batch_shape: Sequence[int] = (),
                 return_component_id: bool = False,
                 name: str = "HierarchicalStaticTensorStateModel"):
        super().__init__(batch_shape, return_component_id, name,
                         dict(tensor_dictionary=tensor_dictionary,
                              cluster_assignments=cluster_assignments,
                              cluster_logits=cluster_logits))
        if cluster_assignments is not None and cluster_logits is not None:
            self._tensor_logits(None)  # Rejects empty clusters now rather than mid-simulation.

    def _tensor_logits(self, parameters: Value | None) -> tf.Tensor:
        """log p(cluster) - log |cluster| for each tensor's cluster."""
        assignments = tf.convert_to_tensor(self._parameter("cluster_assignments", parameters))
        cluster_logits = tf.convert_to_tensor(self._parameter("cluster_logits", parameters))
        num_clusters = cluster_logits.shape[-1]
        sizes = tf.reduce_sum(tf.one_hot(assignments, num_clusters), axis=-2)
        static_assignments, static_sizes = map(tf.get_static_value, (assignments, sizes))
        if static_assignments is not None and static_sizes is not None:
            self._check_clusters(static_assignments, static_sizes)
        else:
            tf.debugging.assert_positive(sizes, f"{self.name}: a cluster has no member")
        per_cluster = cluster_logits - tf.math.log(sizes)
        batch = tf.broadcast_static_shape(per_cluster.shape[:-1], assignments.shape[:-1])
        return tf.gather(tf.broadcast_to(per_cluster, batch.concatenate([num_clusters])),
                         tf.broadcast_to(assignments, batch.concatenate(assignments.shape[-1:])),
                         batch_dims=batch.rank)

    def _check_clusters(self, assignments: np.ndarray, sizes: np.ndarray) -> None:
        num_clusters = sizes.shape[-1]
        if np.any((assignments < 0) | (assignments >= num_clusters)):
            raise ValueError(f"{self.name}: cluster_assignments must lie in 0..{num_clusters - 1}")
        empty = sorted({int(c) for c in np.argwhere(sizes == 0)[:, -1]})
        if empty:
            raise ValueError(f"{self.name}: clusters {empty} have no member in some batch element"
                             " (see cluster_assignments)")

    def _index_rank(self) -> int | None:
        assignments = self._static_parameter("cluster_assignments")
        return None if assignments is None else tf.TensorShape(assignments.shape).rank


class GMMVector(StaticMixtureSameFamilyModel):
    """A vector drawn from a Gaussian mixture.

    Component k is `MVN(component_means[..., k, :], linear_operator_ctor(component_scales)[k])`:
    `component_means` is `[*P, K, D]`, the operator has batch shape `[*P', K]` and
    `mixture_logits` is `[*P'', K]`, with `P`, `P'`, `P''` broadcasting to `batch_shape`.
    `component_id` is the index of the drawn component.
    """

    _LOGITS = frozenset({"mixture_logits"})

    def __init__(self, batch_shape: Sequence[int] = (), mixture_logits: Any = None,
                 component_means: Any = None, component_scales: Any = None,
                 linear_operator_ctor: LinearOpCtor = tf.linalg.LinearOperatorFullMatrix,
                 return_component_id: bool = False, name: str = "GMMVectorStateModel"):
        super().__init__(batch_shape, return_component_id, name,
                         dict(mixture_logits=mixture_logits, component_means=component_means,
                              component_scales=component_scales))
        self._linear_operator_ctor = linear_operator_ctor

    def _mixture_logits(self, parameters: Value | None) -> tf.Tensor:
        return self._broadcast(self._parameter("mixture_logits", parameters), 1,
                               "parameter 'mixture_logits'")

    def _components(self, parameters: Value | None) -> tfd.Distribution:
        means = tf.convert_to_tensor(self._parameter("component_means", parameters))
        scale = self._linear_operator_ctor(self._parameter("component_scales", parameters))
        components = tfd.MultivariateNormalLinearOperator(means, scale)
        check_batch_shape(self, components.batch_shape[:-1], "the component distribution")
        return components

    def _component_state(self, component_id: tf.Tensor,
                         parameters: Value | None) -> tfd.Distribution:
        components = self._components(parameters)
        num_components = components.batch_shape[-1]
        # A mixture putting all weight on the drawn component: exact, and needs no gather of
        # the scale operator (whose parameter layout only its constructor knows).
        chosen = tfd.Categorical(logits=tf.where(
            tf.one_hot(component_id, num_components) > 0, 0.0, -np.inf))
        return tfd.MixtureSameFamily(chosen, components)

    def specs(self) -> ValueSpec:
        means = self._static_parameter("component_means")
        if means is None:
            return self._specs(None, None, None)
        means = tf.convert_to_tensor(means)
        return self._specs(means.shape[-1:], means.dtype, means.shape[-2])
