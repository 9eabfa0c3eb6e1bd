"""Seeded corruptions of valid trajectory files, loaded and scored.

Each corrupted file either loads and scores to exactly the log-probability of the original, or
`load_trajectory` / `log_probability` raises `ValueError` (the documented error): never NaN, never
an error from inside TensorFlow or the zip reader.
"""

import io
import math
import zipfile

import numpy as np
import pytest

from recsim_ng.applications.cav_synthetic_model.simulation import cav_network, default_config
from recsim_ng.applications.ecosystem_simulation.simulation import (
    create_viable_provider_simulation_network)
from recsim_ng.applications.ecosystem_simulation.user import init_random_provider_clusters
from recsim_ng.applications.interest_evolution.simulation import (
    create_interest_evolution_simulation_network)
from recsim_ng.examples.random_walk import random_walk_network
from recsim_ng.examples.reference_network import reference_network
from recsim_ng.lib.log_probability import log_probability
from recsim_ng.lib.runtime import TFRuntime
from recsim_ng.lib.trajectory_io import load_trajectory, save_trajectory

STEPS = 4
NETWORKS = {
    "random walk": lambda: random_walk_network(3),
    "reference": lambda: reference_network(3, num_topics=2, num_docs=5, slate_size=2),
    "interest evolution": lambda: create_interest_evolution_simulation_network(3, num_docs=8)[0],
    "ecosystem": lambda: create_viable_provider_simulation_network(
        init_random_provider_clusters(64.0, 2, 2, 2, seed=1), num_users=3),
    "cav": lambda: cav_network(default_config(num_users=3, num_docs=12)),
}


class Original:
    """A simulated trajectory of a network, as a saved file, its arrays and its score."""

    def __init__(self, name: str, tmp_path_factory: pytest.TempPathFactory):
        self.network = NETWORKS[name]()
        trajectory = TFRuntime(self.network).trajectory(STEPS, seed=3)
        path = tmp_path_factory.mktemp("original") / "run.npz"
        save_trajectory(path, trajectory)
        self.raw = path.read_bytes()
        self.arrays = {f"{variable}/{field}": np.asarray(leaf)
                       for variable, val in trajectory.items()
                       for field, leaf in val.as_dict.items()}
        self.score = log_probability(self.network, load_trajectory(path, self.network)).numpy()
        assert np.isfinite(self.score)


@pytest.fixture(scope="module", params=sorted(NETWORKS))
def original(request, tmp_path_factory):
    return Original(request.param, tmp_path_factory)


def npz(arrays: dict[str, np.ndarray], compressed: bool = True) -> bytes:
    buffer = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buffer, **arrays)
    return buffer.getvalue()


def pick(rng: np.random.Generator, arrays: dict[str, np.ndarray], kinds: str = "biuf") -> str:
    keys = sorted(key for key, array in arrays.items() if array.dtype.kind in kinds)
    return keys[rng.integers(len(keys))]


def with_entry(arrays: dict[str, np.ndarray], key: str, array: np.ndarray) -> bytes:
    return npz({**arrays, key: array})


