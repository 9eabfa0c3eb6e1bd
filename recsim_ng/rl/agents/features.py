"""`SlateFeatures`: a slate observation as float user and per-candidate feature tensors.

Item-level agents (SlateQ, full-slate Q, policy gradient) score candidates from the user's
features next to each candidate's. The observation follows the slate contract
(`recsim_ng.rl.slate_observation`): every `user` field is flattened into one user vector and
every `candidates` field (candidate axis first) into one vector per candidate, in field-name
order; bounded integer fields become one-hots. The `response` is not encoded.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import tensorflow as tf
from tf_agents.typing import types

from recsim_ng.rl.slate_observation import CANDIDATES, USER


class Features(NamedTuple):
    """`user` `[B, U]` and `docs` `[B, N, D]`, both float32."""

    user: tf.Tensor
    docs: tf.Tensor


class SlateFeatures:
    """Encodes observations of the slate observation spec `observation_spec`."""

    def __init__(self, observation_spec: types.NestedTensorSpec):
        if not isinstance(observation_spec, dict) or CANDIDATES not in observation_spec:
            raise ValueError("expected a slate observation spec {'user': {...}, 'candidates':"
                             f" {{...}}, 'response': {{...}}}}, got {observation_spec}")
        self._user_specs = sorted(observation_spec.get(USER, {}).items())
        self._doc_specs = sorted(observation_spec[CANDIDATES].items())
        if not self._doc_specs:
            raise ValueError("the slate observation spec has no candidate features")
        self.num_candidates = int(self._doc_specs[0][1].shape[0])
        for name, spec in self._doc_specs:
            if spec.shape.rank < 1 or int(spec.shape[0]) != self.num_candidates:
                raise ValueError(f"candidate feature {name!r}: expected the candidate axis"
                                 f" ({self.num_candidates}) first, got shape {spec.shape}")
        self.user_dim = sum(_width(spec) for _, spec in self._user_specs)
        self.doc_dim = sum(_width(spec, leading=1) for _, spec in self._doc_specs)

    def __call__(self, observation: types.NestedTensor) -> Features:
        docs = tf.concat([_encode(spec, observation[CANDIDATES][name], leading=2)
                          for name, spec in self._doc_specs], axis=-1)
        if self._user_specs:
            user = tf.concat([_encode(spec, observation[USER][name], leading=1)
                              for name, spec in self._user_specs], axis=-1)
        else:  # No user features: an empty vector per user.
            user = tf.zeros(tf.stack([tf.shape(docs)[0], 0]), tf.float32)
        return Features(user, docs)


def _width(spec: tf.TensorSpec, leading: int = 0) -> int:
    """The number of float features one row of `spec` (after `leading` axes) encodes to."""
    size = int(np.prod(spec.shape[leading:]))
    return size * _num_values(spec) if spec.dtype.is_integer else size


def _num_values(spec: tf.TensorSpec) -> int:
    minimum, maximum = getattr(spec, "minimum", None), getattr(spec, "maximum", None)
    if minimum is None or maximum is None or np.max(maximum) - np.min(minimum) > 1000:
        raise ValueError(f"integer observation field {spec.name!r} needs bounds (at most 1001"
                         f" values) to be one-hot encoded, got {spec}")
    return int(np.max(maximum) - np.min(minimum)) + 1


def _encode(spec: tf.TensorSpec, tensor: tf.Tensor, leading: int) -> tf.Tensor:
    """`tensor` (batch and `leading - 1` more axes, then `spec`'s row) as `[..., width]`."""
    tensor = tf.convert_to_tensor(tensor)
    if spec.dtype.is_integer:
        tensor = tf.one_hot(tensor - int(np.min(spec.minimum)), _num_values(spec))
    shape = tf.shape(tensor)
    return tf.reshape(tf.cast(tensor, tf.float32), tf.concat([shape[:leading], [-1]], 0))
