"""`Space`: the set of values a field can take, described for RL adapters without gym."""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class Space:
    """A box of values `low <= x <= high`, integer-valued when `discrete`.

    `low` and `high` broadcast against the field's shape; the adapters turn a `Space` into a
    Gymnasium space or a TF-Agents array spec.
    """

    low: float | np.ndarray
    high: float | np.ndarray
    discrete: bool = False

    def __post_init__(self) -> None:
        if np.any(np.asarray(self.low) > np.asarray(self.high)):
            raise ValueError(f"Space low {self.low} exceeds high {self.high}")

    def contains(self, values: np.ndarray) -> bool:
        """Whether every element of `values` lies in the space."""
        values = np.asarray(values)
        inside = np.all((values >= self.low) & (values <= self.high))
        if self.discrete:
            inside = inside and np.all(np.equal(np.mod(values, 1), 0))
        return bool(inside)


def box(low: float | np.ndarray = -np.inf, high: float | np.ndarray = np.inf) -> Space:
    """A continuous space `low <= x <= high`."""
    return Space(low, high, discrete=False)


def discrete(n: int) -> Space:
    """Integers `0 .. n - 1`."""
    if n < 1:
        raise ValueError(f"a discrete space needs n >= 1, got {n}")
    return Space(0, n - 1, discrete=True)