def random_index(rng: np.random.Generator, shape: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(int(rng.integers(n)) for n in shape)


# Corruptions: each maps (rng, original) to the bytes of a corrupted file.


def flip_bits(rng, original):
    raw = bytearray(original.raw)
    for _ in range(rng.integers(1, 4)):
        raw[rng.integers(len(raw))] ^= 1 << int(rng.integers(8))
    return bytes(raw)


# Offsets and sizes of the fields of a zip local file header and central directory entry.
LOCAL_FIELDS = {"flags": (6, 2), "method": (8, 2), "crc": (14, 4), "compressed size": (18, 4),
                "size": (22, 4), "name length": (26, 2), "extra length": (28, 2)}
CENTRAL_FIELDS = {"flags": (8, 2), "method": (10, 2), "crc": (16, 4), "compressed size": (20, 4),
                  "size": (24, 4), "name length": (28, 2), "extra length": (30, 2),
                  "comment length": (32, 2), "local header offset": (42, 4)}


def zip_header_field(rng, original):
    """A random value in a random field of a random zip header (the structure byte flips rarely
    reach: flags such as "encrypted", compression methods, sizes, offsets)."""
    raw = bytearray(original.raw)
    signature, fields = [(b"PK\x03\x04", LOCAL_FIELDS), (b"PK\x01\x02", CENTRAL_FIELDS)][
        rng.integers(2)]
    starts = [i for i in range(len(raw)) if raw.startswith(signature, i)]
    offset, size = list(fields.values())[rng.integers(len(fields))]
    start = starts[rng.integers(len(starts))] + offset
    raw[start:start + size] = rng.integers(256, size=size, dtype=np.uint8).tobytes()
    return bytes(raw)


def truncate(rng, original):
    return original.raw[:rng.integers(len(original.raw))]


def non_finite(rng, original):
    key = pick(rng, original.arrays, "f")
    array = original.arrays[key].copy()
    array[random_index(rng, array.shape)] = rng.choice([np.nan, np.inf, -np.inf])
    return with_entry(original.arrays, key, array)


def beyond_the_spec_dtype(rng, original):
    key = pick(rng, original.arrays)
    array = original.arrays[key]
    wide = array.astype(np.float64 if array.dtype.kind == "f" else np.int64)
    wide[random_index(rng, wide.shape)] = 1e300 if array.dtype.kind == "f" else -2**40
    return with_entry(original.arrays, key, wide)


def negative_or_out_of_range_integer(rng, original):
    if not any(array.dtype.kind == "i" for array in original.arrays.values()):
        return non_finite(rng, original)
    key = pick(rng, original.arrays, "i")
    array = original.arrays[key].copy()
    array[random_index(rng, array.shape)] = rng.choice([-1, 7, 1000, 2**31 - 1])
    return with_entry(original.arrays, key, array)


DTYPES = [np.float64, np.float16, np.int64, np.int32, np.int8, np.uint8, np.bool_, np.complex64,
          "U8", "S8", object]


def other_dtype(rng, original):
    key = pick(rng, original.arrays)
    array = original.arrays[key]
    with np.errstate(all="ignore"):
        for dtype in rng.permutation(np.array(DTYPES, dtype=object)):
            changed = array.astype(dtype)
            kinds = {"u": "i"}.get(changed.dtype.kind, changed.dtype.kind), array.dtype.kind
            if kinds[0] != kinds[1] or np.array_equal(changed.astype(array.dtype), array):
                return with_entry(original.arrays, key, changed)  # Refused, or the same values.
    raise AssertionError("no dtype change")


def other_shape(rng, original):
    key = pick(rng, original.arrays)
    array = original.arrays[key]
    changes = [lambda a: a[..., 0], lambda a: a[..., None], lambda a: a.T,
               lambda a: np.concatenate([a, a], axis=1), lambda a: a.reshape(-1), lambda a: a[0]]
    if len(original.arrays) > 1:  # Alone, a field with fewer or more steps is a valid log.
        changes += [lambda a: a[:-1], lambda a: np.concatenate([a, a[:1]])]
    return with_entry(original.arrays, key, changes[rng.integers(len(changes))](array))


def drop_entry(rng, original):
    key = pick(rng, original.arrays)
    return npz({k: a for k, a in original.arrays.items() if k != key})


def rename_entry(rng, original):
    key = pick(rng, original.arrays)
    variable, field = key.split("/")
    others = sorted(k for k in original.arrays if k != key)
    new_key = rng.choice([f"{variable}/{field}x", f"{variable}_{field}", f"ghost/{field}",
                          f"{variable}/", *others])
    arrays = {(new_key if k == key else key if k == new_key else k): a
              for k, a in original.arrays.items()}  # Renaming onto another entry swaps them.
    return npz(arrays)


def extra_entry(rng, original):
    key = pick(rng, original.arrays)
    variable, _ = key.split("/")
    new_key = rng.choice([f"{variable}/extra", "ghost/field", "no_separator"])
    return npz({**original.arrays, new_key: original.arrays[key]})


def no_steps(rng, original):
    if rng.integers(2):
        return npz({k: a[:0] for k, a in original.arrays.items()})
    key = pick(rng, original.arrays)
    return with_entry(original.arrays, key, original.arrays[key][:0])


def zip_bomb(rng, original):
    """A member whose header claims 64 MiB: far more steps than the other entries have (alone, a
    wrong step shape), backed by 64 MiB of zeros that deflate to 64 kB, or by a few bytes."""
    key = pick(rng, original.arrays)
    array = original.arrays[key]
    step_shape = array.shape[1:] if len(original.arrays) > 1 else (
        array.shape[1] + 1, *array.shape[2:])
    step_bytes = math.prod(step_shape) * array.itemsize
    steps = 2**26 // step_bytes
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {
        "descr": np.lib.format.dtype_to_descr(array.dtype), "fortran_order": False,
        "shape": (steps, *step_shape)})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for k, a in original.arrays.items():
            if k != key:
                archive.writestr(f"{k}.npy", npz_member(a))
        with archive.open(f"{key}.npy", "w", force_zip64=True) as member:
            member.write(header.getvalue())
            size = steps * step_bytes if rng.integers(2) else 64
            for start in range(0, size, 2**20):
                member.write(bytes(min(2**20, size - start)))
    return buffer.getvalue()


def npz_member(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array)
    return buffer.getvalue()


def same_values_other_layout(rng, original):
    """Valid: Fortran order, no compression, wider dtypes of equal values."""
    arrays = dict(original.arrays)
    key = pick(rng, arrays)
    arrays[key] = np.asfortranarray(arrays[key].astype(
        np.float64 if arrays[key].dtype.kind == "f" else np.int64))
    return npz(arrays, compressed=bool(rng.integers(2)))


CORRUPTIONS = {flip_bits: 60, zip_header_field: 60, truncate: 15, non_finite: 8,
               beyond_the_spec_dtype: 6, negative_or_out_of_range_integer: 8, other_dtype: 12,
               other_shape: 12, drop_entry: 4, rename_entry: 8, extra_entry: 4, no_steps: 4,
               zip_bomb: 4, same_values_other_layout: 4}
ALWAYS_REFUSED = {non_finite, beyond_the_spec_dtype, negative_or_out_of_range_integer,
                  other_shape, drop_entry, extra_entry, no_steps, zip_bomb}


def load_and_score(network, raw: bytes, path) -> float | None:
    """The score of the file `raw`, or None where a documented error refused it."""
    path.write_bytes(raw)
    try:
        return float(log_probability(network, load_trajectory(path, network)))
    except ValueError:
        return None


@pytest.mark.parametrize("corrupt", list(CORRUPTIONS), ids=lambda corrupt: corrupt.__name__)
def test_a_corrupted_file_scores_as_the_original_or_is_refused(original, corrupt, tmp_path):
    rng = np.random.default_rng(list(CORRUPTIONS).index(corrupt))
    outcomes = []
    for case in range(CORRUPTIONS[corrupt]):
        score = load_and_score(original.network, corrupt(rng, original), tmp_path / "log.npz")
        assert score is None or score == original.score, (corrupt.__name__, case, score)
        outcomes.append(score is None)
    if corrupt in ALWAYS_REFUSED:
        assert all(outcomes)
    elif corrupt is same_values_other_layout:
        assert not any(outcomes)
    else:
        assert any(outcomes)
