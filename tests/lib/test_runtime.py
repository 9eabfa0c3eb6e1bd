"""Tests for `TFRuntime` and `PythonRuntime`: trajectories, seeds, retracing and log-probs."""

import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from recsim_ng.core import Network, Value, Variable
from recsim_ng.core.variable import value
from recsim_ng.lib.field_spec import FieldSpec
from recsim_ng.lib.runtime import PythonRuntime, TFRuntime

tfd = tfp.distributions

THIS_FILE = pathlib.Path(__file__).resolve()
NUM_USERS = 4
LENGTH = 5
SEED = 1234
NOISE_SCALE = 0.1
STEP_SCALE = 1.0


# Small random networks, shared by the tests (and rebuilt by the subprocess below).


def choice_logits(pos):
    """Three options whose preference moves with the walk's position."""
    return tf.stack([pos, -pos, tf.zeros_like(pos)], axis=-1)


def random_walk_network(num_users=NUM_USERS):
    """A Gaussian random walk with a noisy reading, a categorical choice and a clock.

    walk.pos_0 ~ N(0, 1), walk.pos_t ~ N(walk.pos_{t-1}, 1), walk.noise ~ N(walk.pos, 0.1) (a draw
    that depends on an earlier field of the same variable); choice.item ~ Categorical(logits of
    this step's walk.pos); clock.t counts steps deterministically.
    """
    walk = Variable("walk", Value(pos=FieldSpec(), noise=FieldSpec()))

    def noisy(pos):
        return tfd.Normal(pos, NOISE_SCALE)

    walk.initial_value = value(lambda: Value(pos=tfd.Normal(tf.zeros([num_users]), 1.0),
                                             noise=noisy))
    walk.value = value(lambda prev: Value(pos=tfd.Normal(prev.get("pos"), STEP_SCALE),
                                          noise=noisy), [walk.previous])
    choice = Variable("choice", Value(item=FieldSpec()))
    choice.value = value(
        lambda w: Value(item=tfd.Categorical(logits=choice_logits(w.get("pos")))), [walk])
    clock = Variable("clock", Value(t=FieldSpec(dtype=tf.int32)))
    clock.initial_value = value(lambda: Value(t=tf.zeros([num_users], tf.int32)))
    clock.value = value(lambda prev: Value(t=prev.get("t") + 1), [clock.previous])
    return Network([walk, choice, clock])


def twin_variables(num_users):
    """Two variables with two fields each, all four drawn from the same N(0, 1)."""
    twins = []
    for name in ["twin_a", "twin_b"]:
        twin = Variable(name, Value(first=FieldSpec(), second=FieldSpec()))
        twin.value = value(lambda: Value(first=tfd.Normal(tf.zeros([num_users]), 1.0),
                                         second=tfd.Normal(tf.zeros([num_users]), 1.0)))
        twins.append(twin)
    return twins


def as_numpy(network_value):
    """`{variable: {field: ndarray}}`."""
    return {name: {field: np.asarray(x) for field, x in val.as_dict.items()}
            for name, val in network_value.items()}


def at_step(trajectory, t):
    """The network value at step `t` of a trajectory."""
    return {name: val.map(lambda x: x[t]) for name, val in trajectory.items()}


def assert_identical(actual, expected):
    """Same variables, fields, dtypes and bits."""
    actual, expected = as_numpy(actual), as_numpy(expected)
    assert {k: list(v) for k, v in actual.items()} == {k: list(v) for k, v in expected.items()}
    for name, fields in expected.items():
        for field, x in fields.items():
            y = actual[name][field]
            assert y.dtype == x.dtype and y.shape == x.shape, (name, field)
            assert y.tobytes() == x.tobytes(), f"{name}.{field} differs:\n{y}\n{x}"


def assert_differ(first, second, name, field):
    assert not np.array_equal(as_numpy(first)[name][field], as_numpy(second)[name][field])


@pytest.fixture(scope="module")
def network():
    return random_walk_network()


@pytest.fixture(scope="module")
def graph_runtime(network):
    return TFRuntime(network, record_log_probs=True)


@pytest.fixture(scope="module")
def eager_runtime(network):
    return PythonRuntime(network, record_log_probs=True)


