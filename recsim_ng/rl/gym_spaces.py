"""`DistinctMultiDiscrete`: a Gymnasium space of slates, integers differing along the last axis."""

from __future__ import annotations

from copy import deepcopy
from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.vector.utils import batch_space


class DistinctMultiDiscrete(spaces.MultiDiscrete):
    """Integers `start .. start + n - 1` of `shape`, pairwise different along the last axis (a
    slate showing each candidate once; leading axes are a batch).

    `sample` draws uniformly among such slates, and `contains` refuses a repeated value, which
    a plain `MultiDiscrete` allows.
    """

    def __init__(self, n: int, shape: tuple[int, ...], dtype: Any = np.int64, start: int = 0,
                 seed: int | np.random.Generator | None = None):
        if not shape or shape[-1] > n:
            raise ValueError(f"slates of shape {shape} cannot hold distinct values of {n}")
        super().__init__(np.full(shape, n), dtype, seed, np.full(shape, start))
        self.n, self.first = n, start

    def sample(self, mask: Any = None, probability: Any = None) -> np.ndarray:
        """A uniformly random slate (masks are not supported)."""
        if mask is not None or probability is not None:
            raise NotImplementedError("DistinctMultiDiscrete samples without masks")
        keys = self.np_random.random((*self.shape[:-1], self.n))
        return (np.argsort(keys, axis=-1)[..., :self.shape[-1]] + self.first).astype(self.dtype)

    def contains(self, x: Any) -> bool:
        if not super().contains(np.asarray(x) if isinstance(x, (list, tuple)) else x):
            return False
        ordered = np.sort(np.asarray(x), axis=-1)
        return bool(np.all(ordered[..., 1:] != ordered[..., :-1]))

    def __repr__(self) -> str:
        return f"DistinctMultiDiscrete({self.n}, {self.shape}, start={self.first})"

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, DistinctMultiDiscrete) and super().__eq__(other)


@batch_space.register(DistinctMultiDiscrete)
def _batch_slates(space: DistinctMultiDiscrete, n: int = 1) -> DistinctMultiDiscrete:
    return DistinctMultiDiscrete(space.n, (n, *space.shape), space.dtype, space.first,
                                 seed=deepcopy(space.np_random))
