"""The shape of a slate action spec: candidate range and slate size."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from tf_agents.typing import types


class SlateShape(NamedTuple):
    """A slate of `slate_size` indices into candidates `minimum .. minimum + num_candidates - 1`."""

    minimum: int
    num_candidates: int
    slate_size: int


def slate_shape(action_spec: types.BoundedTensorSpec) -> SlateShape:
    """The slate shape of a bounded int spec `[slate_size]` (bounds scalar or per position)."""
    minimum, maximum = np.min(action_spec.minimum), np.max(action_spec.maximum)
    if not (np.all(action_spec.minimum == minimum) and np.all(action_spec.maximum == maximum)):
        raise ValueError(f"every slate position needs the same bounds, got {action_spec}")
    shape = SlateShape(int(minimum), int(maximum - minimum) + 1, int(action_spec.shape[-1]))
    if action_spec.shape.rank != 1 or shape.slate_size > shape.num_candidates:
        raise ValueError(f"need an action spec [slate_size <= {shape.num_candidates}],"
                         f" got {action_spec}")
    return shape
