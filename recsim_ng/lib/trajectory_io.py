"""Trajectories on disk: `.npz` files of `{variable}/{field}` arrays, validated against a network.

A trajectory is `{variable: Value(field=array[T, ...])}`. Files never hold pickles; loading checks
variable and field names, time lengths, shapes, dtypes, NaNs and declared spaces, and names the
variable and field of the first mismatch.
"""

from __future__ import annotations

import os
from typing import Mapping

import numpy as np
import tensorflow as tf

from recsim_ng.core import Network, Value
from recsim_ng.lib.field_spec import lossless_cast

_SEPARATOR = "/"


def save_trajectory(path: str | os.PathLike, trajectory: Mapping[str, Value]) -> None:
    """Writes `trajectory` to a compressed `.npz` file."""
    arrays = {}
    for name, val in trajectory.items():
        if _SEPARATOR in name:
            raise ValueError(f"variable name {name!r} contains {_SEPARATOR!r}")
        for field, leaf in val.as_dict.items():
            arrays[f"{name}{_SEPARATOR}{field}"] = np.asarray(leaf)
    with open(path, "wb") as file:  # A path, not a name numpy would suffix with ".npz".
        np.savez_compressed(file, **arrays)


def load_trajectory(path: str | os.PathLike, network: Network,
                    require_all: bool = True) -> dict[str, Value]:
    """Reads and validates a trajectory file; with `require_all=False`, missing variables or
    fields are allowed (they are the latent part, see `LatentTrajectory`)."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"trajectory file {os.fspath(path)!r} does not exist")
    fields: dict[str, dict[str, np.ndarray]] = {}
    with np.load(path, allow_pickle=False) as archive:
        for key in archive.files:
            name, separator, field = key.partition(_SEPARATOR)
            if not separator or not field:
                raise ValueError(f"{os.fspath(path)!r}: entry {key!r} is not 'variable/field'")
            try:
                fields.setdefault(name, {})[field] = archive[key]
            except ValueError as error:  # Object arrays: refused rather than unpickled.
                raise ValueError(f"{os.fspath(path)!r}: entry {key!r} cannot be read ({error})")
    trajectory = {name: Value(**by_field) for name, by_field in fields.items()}
    return validate_trajectory(network, trajectory, require_all, source=os.fspath(path))


def validate_trajectory(network: Network, trajectory: Mapping[str, Value],
                        require_all: bool = True, source: str = "trajectory") -> dict[str, Value]:
    """The trajectory as numpy arrays of the spec dtypes, or a `ValueError` naming what is wrong.

    Data is cast to the spec dtype only without loss (see `field_spec.lossless_cast`).
    """
    names = {variable.name for variable in network.variables}
    unknown = sorted(set(trajectory) - names)
    if unknown:
        raise ValueError(f"{source}: variables {unknown} are not in the network")
    missing = sorted(names - set(trajectory))
    if require_all and missing:
        raise ValueError(f"{source}: variables {missing} are missing")
    lengths: dict[str, int] = {}
    checked: dict[str, Value] = {}
    for name, val in trajectory.items():
        specs = network.variable(name).spec.as_dict
        given = val.as_dict
        extra = [field for field in given if field not in specs]
        if extra:
            raise ValueError(f"{source}: variable {name!r} has no fields {extra}")
        absent = [field for field in specs if field not in given]
        if require_all and absent:
            raise ValueError(f"{source}: variable {name!r} lacks fields {absent}")
        arrays = {}
        for field, leaf in given.items():
            where = f"{source}: variable {name!r}, field {field!r}"
            array = _checked_array(where, np.asarray(leaf), specs[field])
            lengths[f"{name}.{field}"] = array.shape[0]
            arrays[field] = array
        checked[name] = Value(**arrays)
    if len(set(lengths.values())) > 1:
        raise ValueError(f"{source}: fields have different numbers of steps: {lengths}")
    return checked


def _checked_array(where: str, array: np.ndarray, spec) -> np.ndarray:
    if array.ndim == 0:
        raise ValueError(f"{where}: has no time axis")
    shape = getattr(spec, "shape", tf.TensorShape(None))
    if not shape.is_compatible_with(array.shape[1:]):
        raise ValueError(f"{where}: step shape {array.shape[1:]} does not match spec shape {shape}")
    dtype = getattr(spec, "dtype", None)
    if dtype is not None:
        try:
            array = lossless_cast(array, dtype.as_numpy_dtype)
        except ValueError as error:
            raise ValueError(f"{where}: {error}") from None
    if np.issubdtype(array.dtype, np.floating) and np.isnan(array).any():
        first = tuple(int(i) for i in np.argwhere(np.isnan(array))[0])
        raise ValueError(f"{where}: NaN at index {first}")
    space = getattr(spec, "space", None)
    if space is not None and not space.contains(array):
        raise ValueError(f"{where}: values outside the field's space {space}")
    return array
