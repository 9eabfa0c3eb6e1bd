"""The choice-model interface, and reading the chosen items' features off a slate.

A choice model turns per-item scores of a slate of K items `[B..., K]` into a distribution over
choices: the index of the chosen slot, or K for "no choice". The concrete models live in
`multinomial_logit`, `proportional` and `cascade`; RecSim NG's two, `MultinomialLogitChoiceModel`
and `IteratedMultinomialLogitChoiceModel`, can also be imported from here, RecSim NG's module.
"""

from __future__ import annotations

import abc
import importlib
from typing import Any, Sequence

import tensorflow as tf

from recsim_ng.core import Value, ValueSpec
from recsim_ng.lib.entity import Entity


class ChoiceModel(Entity, abc.ABC):
    """A batch of users choosing from slates: `choice(scores)` gives `Value(choice=<dist>)`."""

    def __init__(self, batch_shape: Sequence[int], name: str = "ChoiceModel"):
        super().__init__(name=name)
        self._batch_shape = list(batch_shape)

    @property
    def batch_shape(self) -> list[int]:
        return list(self._batch_shape)

    @abc.abstractmethod
    def choice(self, slate_document_scores: tf.Tensor) -> Value:
        """`Value(choice=distribution)` over slot indices in 0..K (K: no choice)."""

    @abc.abstractmethod
    def specs(self) -> ValueSpec:
        """The spec of `choice`'s value."""


def get_chosen(features: Value | tf.Tensor, choices: tf.Tensor, nochoice_value: float = -1,
               batch_dims: int | None = None) -> Value | tf.Tensor:
    """The features of the chosen slate items; the no-choice index K gives `nochoice_value`.

    `features` (a tensor or a `Value` of tensors) is `[B..., K, ...]`. `choices` is `[B...]` (one
    choice per user, the default `batch_dims = rank(choices)`) or `[B..., m]` for m ordered
    choices per user (pass `batch_dims = len(B)`); the result is `choices.shape + [...]`.
    """
    if isinstance(features, Value):
        return features.map(lambda field: get_chosen(field, choices, nochoice_value, batch_dims))
    features = tf.convert_to_tensor(features)
    choices = tf.convert_to_tensor(choices)
    batch_dims = choices.shape.rank if batch_dims is None else batch_dims
    filler_shape = tf.tensor_scatter_nd_update(tf.shape(features), [[batch_dims]], [1])
    filler = tf.fill(filler_shape, tf.cast(nochoice_value, features.dtype))
    padded = tf.concat([features, filler], axis=batch_dims)
    return tf.gather(padded, choices, axis=batch_dims, batch_dims=batch_dims)


_RECSIM_NG_MODELS = ("MultinomialLogitChoiceModel", "IteratedMultinomialLogitChoiceModel")


def __getattr__(name: str) -> Any:
    """RecSim NG's models at RecSim NG's path, loaded on first use (they import this module)."""
    if name in _RECSIM_NG_MODELS:
        module = importlib.import_module("recsim_ng.entities.choice_models.multinomial_logit")
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
