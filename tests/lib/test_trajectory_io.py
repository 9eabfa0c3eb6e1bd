"""Tests for trajectories on disk: `save_trajectory`, `load_trajectory`, `validate_trajectory`."""

import io
import re
import tracemalloc
import zipfile

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from recsim_ng.core import Network, Value, Variable
from recsim_ng.core.variable import value
from recsim_ng.lib import memory
from recsim_ng.lib.field_spec import FieldSpec
from recsim_ng.lib.log_probability import log_probability
from recsim_ng.lib.runtime import TFRuntime
from recsim_ng.lib.space import box, discrete
from recsim_ng.lib.trajectory_io import load_trajectory, save_trajectory, validate_trajectory

tfd = tfp.distributions

STEPS = 5
NUM_USERS = 3


def _network(score_spec=None):
    """A user random walk, a choice among 2 items and a score derived from the interest."""
    user = Variable("user", Value(interest=FieldSpec([NUM_USERS, 2], tf.float32,
                                                      space=box(-50.0, 50.0))))
    user.initial_value = value(lambda: Value(interest=tfd.Normal(tf.zeros([NUM_USERS, 2]), 1.0)))
    user.value = value(lambda u: Value(interest=tfd.Normal(u.get("interest"), 0.1)),
                       [user.previous])
    choice = Variable("choice", Value(
        item=FieldSpec([NUM_USERS], tf.int32, space=discrete(2)),
        score=score_spec if score_spec is not None else FieldSpec([NUM_USERS], tf.float32)))
    choice.value = value(lambda u: Value(item=tfd.Categorical(logits=u.get("interest")),
                                         score=tf.reduce_sum(u.get("interest"), axis=-1)),
                         [user])
    return Network([user, choice])


def _constant(name, spec):
    """A variable that is all zeros; only its spec matters here."""
    variable = Variable(name, spec)
    variable.value = value(lambda: spec.map(lambda field_spec: tf.zeros(field_spec.shape,
                                                                        field_spec.dtype)))
    return variable


def _valid_arrays():
    """A hand-made trajectory that fits `_network()`, as `{variable: {field: array}}`."""
    rng = np.random.default_rng(0)
    return {
        "user": {"interest": rng.normal(size=[STEPS, NUM_USERS, 2]).astype(np.float32)},
        "choice": {"item": rng.integers(0, 2, size=[STEPS, NUM_USERS]).astype(np.int32),
                   "score": rng.normal(size=[STEPS, NUM_USERS]).astype(np.float32)},
    }


def _write(path, arrays):
    """Writes raw `{variable: {field: array}}` as `variable/field` entries, bypassing checks."""
    np.savez(path, **{f"{name}/{field}": array
                      for name, fields in arrays.items() for field, array in fields.items()})
    return path


def _load_with(tmp_path, network=None, require_all=True, **changes):
    """Loads `_valid_arrays()` after `changes` ({"variable.field": array or None to drop})."""
    arrays = _valid_arrays()
    for key, array in changes.items():
        name, field = key.split(".")
        if array is None:
            del arrays[name][field]
        else:
            arrays.setdefault(name, {})[field] = array
    path = _write(tmp_path / "log.npz", arrays)
    return load_trajectory(path, network or _network(), require_all=require_all)


def _names(variable, field, path=None):
    """A regex matching a message that names `variable`, then `field` (and `path` first)."""
    parts = ([re.escape(str(path))] if path is not None else []) + [
        f"'{variable}'", f"'{field}'"]
    return ".*".join(parts)


@pytest.fixture(scope="module")
def simulated():
    network = _network()
    return network, TFRuntime(network).trajectory(STEPS, seed=7)


# Round trip.


def test_save_then_load_gives_identical_arrays(simulated, tmp_path):
    network, trajectory = simulated
    path = tmp_path / "run.npz"
    save_trajectory(path, trajectory)
    loaded = load_trajectory(path, network)
    assert set(loaded) == set(trajectory) == {"user", "choice"}
    for name, val in trajectory.items():
        assert set(loaded[name].as_dict) == set(val.as_dict)
        for field, leaf in val.as_dict.items():
            original = np.asarray(leaf)
            assert loaded[name].get(field).dtype == original.dtype, (name, field)
            np.testing.assert_array_equal(loaded[name].get(field), original)


