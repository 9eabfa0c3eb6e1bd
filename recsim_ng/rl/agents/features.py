"""`ObservationFeatures`: a RecSim v1 observation as float user and per-candidate feature tensors.

Item-level agents (SlateQ, full-slate Q, policy gradient) score candidates from the user's
features next to each candidate's. The v1 observation `{"observation": {"user", "doc"}, ...}`
holds the user as one tensor and the candidates as one `doc` tensor or as per-candidate fields
`doc.<name>` (interest exploration's `doc.quality` and `doc.cluster_id`); bounded integer fields
become one-hots.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import tensorflow as tf
from tf_agents.typing import types


class Features(NamedTuple):
    """`user` `[B, U]` and `docs` `[B, N, D]`, both float32."""

    user: tf.Tensor
    docs: tf.Tensor


class ObservationFeatures:
    """Encodes observations of the time step spec's observation `observation_spec`."""

    def __init__(self, observation_spec: types.NestedTensorSpec):
        observed = observation_spec.get("observation", {})
        self._doc_fields = sorted(name for name in observed
                                  if name == "doc" or name.startswith("doc."))
        if "user" not in observed or not self._doc_fields:
            raise ValueError("expected a RecSim v1 observation spec {'observation': {'user',"
                             f" 'doc' or 'doc.<field>', ...}}, ...}}, got {observation_spec}")
        self._user_spec = observed["user"]
        self._doc_specs = [observed[name] for name in self._doc_fields]
        self.num_candidates = int(self._doc_specs[0].shape[0])
        if any(int(spec.shape[0]) != self.num_candidates for spec in self._doc_specs):
            raise ValueError(f"every doc field needs the candidate axis first, got {observed}")
        self.user_dim = _width(self._user_spec)
        self.doc_dim = sum(_width(spec, leading=1) for spec in self._doc_specs)

    def __call__(self, observation: types.NestedTensor) -> Features:
        observed = observation["observation"]
        user = _encode(self._user_spec, observed["user"], leading=1)
        docs = tf.concat([_encode(spec, observed[name], leading=2)
                          for name, spec in zip(self._doc_fields, self._doc_specs)], axis=-1)
        return Features(user, docs)


def doc_field(observation: types.NestedTensor, name: str) -> types.NestedTensor:
    """The candidates' field `name` of a v1 observation (or spec), `["observation"]["doc.name"]`."""
    return observation["observation"][f"doc.{name}"]


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
