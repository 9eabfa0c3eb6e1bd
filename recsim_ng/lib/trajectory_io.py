"""Trajectories on disk: `.npz` files of `{variable}/{field}` arrays, validated against a network.

A trajectory is `{variable: Value(field=array[T, ...])}` with T >= 1. Files are written atomically
and never hold pickles; loading checks variable and field names, time lengths, shapes and dtypes
from the entries' headers before any data is decompressed, then NaNs, infinities and declared
spaces, and names the variable and field of the first mismatch.
"""

from __future__ import annotations

import contextlib
import lzma
import math
import os
import zipfile
import zlib
from typing import Any, Iterator, Mapping, NamedTuple

import numpy as np
import tensorflow as tf

from recsim_ng.core import Network, Value
from recsim_ng.lib import memory
from recsim_ng.lib.checks import check_finite
from recsim_ng.lib.field_spec import lossless_cast
from recsim_ng.lib.files import atomic_writer

_SEPARATOR = "/"
_NPY = ".npy"
# What the zip reader and its decompressors raise for a damaged archive.
_DAMAGED = (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, OSError, NotImplementedError)


def save_trajectory(path: str | os.PathLike, trajectory: Mapping[str, Value],
                    overwrite: bool = False) -> None:
    """Writes `trajectory` to a compressed `.npz` file in one rename, so a failed or killed save
    leaves any earlier file at `path` as it was; that file is replaced only with `overwrite`."""
    arrays = {}
    for name, val in trajectory.items():
        if _SEPARATOR in name:
            raise ValueError(f"variable name {name!r} contains {_SEPARATOR!r}")
        for field, leaf in val.as_dict.items():
            arrays[f"{name}{_SEPARATOR}{field}"] = np.asarray(leaf)
    with atomic_writer(path, "wb", overwrite) as file:  # A file: numpy adds no ".npz" suffix.
        np.savez_compressed(file, **arrays)


def load_trajectory(path: str | os.PathLike, network: Network,
                    require_all: bool = True) -> dict[str, Value]:
    """Reads and validates a trajectory file; with `require_all=False`, missing variables or
    fields are allowed (they are the latent part, see `LatentTrajectory`).

    Each entry's shape and dtype are read from its `.npy` header and checked against the
    network's specs, its size in the zip directory and the available memory before any data is
    decompressed, so a small file that would expand to gigabytes is refused unread.

    Raises:
      FileNotFoundError: `path` does not exist.
      ValueError: the file is not a readable `.npz` archive of `variable/field` arrays (damaged,
        truncated, holding pickled objects, an entry whose size contradicts its header, too
        large for the memory), or its content does not fit `network` (see
        `validate_trajectory`). The message names the file and the entry, or the variable and
        field.
    """
    source = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"trajectory file {source!r} does not exist")
    with open(path, "rb") as file, _damage_named(source):
        archive = zipfile.ZipFile(file)
        entries = _entries(source, archive)
        headers = {name: {field: header for field, (_, header) in by_field.items()}
                   for name, by_field in entries.items()}
        _check_layout(network, headers, require_all, source)
        memory.check_fits(f"{source!r}", sum(header.num_bytes for by_field in headers.values()
                                             for header in by_field.values()))
        trajectory = {}
        for name, by_field in entries.items():
            arrays = {}
            for field, (info, _) in by_field.items():
                with _damage_named(source, f"{name}{_SEPARATOR}{field}"), \
                        archive.open(info) as member:
                    arrays[field] = np.lib.format.read_array(member, allow_pickle=False)
            trajectory[name] = Value(**arrays)
    return validate_trajectory(network, trajectory, require_all, source)


class _Header(NamedTuple):
    """What an entry's `.npy` header declares."""

    shape: tuple[int, ...]
    dtype: np.dtype

    @property
    def num_bytes(self) -> int:
        return math.prod(self.shape) * self.dtype.itemsize


@contextlib.contextmanager
def _damage_named(source: str, entry: str | None = None) -> Iterator[None]:
    """Turns the zip reader's errors into a `ValueError` naming the file (and `entry`)."""
    try:
        yield
    except _DAMAGED as error:
        what = f"{source!r} is not a readable .npz archive" if entry is None else (
            f"{source!r}: entry {entry!r} is damaged")
        raise ValueError(f"{what} ({type(error).__name__}: {error})") from None


def _entries(source: str, archive: zipfile.ZipFile
             ) -> dict[str, dict[str, tuple[zipfile.ZipInfo, _Header]]]:
    """`{variable: {field: (zip entry, header)}}`, from the headers alone."""
    entries: dict[str, dict[str, tuple[zipfile.ZipInfo, _Header]]] = {}
    for info in archive.infolist():
        key = info.filename.removesuffix(_NPY)
        name, separator, field = key.partition(_SEPARATOR)
        if not separator or not field:
            raise ValueError(f"{source!r}: entry {key!r} is not 'variable/field'")
        if field in entries.get(name, {}):
            raise ValueError(f"{source!r}: entry {key!r} appears twice")
        with _damage_named(source, key):
            entries.setdefault(name, {})[field] = (info, _header(f"{source!r}: entry {key!r}",
                                                                 archive, info))
    return entries