def test_saved_file_is_a_plain_npz_of_variable_slash_field_arrays(simulated, tmp_path):
    _, trajectory = simulated
    path = tmp_path / "run.npz"
    save_trajectory(path, trajectory)
    with np.load(path, allow_pickle=False) as archive:
        assert sorted(archive.files) == ["choice/item", "choice/score", "user/interest"]
        assert archive["user/interest"].shape == (STEPS, NUM_USERS, 2)
        assert archive["choice/item"].dtype == np.int32
        np.testing.assert_array_equal(archive["choice/score"],
                                      np.asarray(trajectory["choice"].get("score")))


def test_save_then_load_with_a_path_without_npz_suffix(simulated, tmp_path):
    network, trajectory = simulated
    path = tmp_path / "run"
    save_trajectory(path, trajectory)
    loaded = load_trajectory(path, network)
    np.testing.assert_array_equal(loaded["user"].get("interest"),
                                  np.asarray(trajectory["user"].get("interest")))


def test_nested_fields_round_trip_as_dotted_names(tmp_path):
    network = Network([_constant("log", Value(user=Value(x=FieldSpec([2], tf.float32))))])
    path = tmp_path / "nested.npz"
    x = np.arange(6, dtype=np.float32).reshape(3, 2)
    save_trajectory(path, {"log": Value(**{"user.x": x})})
    with np.load(path, allow_pickle=False) as archive:
        assert archive.files == ["log/user.x"]
    np.testing.assert_array_equal(load_trajectory(path, network)["log"].get("user.x"), x)


def test_valid_hand_made_trajectory_loads(tmp_path):
    loaded = _load_with(tmp_path)
    np.testing.assert_array_equal(loaded["choice"].get("item"), _valid_arrays()["choice"]["item"])


# Names.


def test_unknown_variable_is_rejected_naming_it_and_the_path(tmp_path):
    path = tmp_path / "log.npz"
    with pytest.raises(ValueError, match=re.escape(str(path)) + ".*'recommender'"):
        _load_with(tmp_path, **{"recommender.slate": np.zeros([STEPS, 2], np.int32)})


def test_missing_variable_is_rejected_when_all_are_required(tmp_path):
    arrays = _valid_arrays()
    del arrays["choice"]
    path = _write(tmp_path / "log.npz", arrays)
    with pytest.raises(ValueError, match=re.escape(str(path)) + ".*'choice'.*missing"):
        load_trajectory(path, _network())


def test_missing_variable_is_allowed_when_not_all_are_required(tmp_path):
    arrays = _valid_arrays()
    del arrays["choice"]
    loaded = load_trajectory(_write(tmp_path / "log.npz", arrays), _network(), require_all=False)
    assert set(loaded) == {"user"}
    np.testing.assert_array_equal(loaded["user"].get("interest"), arrays["user"]["interest"])


def test_extra_field_is_rejected_naming_variable_field_and_path(tmp_path):
    with pytest.raises(ValueError, match=_names("choice", "clicked", tmp_path / "log.npz")):
        _load_with(tmp_path, **{"choice.clicked": np.zeros([STEPS, NUM_USERS], np.float32)})


def test_missing_field_is_rejected_naming_variable_and_field(tmp_path):
    with pytest.raises(ValueError, match=_names("choice", "score", tmp_path / "log.npz")):
        _load_with(tmp_path, **{"choice.score": None})


def test_missing_field_is_allowed_when_not_all_are_required(tmp_path):
    loaded = _load_with(tmp_path, require_all=False, **{"choice.score": None})
    assert set(loaded["choice"].as_dict) == {"item"}


def test_malformed_key_without_separator_is_rejected_naming_key_and_path(tmp_path):
    path = tmp_path / "log.npz"
    np.savez(path, user_interest=np.zeros([STEPS, NUM_USERS, 2], np.float32))
    with pytest.raises(ValueError, match=re.escape(str(path)) + ".*'user_interest'"):
        load_trajectory(path, _network())


