"""Tests for data variables: `replay_variable` and `dataset_variable`."""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from recsim_ng.core import Network, Value, Variable
from recsim_ng.core.variable import value
from recsim_ng.lib.data import DATA_INDEX_FIELD, dataset_variable, replay_variable
from recsim_ng.lib.field_spec import FieldSpec
from recsim_ng.lib.runtime import PythonRuntime, TFRuntime

tfd = tfp.distributions

RUNTIMES = [pytest.param(TFRuntime, id="graph"), pytest.param(PythonRuntime, id="eager")]
STEPS = 4
# Step t of the log: x = [100 t, 100 t + 1, 100 t + 2], clicks = 7 t + 1.
X = (100 * np.arange(STEPS, dtype=np.float32)[:, None] + np.arange(3, dtype=np.float32))
CLICKS = 7 * np.arange(STEPS, dtype=np.int32) + 1


def _spec():
    return Value(x=FieldSpec([3], tf.float32), clicks=FieldSpec((), tf.int32))


def _replay(name="logged_user"):
    return replay_variable(name, _spec(), Value(x=X, clicks=CLICKS))


# Graph-mode assertion messages escape quotes, hence the optional backslashes.
_RAN_PAST = r"\\?'logged_user\\?'"


def _numpy(trajectory):
    return {name: {field: np.asarray(leaf) for field, leaf in val.as_dict.items()}
            for name, val in trajectory.items()}


# replay_variable: replaying.


@pytest.mark.parametrize("runtime_class", RUNTIMES)
def test_replay_variable_yields_the_logged_arrays_step_by_step(runtime_class):
    network = Network([_replay()])
    replayed = _numpy(runtime_class(network).trajectory(STEPS, seed=3))["logged_user"]
    np.testing.assert_array_equal(replayed["x"], X)
    np.testing.assert_array_equal(replayed["clicks"], CLICKS)
    assert replayed["x"].dtype == np.float32
    assert replayed["clicks"].dtype == np.int32


@pytest.mark.parametrize("runtime_class", RUNTIMES)
def test_data_index_field_counts_the_steps(runtime_class):
    network = Network([_replay()])
    replayed = _numpy(runtime_class(network).trajectory(STEPS, seed=3))["logged_user"]
    np.testing.assert_array_equal(replayed[DATA_INDEX_FIELD], np.arange(STEPS))
    assert replayed[DATA_INDEX_FIELD].dtype == np.int32


def test_a_shorter_run_replays_a_prefix_of_the_data():
    network = Network([_replay()])
    replayed = _numpy(PythonRuntime(network).trajectory(2, seed=0))["logged_user"]
    np.testing.assert_array_equal(replayed["x"], X[:2])
    np.testing.assert_array_equal(replayed["clicks"], CLICKS[:2])


@pytest.mark.parametrize("runtime_class", RUNTIMES)
def test_replayed_value_drives_a_simulated_dependent_at_the_same_step(runtime_class):
    logged = _replay()
    noisy = Variable("noisy", Value(y=FieldSpec([3], tf.float32)))
    scale = 1e-3
    noisy.value = value(lambda user: Value(y=tfd.Normal(user.get("x"), scale)), [logged])
    network = Network([noisy, logged])
    simulated = _numpy(runtime_class(network).trajectory(STEPS, seed=11))
    # The means are 100 apart from step to step, so a misaligned step would be off by ~100.
    deviation = simulated["noisy"]["y"] - X
    assert np.all(np.abs(deviation) < 10 * scale)
    assert np.any(deviation != 0.0)  # It was drawn, not copied.
    np.testing.assert_array_equal(simulated["logged_user"]["x"], X)


def test_replay_of_nested_fields():
    spec = Value(user=Value(x=FieldSpec([3], tf.float32)), clicks=FieldSpec((), tf.int32))
    network = Network([replay_variable("log", spec, Value(**{"user.x": X, "clicks": CLICKS}))])
    replayed = PythonRuntime(network).trajectory(STEPS, seed=0)["log"]
    np.testing.assert_array_equal(replayed.get("user.x"), X)
    np.testing.assert_array_equal(replayed.get("clicks"), CLICKS)


# replay_variable: running past the data and bad data.


@pytest.mark.parametrize("runtime_class", RUNTIMES)
def test_running_past_the_data_raises_naming_the_variable(runtime_class):
    network = Network([_replay("logged_user")])
    with pytest.raises((tf.errors.InvalidArgumentError, ValueError), match=_RAN_PAST):
        runtime_class(network).trajectory(STEPS + 1, seed=0)