@pytest.fixture(scope="module")
def xla_runtime(network):
    return TFRuntime(network, jit_compile=True, record_log_probs=True)


@pytest.fixture(scope="module")
def graph_trajectory(graph_runtime):
    return graph_runtime.trajectory(LENGTH, SEED)


@pytest.fixture(scope="module")
def eager_trajectory(eager_runtime):
    return eager_runtime.trajectory(LENGTH, SEED)


# Trajectories, execute and starting values.


def test_trajectory_stacks_every_field_on_a_leading_time_axis(graph_trajectory):
    traj = as_numpy(graph_trajectory)
    assert set(traj) == {"walk", "choice", "clock"}
    assert set(graph_trajectory.log_probs) == {"walk", "choice"}
    for name, field, dtype in [("walk", "pos", np.float32), ("walk", "noise", np.float32),
                               ("choice", "item", np.int32), ("clock", "t", np.int32)]:
        assert traj[name][field].shape == (LENGTH, NUM_USERS), (name, field)
        assert traj[name][field].dtype == dtype, (name, field)
    # Index 0 is the initial step: the clock reads t at index t.
    np.testing.assert_array_equal(traj["clock"]["t"],
                                  np.tile(np.arange(LENGTH)[:, None], [1, NUM_USERS]))
    assert np.all((traj["choice"]["item"] >= 0) & (traj["choice"]["item"] < 3))
    assert len(np.unique(traj["walk"]["pos"])) == LENGTH * NUM_USERS  # Fresh draws everywhere.


def test_trajectory_rejects_non_positive_lengths(graph_runtime):
    for length in [0, -1, 2.0]:
        with pytest.raises(ValueError, match="length"):
            graph_runtime.trajectory(length, SEED)
    with pytest.raises(ValueError, match="num_steps"):
        graph_runtime.execute(-1, SEED)


@pytest.mark.parametrize("num_steps", [0, LENGTH - 1])
def test_execute_equals_the_last_step_of_a_trajectory(graph_runtime, graph_trajectory,
                                                      num_steps):
    final = graph_runtime.execute(num_steps, SEED)
    assert_identical(final, at_step(graph_trajectory, num_steps))


def test_trajectory_from_a_starting_value_continues_from_it(graph_runtime, graph_trajectory):
    far = np.array([1000.0, -1000.0, 0.0, 50.0], np.float32)[:NUM_USERS]
    start = at_step(graph_trajectory, LENGTH - 1)
    start["walk"] = Value(pos=tf.constant(far), noise=tf.constant(far))
    traj = graph_runtime.trajectory(3, SEED, starting_value=start)
    assert_identical(at_step(traj, 0), start)
    np.testing.assert_array_equal(traj["clock"].get("t").numpy(),
                                  [[LENGTH - 1 + k] * NUM_USERS for k in range(3)])
    # Each unit step moves at most a few standard deviations from where the start left off.
    pos = traj["walk"].get("pos").numpy()
    assert np.all(np.abs(pos[1] - far) < 6 * STEP_SCALE)
    assert np.all(np.abs(pos[2] - pos[1]) < 6 * STEP_SCALE)
    final = graph_runtime.execute(2, SEED, starting_value=start)
    assert_identical(final, at_step(traj, 2))


def test_starting_value_must_hold_every_variable(graph_runtime, graph_trajectory):
    start = at_step(graph_trajectory, 0)
    del start["clock"]
    with pytest.raises(ValueError, match="'clock'"):
        graph_runtime.trajectory(2, SEED, starting_value=start)


def test_starting_value_is_checked_against_the_specs(graph_runtime, graph_trajectory):
    start = at_step(graph_trajectory, 0)
    start["walk"] = Value(pos=tf.zeros([NUM_USERS + 1]), noise=tf.zeros([NUM_USERS]))
    with pytest.raises(ValueError, match="'walk', field 'pos'.*shape"):
        graph_runtime.trajectory(2, SEED, starting_value=start)