def test_key_with_empty_field_is_rejected(tmp_path):
    path = tmp_path / "log.npz"
    np.savez(path, **{"user/": np.zeros([STEPS, NUM_USERS, 2], np.float32)})
    with pytest.raises(ValueError, match=re.escape(str(path)) + ".*'user/'"):
        load_trajectory(path, _network())


def test_missing_file_raises_file_not_found_naming_the_path(tmp_path):
    path = tmp_path / "nowhere.npz"
    with pytest.raises(FileNotFoundError, match=re.escape(str(path))):
        load_trajectory(path, _network())


def test_saving_a_variable_name_with_the_separator_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="'a/b'"):
        save_trajectory(tmp_path / "log.npz", {"a/b": Value(x=np.zeros([2]))})


# Shapes and lengths.


def test_different_time_lengths_are_rejected_naming_the_fields(tmp_path):
    short = np.zeros([STEPS - 1, NUM_USERS], np.float32)
    with pytest.raises(ValueError, match=r"different numbers of steps.*choice\.score.*4"):
        _load_with(tmp_path, **{"choice.score": short})


def test_wrong_step_shape_against_declared_spec_names_variable_and_field(tmp_path):
    wide = np.zeros([STEPS, NUM_USERS, 3], np.float32)
    with pytest.raises(ValueError, match=_names("user", "interest", tmp_path / "log.npz")
                       + r".*step shape \(3, 3\)"):
        _load_with(tmp_path, **{"user.interest": wide})


def test_field_without_time_axis_is_rejected(tmp_path):
    with pytest.raises(ValueError, match=_names("choice", "score") + ".*no time axis"):
        validate_trajectory(_network(score_spec=FieldSpec()),
                            {name: Value(**fields) for name, fields in {
                                **_valid_arrays(), "choice": {**_valid_arrays()["choice"],
                                                              "score": np.float32(1.0)}}.items()})


def test_wrong_step_shape_against_a_learned_spec_is_rejected():
    network = _network(score_spec=FieldSpec())
    arrays = _valid_arrays()
    arrays["choice"]["score"] = np.zeros([STEPS, NUM_USERS + 1], np.float32)
    trajectory = {name: Value(**fields) for name, fields in arrays.items()}
    validate_trajectory(network, trajectory)  # Nothing learned yet: any shape is accepted.
    TFRuntime(network).trajectory(2, seed=0)  # Learns score's step shape [NUM_USERS].
    assert network.variable("choice").spec.get("score").shape == [NUM_USERS]
    with pytest.raises(ValueError, match=_names("choice", "score") + r".*step shape \(4,\)"):
        validate_trajectory(network, trajectory)


# Dtypes.


def test_int64_data_that_fits_is_narrowed_to_the_int32_spec(tmp_path):
    items = np.array([[0, 1, 1]] * STEPS, dtype=np.int64)
    loaded = _load_with(tmp_path, **{"choice.item": items})
    assert loaded["choice"].get("item").dtype == np.int32
    np.testing.assert_array_equal(loaded["choice"].get("item"), items)


def test_float64_data_becomes_the_float32_spec_dtype(tmp_path):
    score = np.full([STEPS, NUM_USERS], 0.25, np.float64)
    loaded = _load_with(tmp_path, **{"choice.score": score})
    assert loaded["choice"].get("score").dtype == np.float32
    np.testing.assert_array_equal(loaded["choice"].get("score"), score)


def test_integer_data_that_does_not_fit_the_spec_dtype_is_rejected(tmp_path):
    items = np.zeros([STEPS, NUM_USERS], np.int64)
    items[2, 1] = 2**31  # One past int32's maximum; a cast would wrap it around.
    with pytest.raises(ValueError, match=_names("choice", "item", tmp_path / "log.npz")
                       + ".*without loss to spec dtype int32"):
        _load_with(tmp_path, **{"choice.item": items})