@pytest.mark.parametrize("run", [
    pytest.param(lambda runtime: runtime.trajectory(STEPS + 1, seed=0), id="trajectory"),
    pytest.param(lambda runtime: runtime.execute(STEPS, seed=0), id="execute"),
    pytest.param(lambda runtime: runtime.stream(STEPS, 0, None), id="stream")])
def test_running_past_the_data_is_refused_before_the_run_under_xla(run):
    """XLA drops the in-graph index check and would clamp the index: replay the last step."""
    runtime = TFRuntime(Network([_replay("logged_user")]), jit_compile=True)
    with pytest.raises(ValueError, match=r"needs 5 steps of data.*'logged_user': 4"):
        run(runtime)


def test_executing_past_the_data_raises_naming_the_variable():
    network = Network([_replay("logged_user")])
    assert np.asarray(
        TFRuntime(network).execute(STEPS - 1, seed=0)["logged_user"].get("clicks")) == CLICKS[-1]
    with pytest.raises((tf.errors.InvalidArgumentError, ValueError), match=_RAN_PAST):
        TFRuntime(network).execute(STEPS, seed=0)


@pytest.mark.parametrize("data", [
    pytest.param(Value(x=X), id="missing field"),
    pytest.param(Value(x=X, clicks=CLICKS, extra=CLICKS), id="extra field"),
    pytest.param(Value(x=X, click=CLICKS), id="misspelt field"),
])
def test_replay_data_with_mismatched_fields_raises_naming_the_variable(data):
    with pytest.raises(ValueError, match="data variable 'logged_user'.*clicks"):
        replay_variable("logged_user", _spec(), data)


def test_replay_data_of_unequal_lengths_raises_naming_the_variable():
    with pytest.raises(ValueError, match="data variable 'logged_user'.*same leading"):
        replay_variable("logged_user", _spec(), Value(x=X, clicks=CLICKS[:-1]))


def test_replay_data_without_a_time_axis_raises_naming_the_variable():
    with pytest.raises(ValueError, match="data variable 'logged_user'"):
        replay_variable("logged_user", Value(clicks=FieldSpec((), tf.int32)),
                        Value(clicks=np.int32(3)))


# dataset_variable.


def _dataset():
    return tf.data.Dataset.from_tensor_slices(
        {"rating": np.arange(10, dtype=np.float32) / 2, "item": np.arange(10, dtype=np.int32)})


def _stream_spec():
    return Value(rating=FieldSpec((), tf.float32), item=FieldSpec((), tf.int32))


@pytest.mark.parametrize("runtime_class", RUNTIMES)
def test_dataset_variable_streams_elements_and_continues_on_the_next_call(runtime_class):
    runtime = runtime_class(Network([dataset_variable("stream", _stream_spec(), _dataset())]))
    first = _numpy(runtime.trajectory(3, seed=0))["stream"]
    np.testing.assert_array_equal(first["item"], [0, 1, 2])
    np.testing.assert_array_equal(first["rating"], [0.0, 0.5, 1.0])
    second = _numpy(runtime.trajectory(3, seed=0))["stream"]
    np.testing.assert_array_equal(second["item"], [3, 4, 5])
    np.testing.assert_array_equal(second["rating"], [1.5, 2.0, 2.5])


def test_dataset_variable_drives_a_dependent():
    stream = dataset_variable("stream", _stream_spec(), _dataset())
    doubled = Variable("doubled", Value(rating=FieldSpec((), tf.float32)))
    doubled.value = value(lambda s: Value(rating=2.0 * s.get("rating")), [stream])
    simulated = _numpy(TFRuntime(Network([doubled, stream])).trajectory(4, seed=0))
    np.testing.assert_array_equal(simulated["doubled"]["rating"], [0.0, 1.0, 2.0, 3.0])


@pytest.mark.parametrize("dataset", [
    pytest.param(tf.data.Dataset.from_tensor_slices(np.arange(3)), id="tensor"),
    pytest.param(tf.data.Dataset.from_tensor_slices((np.arange(3), np.arange(3))), id="tuple"),
])
def test_dataset_variable_rejects_non_dict_elements_naming_the_variable(dataset):
    with pytest.raises(ValueError, match="data variable 'stream'.*dicts"):
        dataset_variable("stream", _stream_spec(), dataset)


def test_dataset_variable_rejects_mismatched_fields_naming_the_variable():
    dataset = tf.data.Dataset.from_tensor_slices({"rating": np.zeros(3, np.float32)})
    with pytest.raises(ValueError, match="data variable 'stream'.*item"):
        dataset_variable("stream", _stream_spec(), dataset)