@pytest.mark.parametrize("mode", ["graph", "eager"])
def test_reset_and_step_reproduce_the_trajectory(request, mode):
    runtime = request.getfixturevalue(f"{mode}_runtime")
    trajectory = request.getfixturevalue(f"{mode}_trajectory")
    state = runtime.reset(SEED)
    assert_identical(state.value, at_step(trajectory, 0))
    for t in range(1, LENGTH):
        state = runtime.step(state)
        assert int(state.step) == t
        assert_identical(state.value, at_step(trajectory, t))


# The inputs hook.


def _input_network(calls):
    """`action` (fed from outside at every step) shifts a user's Normal draw."""
    action = Variable("action", Value(shift=FieldSpec()))
    action.initial_value = value(lambda: Value(shift=tf.zeros([2])))

    def must_be_fed(previous):
        calls.append("action.value")
        raise AssertionError("the value of an input variable must come from step(inputs=...)")

    action.value = value(must_be_fed, [action.previous])
    user = Variable("user", Value(x=FieldSpec()))
    user.value = value(lambda a: Value(x=tfd.Normal(a.get("shift"), 0.01)), [action])
    return Network([action, user])


@pytest.mark.parametrize("record_log_probs", [False, True])
def test_input_variables_are_fed_by_step_and_their_function_is_not_called(record_log_probs):
    calls = []
    runtime = TFRuntime(_input_network(calls), record_log_probs=record_log_probs,
                        inputs=["action"])
    state = runtime.reset(SEED)
    assert np.all(np.abs(state.value["user"].get("x").numpy()) < 0.1)
    for shift in [[100.0, -100.0], [5.0, 7.0]]:
        state = runtime.step(state, inputs={"action": Value(shift=tf.constant(shift))})
        np.testing.assert_array_equal(state.value["action"].get("shift").numpy(), shift)
        np.testing.assert_allclose(state.value["user"].get("x").numpy(), shift, atol=0.1)
    assert calls == []


def test_reset_takes_optional_inputs():
    runtime = TFRuntime(_input_network([]), inputs=["action"])
    state = runtime.reset(SEED, inputs={"action": Value(shift=tf.constant([-50.0, 50.0]))})
    np.testing.assert_allclose(state.value["user"].get("x").numpy(), [-50.0, 50.0], atol=0.1)


def test_missing_or_unknown_inputs_raise_naming_the_variables():
    runtime = TFRuntime(_input_network([]), inputs=["action"])
    state = runtime.reset(SEED)
    with pytest.raises(ValueError, match="'action'"):
        runtime.step(state)
    with pytest.raises(ValueError, match="'action'"):
        runtime.step(state, inputs={})
    with pytest.raises(ValueError, match="'user'"):
        runtime.step(state, inputs={"action": Value(shift=tf.zeros([2])),
                                    "user": Value(x=tf.zeros([2]))})
    with pytest.raises(KeyError, match="'ghost'"):
        TFRuntime(_input_network([]), inputs=["ghost"])


# Determinism.


@pytest.mark.parametrize("other_mode", ["eager", "xla"])
def test_same_seed_gives_the_same_trajectory_in_every_mode(request, graph_trajectory,
                                                           other_mode):
    # The determinism contract across modes: discrete outcomes equal (no near-ties here), and
    # continuous values and log-probs equal to float32 rounding (normals are an inverse CDF of
    # bit-identical uniforms, which the backends round differently in the last bits).
    other = request.getfixturevalue(f"{other_mode}_runtime").trajectory(LENGTH, SEED)
    for first, second in [(dict(graph_trajectory), dict(other)),
                          (graph_trajectory.log_probs, other.log_probs)]:
        first, second = as_numpy(first), as_numpy(second)
        assert {k: list(v) for k, v in first.items()} == {k: list(v) for k, v in second.items()}
        for name, fields in first.items():
            for field, x in fields.items():
                if x.dtype.kind == "f":
                    np.testing.assert_allclose(second[name][field], x, rtol=1e-5, atol=1e-6)
                else:
                    np.testing.assert_array_equal(second[name][field], x)


def test_same_seed_twice_gives_identical_trajectories(graph_runtime, xla_runtime,
                                                      graph_trajectory):
    assert_identical(graph_runtime.trajectory(LENGTH, SEED), graph_trajectory)
    assert_identical(xla_runtime.trajectory(LENGTH, SEED), xla_runtime.trajectory(LENGTH, SEED))