@pytest.mark.parametrize("array, dtype_name", [
    pytest.param(np.zeros([STEPS, NUM_USERS], np.float32), "float32", id="float for int"),
    pytest.param(np.zeros([STEPS, NUM_USERS], np.bool_), "bool", id="bool for int"),
])
def test_unconvertible_dtype_is_rejected_naming_variable_and_field(tmp_path, array, dtype_name):
    with pytest.raises(ValueError, match=_names("choice", "item", tmp_path / "log.npz")
                       + f".*{dtype_name}.*int32"):
        _load_with(tmp_path, **{"choice.item": array})


def test_integer_data_for_a_float_field_is_rejected(tmp_path):
    with pytest.raises(ValueError, match=_names("choice", "score") + ".*int64.*float32"):
        _load_with(tmp_path, **{"choice.score": np.zeros([STEPS, NUM_USERS], np.int64)})


# Values.


def test_nan_is_rejected_with_its_index(tmp_path):
    interest = _valid_arrays()["user"]["interest"]
    interest[3, 2, 1] = np.nan
    with pytest.raises(ValueError, match=_names("user", "interest", tmp_path / "log.npz")
                       + r".*must be finite, got nan at index \(3, 2, 1\)"):
        _load_with(tmp_path, **{"user.interest": interest})


def test_value_outside_a_discrete_space_is_rejected(tmp_path):
    items = _valid_arrays()["choice"]["item"]
    items[4, 0] = 2  # discrete(2) holds 0 and 1.
    with pytest.raises(ValueError, match=_names("choice", "item", tmp_path / "log.npz")
                       + ".*outside the field's space"):
        _load_with(tmp_path, **{"choice.item": items})


def test_negative_value_outside_a_discrete_space_is_rejected(tmp_path):
    items = _valid_arrays()["choice"]["item"]
    items[0, 0] = -1
    with pytest.raises(ValueError, match=_names("choice", "item") + ".*space"):
        _load_with(tmp_path, **{"choice.item": items})


def test_value_outside_a_box_space_is_rejected(tmp_path):
    interest = _valid_arrays()["user"]["interest"]
    interest[1, 0, 0] = 50.5  # box(-50, 50).
    with pytest.raises(ValueError, match=_names("user", "interest", tmp_path / "log.npz")
                       + ".*outside the field's space"):
        _load_with(tmp_path, **{"user.interest": interest})


def test_non_integer_value_in_a_discrete_float_field_is_rejected():
    network = Network([_constant("v", Value(x=FieldSpec((), tf.float32, space=discrete(3))))])
    validate_trajectory(network, {"v": Value(x=np.array([0.0, 2.0], np.float32))})
    with pytest.raises(ValueError, match=_names("v", "x") + ".*space"):
        validate_trajectory(network, {"v": Value(x=np.array([0.0, 1.5], np.float32))})


# Never pickle.


_unpickled = []


def _record_unpickling():
    _unpickled.append(True)
    return "unpickled"


class _Tripwire:
    """An object whose unpickling would leave a trace in `_unpickled`."""

    def __reduce__(self):
        return _record_unpickling, ()


def test_object_arrays_are_refused_without_unpickling(tmp_path):
    path = tmp_path / "pickled.npz"
    arrays = _valid_arrays()
    np.savez(path, **{f"{name}/{field}": array for name, fields in arrays.items()
                      for field, array in fields.items() if field != "score"},
             **{"choice/score": np.array([_Tripwire()] * STEPS, dtype=object)})
    with np.load(path, allow_pickle=False) as archive, pytest.raises(ValueError):
        archive["choice/score"]  # The file really holds a pickle that numpy refuses.
    with pytest.raises(ValueError):
        load_trajectory(path, _network())
    assert _unpickled == []


# Infinities and empty trajectories.


@pytest.mark.parametrize("bad", [np.inf, -np.inf])
def test_infinity_is_rejected_with_its_index(tmp_path, bad):
    interest = _valid_arrays()["user"]["interest"]
    interest[1, 0, 1] = bad
    with pytest.raises(ValueError, match=_names("user", "interest", tmp_path / "log.npz")
                       + r".*must be finite, got -?inf at index \(1, 0, 1\)"):
        _load_with(tmp_path, **{"user.interest": interest})