def _header(where: str, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> _Header:
    """The entry's `.npy` header, checked against the entry's size in the zip directory."""
    readers = {(1, 0): np.lib.format.read_array_header_1_0,
               (2, 0): np.lib.format.read_array_header_2_0}
    if info.flag_bits & 0x1:
        raise ValueError(f"{where} is encrypted")
    with archive.open(info) as member:
        try:
            version = np.lib.format.read_magic(member)
        except ValueError:
            raise ValueError(f"{where} is not a .npy array") from None
        if version not in readers:
            raise ValueError(f"{where}: .npy format version {version} is not supported")
        try:
            shape, _, dtype = readers[version](member)
        except ValueError as error:
            raise ValueError(f"{where}: unreadable .npy header ({error})") from None
        if dtype.hasobject:
            raise ValueError(f"{where} holds Python objects, which are never unpickled")
        header = _Header(shape, dtype)
        size = member.tell() + header.num_bytes
    if info.file_size != size:
        raise ValueError(f"{where} holds {info.file_size} bytes, but its header (shape {shape},"
                         f" dtype {dtype}) makes {size}")
    return header


def validate_trajectory(network: Network, trajectory: Mapping[str, Value],
                        require_all: bool = True, source: str = "trajectory") -> dict[str, Value]:
    """The trajectory as numpy arrays of the spec dtypes, or a `ValueError` naming what is wrong.

    Data is cast to the spec dtype only without loss (see `field_spec.lossless_cast`); every
    field has at least one step, and no NaN or infinity. Variables without fields (nothing to
    log, so a file has no entries for them) are included, empty.
    """
    arrays = {name: {field: np.asarray(leaf) for field, leaf in val.as_dict.items()}
              for name, val in trajectory.items()}
    _check_layout(network, arrays, require_all, source)
    arrays.update({variable.name: {} for variable in network.variables
                   if not variable.spec.as_dict and variable.name not in arrays})
    return {name: Value(**{
        field: _checked_array(_where(source, name, field), array,
                              network.variable(name).spec.as_dict[field])
        for field, array in by_field.items()}) for name, by_field in arrays.items()}


def _where(source: str, name: str, field: str) -> str:
    return f"{source}: variable {name!r}, field {field!r}"


def _check_layout(network: Network, trajectory: Mapping[str, Mapping[str, Any]],
                  require_all: bool, source: str) -> None:
    """Checks names, numbers of steps, step shapes and dtype kinds: what the arrays' (or
    headers') `shape` and `dtype` tell, without their values."""
    names = {variable.name for variable in network.variables}
    unknown = sorted(set(trajectory) - names)
    if unknown:
        raise ValueError(f"{source}: variables {unknown} are not in the network")
    missing = sorted(variable.name for variable in network.variables
                     if variable.spec.as_dict and variable.name not in trajectory)
    if require_all and missing:
        raise ValueError(f"{source}: variables {missing} are missing")
    lengths: dict[str, int] = {}
    for name, given in trajectory.items():
        specs = network.variable(name).spec.as_dict
        extra = [field for field in given if field not in specs]
        if extra:
            raise ValueError(f"{source}: variable {name!r} has no fields {extra}")
        absent = [field for field in specs if field not in given]
        if require_all and absent:
            raise ValueError(f"{source}: variable {name!r} lacks fields {absent}")
        for field, array in given.items():
            _check_steps_and_dtype(_where(source, name, field), array.shape, array.dtype,
                                   specs[field])
            lengths[f"{name}.{field}"] = array.shape[0]
    if len(set(lengths.values())) > 1:
        raise ValueError(f"{source}: fields have different numbers of steps: {lengths}")


def _check_steps_and_dtype(where: str, shape: tuple[int, ...], dtype: np.dtype, spec) -> None:
    if not shape:
        raise ValueError(f"{where}: has no time axis")
    if shape[0] == 0:
        raise ValueError(f"{where}: has no steps (a trajectory starts with the initial step)")
    spec_shape = getattr(spec, "shape", tf.TensorShape(None))
    if not spec_shape.is_compatible_with(shape[1:]):
        raise ValueError(f"{where}: step shape {shape[1:]} does not match spec shape"
                         f" {spec_shape}")
    if dtype.kind not in "biufc":
        raise ValueError(f"{where}: dtype {dtype} is not a numeric or boolean dtype")
    spec_dtype = getattr(spec, "dtype", None)
    if spec_dtype is not None:
        try:  # An empty array: only the kinds of the dtypes are compared.
            lossless_cast(np.empty(0, dtype), spec_dtype.as_numpy_dtype)
        except ValueError as error:
            raise ValueError(f"{where}: {error}") from None


def _checked_array(where: str, array: np.ndarray, spec) -> np.ndarray:
    """`array` cast to the spec dtype, checked finite and inside the spec's space."""
    dtype = getattr(spec, "dtype", None)
    if dtype is not None:
        try:
            array = lossless_cast(array, dtype.as_numpy_dtype)
        except ValueError as error:
            raise ValueError(f"{where}: {error}") from None
    if array.dtype.kind in "fc":  # |z| is NaN or infinite where a part of z is.
        check_finite(where, np.abs(array) if array.dtype.kind == "c" else array)
    space = getattr(spec, "space", None)
    if space is not None and not space.contains(array):
        raise ValueError(f"{where}: values outside the field's space {space}")
    return array
