"""Tests for trajectories on disk: `save_trajectory`, `load_trajectory`, `validate_trajectory`."""

import re

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from recsim_ng.core import Network, Value, Variable
from recsim_ng.core.variable import value
from recsim_ng.lib.field_spec import FieldSpec
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
                       + r".*NaN at index \(3, 2, 1\)"):
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