def test_infinity_in_an_in_memory_trajectory_is_rejected():
    arrays = _valid_arrays()
    arrays["choice"]["score"][0, 2] = np.inf
    with pytest.raises(ValueError, match=_names("choice", "score") + ".*must be finite"):
        validate_trajectory(_network(), {name: Value(**fields) for name, fields in arrays.items()})


def test_a_field_with_no_steps_is_rejected_naming_it(tmp_path):
    with pytest.raises(ValueError, match=_names("choice", "score", tmp_path / "log.npz")
                       + ".*no steps"):
        _load_with(tmp_path, **{"choice.score": np.zeros([0, NUM_USERS], np.float32)})


def test_an_in_memory_trajectory_with_no_steps_is_rejected():
    empty = {name: Value(**{field: array[:0] for field, array in fields.items()})
             for name, fields in _valid_arrays().items()}
    with pytest.raises(ValueError, match=_names("user", "interest") + ".*no steps"):
        validate_trajectory(_network(), empty)


# Saving: atomic, never over an existing file unless asked.


def test_saving_over_an_existing_file_is_refused_unless_asked(simulated, tmp_path):
    network, trajectory = simulated
    path = tmp_path / "run.npz"
    path.write_bytes(b"earlier work")
    with pytest.raises(FileExistsError, match=re.escape(str(path)) + ".*overwrite=True"):
        save_trajectory(path, trajectory)
    assert path.read_bytes() == b"earlier work"
    save_trajectory(path, trajectory, overwrite=True)
    np.testing.assert_array_equal(load_trajectory(path, network)["user"].get("interest"),
                                  np.asarray(trajectory["user"].get("interest")))


def test_a_save_that_fails_midway_leaves_the_existing_file_and_no_debris(simulated, tmp_path,
                                                                         monkeypatch):
    _, trajectory = simulated
    path = tmp_path / "run.npz"
    path.write_bytes(b"earlier work")

    def fail_midway(file, **arrays):
        file.write(b"PK half a zip")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez_compressed", fail_midway)
    with pytest.raises(OSError, match="disk full"):
        save_trajectory(path, trajectory, overwrite=True)
    assert path.read_bytes() == b"earlier work"
    assert [entry.name for entry in tmp_path.iterdir()] == ["run.npz"]


def test_saving_into_a_missing_folder_fails_before_writing(simulated, tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere"):
        save_trajectory(tmp_path / "nowhere" / "run.npz", simulated[1])


# Corrupt and hostile archives: refused by their headers, before any data is decompressed.


def _npy_header(shape, dtype):
    """The bytes of a version 1.0 `.npy` header for `shape` and `dtype`."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": np.lib.format.dtype_to_descr(
        np.dtype(dtype)), "fortran_order": False, "shape": tuple(shape)})
    return buffer.getvalue()


def _write_members(path, members):
    """Writes `{name: bytes}` as a deflated zip, bypassing numpy."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _valid_members(**changes):
    """`_valid_arrays()` as `.npy` member bytes, with `changes` ({"variable/field.npy": bytes})."""
    members = {}
    for name, fields in _valid_arrays().items():
        for field, array in fields.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, array)
            members[f"{name}/{field}.npy"] = buffer.getvalue()
    members.update(changes)
    return members


def test_truncated_archive_is_a_value_error_naming_the_file(simulated, tmp_path):
    path = tmp_path / "run.npz"
    save_trajectory(path, simulated[1])
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(ValueError, match=re.escape(str(path))):
        load_trajectory(path, _network())


def test_a_file_that_is_not_a_zip_is_a_value_error_naming_the_file(tmp_path):
    path = tmp_path / "run.npz"
    path.write_bytes(b"not a zip at all" * 10)
    with pytest.raises(ValueError, match=re.escape(str(path))):
        load_trajectory(path, _network())


def test_flipped_data_byte_fails_the_checksum_and_names_the_file(tmp_path):
    path = tmp_path / "run.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:  # Data bytes stay in place.
        for name, data in _valid_members().items():
            archive.writestr(name, data)
    raw = bytearray(path.read_bytes())
    raw[raw.index(_valid_arrays()["choice"]["score"].tobytes())] ^= 0x01
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match=re.escape(str(path)) + ".*'choice/score'"):
        load_trajectory(path, _network())