SUBPROCESS_SCRIPT = f"""
import importlib.util, sys
import numpy as np
spec = importlib.util.spec_from_file_location("runtime_tests", {str(THIS_FILE)!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
runtime = module.TFRuntime(module.random_walk_network(), record_log_probs=True)
traj = module.as_numpy(runtime.trajectory(module.LENGTH, module.SEED))
np.savez(sys.argv[1], **{{name + "/" + field: x for name, fields in traj.items()
                         for field, x in fields.items()}})
"""


def test_same_seed_gives_identical_trajectories_in_another_process(tmp_path, graph_trajectory):
    path = tmp_path / "trajectory.npz"
    env = dict(os.environ, PYTHONHASHSEED="4321", TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run([sys.executable, "-c", SUBPROCESS_SCRIPT, str(path)],
                            capture_output=True, text=True, env=env, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    with np.load(path) as saved:
        other = {}
        for key in saved.files:
            name, field = key.split("/")
            other.setdefault(name, {})[field] = saved[key]
    assert_identical({name: Value(**fields) for name, fields in other.items()}, graph_trajectory)


def test_different_seeds_give_different_trajectories(graph_runtime, graph_trajectory):
    other = graph_runtime.trajectory(LENGTH, SEED + 1)
    assert_differ(other, graph_trajectory, "walk", "pos")
    assert_differ(other, graph_trajectory, "walk", "noise")
    assert not np.any(as_numpy(other)["walk"]["pos"] == as_numpy(graph_trajectory)["walk"]["pos"])
    # Seeds given as a pair of ints work too, and differ from each other.
    pair = graph_runtime.trajectory(LENGTH, (0, SEED))
    assert_differ(pair, graph_runtime.trajectory(LENGTH, (1, SEED)), "walk", "pos")


def test_no_dependence_on_the_global_seed(network, eager_runtime, graph_trajectory,
                                          eager_trajectory):
    graph_results, eager_results = [], []
    try:
        for global_seed in [1, 2]:
            tf.random.set_seed(global_seed)
            # A fresh graph runtime, so any op-level seed would be fixed from this global seed.
            graph_results.append(TFRuntime(network).trajectory(LENGTH, SEED))
            tf.random.set_seed(global_seed)
            eager_results.append(eager_runtime.trajectory(LENGTH, SEED))
    finally:
        tf.random.set_seed(None)
    for result in graph_results:
        assert_identical(result, graph_trajectory)
    for result in eager_results:
        assert_identical(result, eager_trajectory)


# Retracing.


def test_new_seeds_and_starting_values_of_the_same_shapes_do_not_retrace(network,
                                                                         graph_trajectory):
    runtime = TFRuntime(network)
    first, second = at_step(graph_trajectory, 1), at_step(graph_trajectory, 2)
    runtime.trajectory(3, 1, starting_value=first)
    assert runtime.trace_count == 1
    runtime.trajectory(3, 2, starting_value=first)
    assert runtime.trace_count == 1
    later = runtime.trajectory(3, 2, starting_value=second)
    assert runtime.trace_count == 1
    assert_identical(at_step(later, 0), second)  # The new data really went in.


def test_stepping_with_new_seeds_does_not_retrace(network):
    runtime = TFRuntime(network)
    for seed in [1, 2, 3]:
        state = runtime.reset(seed)
        for _ in range(2):
            state = runtime.step(state)
    assert runtime.trace_count == 2  # One trace of reset, one of step.


def test_streams_and_kept_fields_do_not_retrace_for_new_seeds_or_step_counts(network):
    runtime = TFRuntime(network)
    runtime.stream(3, 1, summarize_walk)
    runtime.trajectory(LENGTH, 1, fields={"walk": ["pos"]})
    traces = runtime.trace_count
    for seed, num_steps in [(2, 3), (3, 7), (4, 1)]:
        runtime.stream(num_steps, seed, summarize_walk)
        runtime.trajectory(LENGTH, seed, fields={"walk": ["pos"]})
    assert runtime.trace_count == traces


# Kept fields and streams.


def summarize_walk(value):
    return {"mean_pos": tf.reduce_mean(value["walk"].get("pos")),
            "items": tf.reduce_sum(tf.one_hot(value["choice"].get("item"), 3, dtype=tf.int32), 0)}


def test_kept_fields_are_the_trajectory_s_own(graph_runtime, graph_trajectory):
    kept = graph_runtime.trajectory(LENGTH, SEED, fields={"walk": ["noise"], "clock": None})
    assert {name: list(val.as_dict) for name, val in kept.items()} == {"walk": ["noise"],
                                                                       "clock": ["t"]}
    assert_identical(kept, {"walk": graph_trajectory["walk"].at("noise"),
                            "clock": graph_trajectory["clock"]})
    assert_identical(kept.log_probs, graph_trajectory.log_probs)  # Log-probs are all kept.
    with pytest.raises(ValueError, match="variable 'walk' has no fields \\['speed'\\]"):
        graph_runtime.trajectory(LENGTH, SEED, fields={"walk": ["speed"]})
    with pytest.raises(KeyError, match="'walker'"):
        graph_runtime.trajectory(LENGTH, SEED, fields={"walker": None})


@pytest.mark.parametrize("mode", ["graph", "xla"])
def test_streamed_summaries_equal_those_of_the_whole_trajectory(request, graph_trajectory, mode):
    runtime = request.getfixturevalue(f"{mode}_runtime")
    final, summaries = runtime.stream(LENGTH - 1, SEED, summarize_walk)
    pos = as_numpy(graph_trajectory)["walk"]["pos"]
    np.testing.assert_allclose(summaries["mean_pos"], pos.mean(axis=1), rtol=1e-5, atol=1e-5)
    items = as_numpy(graph_trajectory)["choice"]["item"]
    np.testing.assert_array_equal(summaries["items"],
                                  [np.bincount(row, minlength=3) for row in items])
    last = as_numpy(at_step(graph_trajectory, LENGTH - 1))
    for name, fields in as_numpy(final).items():
        for field, x in fields.items():
            np.testing.assert_allclose(x, last[name][field], rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="num_steps"):
        runtime.stream(-2, SEED, summarize_walk)


# Recorded log-probs.


def test_log_probs_are_recorded_for_random_variables_only(graph_trajectory):
    log_probs = graph_trajectory.log_probs
    assert "clock" not in log_probs
    assert list(log_probs["walk"].as_dict) == ["pos", "noise"]
    assert list(log_probs["choice"].as_dict) == ["item"]
    for name in ["walk", "choice"]:
        for field, x in log_probs[name].as_dict.items():
            assert x.shape == (LENGTH, NUM_USERS), (name, field)
            assert x.dtype == tf.float32, (name, field)


def test_recorded_log_probs_equal_the_densities_of_the_draws(graph_trajectory):
    traj = as_numpy(graph_trajectory)
    log_probs = as_numpy(graph_trajectory.log_probs)
    pos, noise = traj["walk"]["pos"].astype(np.float64), traj["walk"]["noise"].astype(np.float64)
    item = traj["choice"]["item"]
    previous_pos = np.concatenate([np.zeros([1, NUM_USERS]), pos[:-1]])  # pos_{-1} := 0.

    def normal_log_prob(x, loc, scale):
        return -0.5 * ((x - loc) / scale) ** 2 - np.log(scale) - 0.5 * np.log(2 * np.pi)

    np.testing.assert_allclose(log_probs["walk"]["pos"],
                               normal_log_prob(pos, previous_pos, STEP_SCALE), rtol=1e-5)
    np.testing.assert_allclose(log_probs["walk"]["noise"],
                               normal_log_prob(noise, pos, NOISE_SCALE), rtol=1e-4, atol=1e-4)
    logits = choice_logits(pos).numpy()
    log_softmax = logits - np.log(np.sum(np.exp(logits), axis=-1, keepdims=True))
    np.testing.assert_allclose(log_probs["choice"]["item"],
                               np.take_along_axis(log_softmax, item[..., None], -1)[..., 0],
                               rtol=1e-5, atol=1e-6)


def test_log_probs_are_zero_where_nothing_was_drawn(graph_runtime, graph_trajectory):
    start = at_step(graph_trajectory, 2)
    traj = as_numpy(graph_runtime.trajectory(3, SEED, starting_value=start).log_probs)
    for name in ["walk", "choice"]:
        for field, x in traj[name].items():
            np.testing.assert_array_equal(x[0], 0.0, err_msg=f"{name}.{field}")
            assert np.all(x[1:] != 0.0), (name, field)


def test_step_wise_log_probs_match_the_trajectory(graph_runtime, graph_trajectory):
    state = graph_runtime.reset(SEED)
    state = graph_runtime.step(state)
    assert_identical(state.log_probs, at_step(graph_trajectory.log_probs, 1))


# Statistical sanity (fixed seeds; tolerances of 4 standard errors).

MANY_USERS = 2000
STAT_LENGTH = 6


@pytest.fixture(scope="module")
def many_users_runtime():
    walk_network = random_walk_network(MANY_USERS)
    return TFRuntime(Network(walk_network.declared_variables + twin_variables(MANY_USERS)))


@pytest.fixture(scope="module")
def many_users_trajectory(many_users_runtime):
    return as_numpy(many_users_runtime.trajectory(STAT_LENGTH, 7))


def _correlation(x, y):
    return np.corrcoef(np.ravel(x), np.ravel(y))[0, 1]


def test_random_walk_increments_are_standard_normal(many_users_trajectory):
    pos = many_users_trajectory["walk"]["pos"].astype(np.float64)
    increments = np.diff(pos, axis=0).ravel()
    n = increments.size
    assert abs(np.mean(increments)) < 4 / np.sqrt(n)
    # The sample variance of n standard normal draws has standard error sqrt(2 / n).
    assert abs(np.var(increments) - 1.0) < 4 * np.sqrt(2 / n)
    initial = pos[0]
    assert abs(np.mean(initial)) < 4 / np.sqrt(initial.size)
    assert abs(np.var(initial) - 1.0) < 4 * np.sqrt(2 / initial.size)


def test_dependent_draw_is_centred_on_the_earlier_field(many_users_trajectory):
    walk = many_users_trajectory["walk"]
    residual = (walk["noise"].astype(np.float64) - walk["pos"]).ravel() / NOISE_SCALE
    n = residual.size
    assert abs(np.mean(residual)) < 4 / np.sqrt(n)
    assert abs(np.var(residual) - 1.0) < 4 * np.sqrt(2 / n)


def test_choices_follow_their_softmax_probabilities(many_users_trajectory):
    pos = many_users_trajectory["walk"]["pos"]
    item = many_users_trajectory["choice"]["item"]
    probs = tf.nn.softmax(choice_logits(pos)).numpy().astype(np.float64)
    for k in range(3):
        # The count of option k is a sum of independent Bernoulli(p_k) draws.
        excess = np.sum(item == k) - np.sum(probs[..., k])
        standard_error = np.sqrt(np.sum(probs[..., k] * (1 - probs[..., k])))
        assert abs(excess) < 4 * standard_error, k


def test_draws_are_uncorrelated_across_steps_fields_variables_and_seeds(many_users_runtime,
                                                                        many_users_trajectory):
    # With n independent pairs, a sample correlation has standard error about 1 / sqrt(n).
    increments = np.diff(many_users_trajectory["walk"]["pos"], axis=0)
    limit = 4 / np.sqrt(increments[1:].size)
    assert abs(_correlation(increments[1:], increments[:-1])) < limit  # Step t vs step t + 1.
    twin_a, twin_b = many_users_trajectory["twin_a"], many_users_trajectory["twin_b"]
    limit = 4 / np.sqrt(twin_a["first"].size)
    assert abs(_correlation(twin_a["first"], twin_a["second"])) < limit  # Two fields.
    assert abs(_correlation(twin_a["first"], twin_b["first"])) < limit  # Two variables.
    other = as_numpy(many_users_runtime.trajectory(STAT_LENGTH, 8))  # Another seed.
    other_increments = np.diff(other["walk"]["pos"], axis=0)
    assert abs(_correlation(increments, other_increments)) < 4 / np.sqrt(increments.size)
    assert abs(_correlation(twin_a["first"], other["twin_a"]["first"])) < limit