def test_member_that_is_not_an_npy_array_is_named(tmp_path):
    path = _write_members(tmp_path / "log.npz",
                          _valid_members(**{"choice/score.npy": b"just some bytes"}))
    with pytest.raises(ValueError, match=re.escape(str(path)) + ".*'choice/score'.*npy"):
        load_trajectory(path, _network())


def test_zip_bomb_with_a_wrong_step_shape_is_refused_before_decompressing(tmp_path):
    steps = 2**22  # 2**22 x 8 float32 zeros: 128 MiB that deflate to about 130 kB.
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in _valid_members().items():
            if name != "choice/score.npy":
                archive.writestr(name, data)
        with archive.open("choice/score.npy", "w", force_zip64=True) as member:
            member.write(_npy_header([steps, 8], np.float32))
            chunk = bytes(2**20)
            for _ in range(steps * 8 * 4 // len(chunk)):
                member.write(chunk)
    assert path.stat().st_size < 2**20
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=_names("choice", "score", path)
                           + r".*step shape \(8,\)"):
            load_trajectory(path, _network())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**24, f"{peak} bytes allocated: the bomb was decompressed"


def test_header_claiming_more_data_than_the_member_holds_is_refused(tmp_path):
    header = _npy_header([2**40, NUM_USERS], np.float32)  # 12 TiB claimed by a few bytes.
    path = _write_members(tmp_path / "log.npz",
                          _valid_members(**{"choice/score.npy": header + bytes(64)}))
    with pytest.raises(ValueError, match=re.escape(str(path)) + ".*'choice/score'.*header"):
        load_trajectory(path, _network())


def test_fields_of_different_lengths_are_refused_from_their_headers(tmp_path):
    header = _npy_header([STEPS + 1, NUM_USERS], np.float32)
    path = _write_members(tmp_path / "log.npz", _valid_members(**{
        "choice/score.npy": header + bytes((STEPS + 1) * NUM_USERS * 4)}))
    with pytest.raises(ValueError, match=r"different numbers of steps.*choice\.score.*6"):
        load_trajectory(path, _network())


def test_archive_larger_than_the_available_memory_is_refused(simulated, tmp_path, monkeypatch):
    path = tmp_path / "run.npz"
    save_trajectory(path, simulated[1])
    monkeypatch.setattr(memory, "available_bytes", lambda: 100)
    with pytest.raises(ValueError, match=re.escape(str(path)) + ".*memory"):
        load_trajectory(path, _network())


def test_object_array_is_refused_from_its_header(tmp_path):
    header = _npy_header([STEPS, NUM_USERS], object)
    path = _write_members(tmp_path / "log.npz",
                          _valid_members(**{"choice/score.npy": header + b"\x80\x04junk"}))
    with pytest.raises(ValueError, match=re.escape(str(path)) + ".*'choice/score'.*objects"):
        load_trajectory(path, _network())


def test_fortran_ordered_arrays_load_equal(tmp_path):
    arrays = _valid_arrays()
    arrays["user"]["interest"] = np.asfortranarray(arrays["user"]["interest"])
    loaded = load_trajectory(_write(tmp_path / "log.npz", arrays), _network())
    np.testing.assert_array_equal(loaded["user"].get("interest"),
                                  _valid_arrays()["user"]["interest"])


def test_a_saved_file_gets_the_permissions_of_any_new_file(simulated, tmp_path):
    plain = tmp_path / "plain"
    plain.write_bytes(b"")
    save_trajectory(tmp_path / "run.npz", simulated[1])
    assert (tmp_path / "run.npz").stat().st_mode == plain.stat().st_mode


def test_a_variable_without_fields_round_trips(tmp_path):
    """A file has no entries for a variable with nothing to log; loading restores it empty."""
    empty = Variable("nothing", Value())
    empty.value = value(lambda: Value())
    network = Network([*_network().variables, empty])
    save_trajectory(tmp_path / "run.npz", TFRuntime(network).trajectory(3, seed=0))
    loaded = load_trajectory(tmp_path / "run.npz", network)
    assert loaded["nothing"] == Value()
    assert np.isfinite(log_probability(network, loaded).numpy())
