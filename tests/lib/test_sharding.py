"""Users split into shards: concurrent shards, a MirroredStrategy over logical CPUs and two
worker processes all give the one-shard result, as the determinism contract defines equal."""

import json
import os
import pathlib
import socket
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from recsim_ng.applications.interest_evolution.simulation import (
    REPLICATED_VARIABLES, create_interest_evolution_simulation_network)
from recsim_ng.applications.recsim_v1 import interest_evolution as v1_interest_evolution
from recsim_ng.examples.reference_network import reference_network
from recsim_ng.lib.log_probability import log_probability
from recsim_ng.lib.runtime import TFRuntime
from recsim_ng.lib.sharding import ShardedRuntime

USERS, LENGTH, SEED = 12, 8, 21
THIS_FILE = pathlib.Path(__file__).resolve()


def interest_evolution_network(users):
    return create_interest_evolution_simulation_network(users, num_docs=20)[0]


def v1_network(users):
    return v1_interest_evolution(users, uniform_random_slate=True)


APPLICATIONS = {  # name: (make_network, replicated variables)
    "interest_evolution": (interest_evolution_network, REPLICATED_VARIABLES),
    "recsim_v1_interest_evolution": (v1_network, ()),
    "reference_network": (reference_network, ("corpus",)),
}


def as_numpy(trajectory):
    return {name: {field: np.asarray(x) for field, x in val.as_dict.items()}
            for name, val in trajectory.items()}


def assert_equal_as_the_contract_defines(actual, expected):
    """Same fields; discrete values equal; continuous values equal to float32 rounding."""
    actual, expected = as_numpy(actual), as_numpy(expected)
    assert {k: sorted(v) for k, v in actual.items()} == {k: sorted(v) for k, v in expected.items()}
    for name, fields in expected.items():
        for field, x in fields.items():
            y = actual[name][field]
            assert y.shape == x.shape and y.dtype == x.dtype, (name, field)
            if x.dtype.kind == "f":
                np.testing.assert_allclose(y, x, rtol=1e-5, atol=1e-5, err_msg=f"{name}.{field}")
            else:
                np.testing.assert_array_equal(y, x, err_msg=f"{name}.{field}")


@pytest.mark.parametrize("application", sorted(APPLICATIONS))
@pytest.mark.parametrize("num_shards,jit_compile", [(2, False), (3, True), (4, False)])
def test_shards_give_the_one_shard_trajectory(application, num_shards, jit_compile):
    make_network, replicated = APPLICATIONS[application]
    one = ShardedRuntime(make_network, USERS, replicated=replicated, record_log_probs=True)
    many = ShardedRuntime(make_network, USERS, num_shards=num_shards, replicated=replicated,
                          jit_compile=jit_compile, record_log_probs=True)
    expected, actual = one.trajectory(LENGTH, SEED), many.trajectory(LENGTH, SEED)
    assert_equal_as_the_contract_defines(actual, expected)
    assert_equal_as_the_contract_defines(actual.log_probs, expected.log_probs)
    # One shard is the plain runtime.
    assert_equal_as_the_contract_defines(
        expected, TFRuntime(make_network(USERS)).trajectory(LENGTH, SEED))


def test_streamed_sums_and_final_values_equal_the_full_trajectory():
    make_network, replicated = APPLICATIONS["interest_evolution"]
    sharded = ShardedRuntime(make_network, USERS, num_shards=3, replicated=replicated)

    def summarize(value):
        return {"reward": tf.reduce_sum(value["metrics_state"].get("reward")),
                "clicks": tf.reduce_sum(tf.cast(value["user_response"].get("choice") < 2,
                                                tf.int32))}

    final, summaries = sharded.stream(LENGTH - 1, SEED, summarize)
    full = sharded.trajectory(LENGTH, SEED)
    np.testing.assert_allclose(summaries["reward"],
                               tf.reduce_sum(full["metrics_state"].get("reward"), 1), rtol=1e-5)
    np.testing.assert_array_equal(
        summaries["clicks"], tf.reduce_sum(tf.cast(full["user_response"].get("choice") < 2,
                                                   tf.int32), 1))
    last = {name: val.map(lambda x: x[-1]) for name, val in full.items()}
    assert_equal_as_the_contract_defines(final, last)
    traces = sharded.trace_count
    sharded.stream(LENGTH - 1, SEED + 1, summarize)
    sharded.stream(LENGTH + 3, SEED + 2, summarize)
    sharded.trajectory(LENGTH, SEED + 3)
    assert sharded.trace_count == traces  # New seeds and step counts: no retracing.


def test_sharded_log_probability_equals_the_whole_logs():
    make_network, replicated = APPLICATIONS["interest_evolution"]
    logged = TFRuntime(make_network(USERS)).trajectory(LENGTH, SEED)
    sharded = ShardedRuntime(make_network, USERS, num_shards=4, replicated=replicated)
    np.testing.assert_allclose(sharded.log_probability(logged),
                               log_probability(make_network(USERS), logged), rtol=1e-5)


def test_bad_shardings_are_named():
    make_network, replicated = APPLICATIONS["interest_evolution"]
    with pytest.raises(ValueError, match="num_users=12 is not a multiple of the 5 shards"):
        ShardedRuntime(make_network, USERS, num_shards=5, replicated=replicated)
    with pytest.raises(ValueError, match=r"replicated variables \['corpus'\]"):
        ShardedRuntime(make_network, USERS, num_shards=2, replicated=["corpus"])
    with pytest.raises(ValueError, match="num_shards must be a positive int"):
        ShardedRuntime(make_network, USERS, num_shards=0)
    forgot = ShardedRuntime(make_network, USERS, num_shards=2, replicated=["corpus_state"])
    with pytest.raises(ValueError, match="'available_docs', field 'doc_id'.*replicated"):
        forgot.trajectory(LENGTH, SEED)


# tf.distribute: each case runs in a fresh Python process, since logical devices and cluster
# settings must be fixed before TensorFlow starts.

WORKER = f"""
import json, os, sys
import numpy as np
import tensorflow as tf
config = json.loads(sys.argv[1])
if config["logical_cpus"] > 1:
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * config["logical_cpus"])
import importlib.util
spec = importlib.util.spec_from_file_location("sharding_tests", {str(THIS_FILE)!r})
tests = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tests)
from recsim_ng.lib.sharding import ShardedRuntime
if config["strategy"] == "mirrored":
    strategy = tf.distribute.MirroredStrategy(
        [f"/cpu:{{i}}" for i in range(config["logical_cpus"])])
else:
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
make_network, replicated = tests.APPLICATIONS[config["application"]]
runtime = ShardedRuntime(make_network, tests.USERS, strategy=strategy, replicated=replicated,
                         jit_compile=config["jit_compile"])
trajectory = runtime.trajectory(tests.LENGTH, tests.SEED)
again = runtime.trajectory(tests.LENGTH, tests.SEED + 1)
np.savez(config["output"], traces=runtime.trace_count, shards=runtime.num_shards,
         **{{name + "/" + field: np.asarray(x) for name, val in trajectory.items()
            for field, x in val.as_dict.items()}})
"""


def run_worker(config, env=None):
    return subprocess.Popen([sys.executable, "-c", WORKER, json.dumps(config)],
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def load_trajectory(path):
    with np.load(path) as saved:
        result = {}
        for key in saved.files:
            if "/" in key:
                name, field = key.split("/")
                result.setdefault(name, {})[field] = saved[key]
        return result, int(saved["traces"]), int(saved["shards"])


def one_shard_trajectory(application):
    make_network, replicated = APPLICATIONS[application]
    trajectory = ShardedRuntime(make_network, USERS, replicated=replicated).trajectory(LENGTH, SEED)
    # As saved by the workers: variables without fields leave nothing in a file.
    return {name: dict(val.as_dict) for name, val in trajectory.items() if val.as_dict}


def from_dicts(trajectory):
    from recsim_ng.core import Value
    return {name: Value(**fields) for name, fields in trajectory.items()}


@pytest.mark.parametrize("application,jit_compile", [("interest_evolution", True),
                                                     ("recsim_v1_interest_evolution", False)])
def test_mirrored_strategy_over_logical_cpus_gives_the_one_shard_trajectory(
        tmp_path, application, jit_compile):
    output = tmp_path / "mirrored.npz"
    worker = run_worker({"logical_cpus": 3, "strategy": "mirrored", "application": application,
                         "jit_compile": jit_compile, "output": str(output)})
    _, errors = worker.communicate(timeout=300)
    assert worker.returncode == 0, errors[-3000:]
    trajectory, traces, shards = load_trajectory(output)
    assert shards == 3 and traces == 1
    assert_equal_as_the_contract_defines(from_dicts(trajectory),
                                         from_dicts(one_shard_trajectory(application)))


def free_port():
    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        return probe.getsockname()[1]


def test_two_worker_processes_on_loopback_give_the_one_shard_trajectory(tmp_path):
    workers = [f"localhost:{free_port()}" for _ in range(2)]
    processes = []
    for index in range(2):
        tf_config = {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}
        processes.append(run_worker(
            {"logical_cpus": 1, "strategy": "multi_worker", "application": "interest_evolution",
             "jit_compile": False, "output": str(tmp_path / f"worker{index}.npz")},
            env={"TF_CONFIG": json.dumps(tf_config)}))
    for process in processes:
        _, errors = process.communicate(timeout=300)
        assert process.returncode == 0, errors[-3000:]
    expected = from_dicts(one_shard_trajectory("interest_evolution"))
    for index in range(2):
        trajectory, traces, shards = load_trajectory(tmp_path / f"worker{index}.npz")
        assert shards == 2 and traces == 1
        assert_equal_as_the_contract_defines(from_dicts(trajectory), expected)


TRAINER = f"""
import json, sys
import numpy as np
import tensorflow as tf
replicas = int(sys.argv[1])
if replicas > 1:
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from recsim_ng.applications.interest_evolution.simulation import (
    REPLICATED_VARIABLES, create_interest_evolution_simulation_network)
from recsim_ng.applications.interest_evolution.training import ReinforceTrainer
from recsim_ng.lib.sharding import ShardedRuntime
made = {{}}

def make_network(users):
    network, made["variables"] = create_interest_evolution_simulation_network(users, num_docs=20)
    return network

strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"][:replicas])
sharded = ShardedRuntime(make_network, 8, strategy=strategy, replicated=REPLICATED_VARIABLES,
                         record_log_probs=True)
trainer = ReinforceTrainer(sharded, made["variables"], horizon=6, learning_rate=0.05)
curve = trainer.train(3, seed=4)
np.savez(sys.argv[2], curve=curve, traces=trainer.trace_count,
         **{{variable.name.split(":")[0]: variable.numpy() for variable in made["variables"]}})
"""


def test_a_training_step_on_two_replicas_equals_the_one_replica_step(tmp_path):
    outputs = []
    for replicas in (1, 2):
        output = tmp_path / f"replicas{replicas}.npz"
        done = subprocess.run([sys.executable, "-c", TRAINER, str(replicas), str(output)],
                              capture_output=True, text=True, timeout=300, check=False,
                              env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
        assert done.returncode == 0, done.stderr[-3000:]
        with np.load(output) as saved:
            outputs.append({key: saved[key] for key in saved.files})
    one, two = outputs
    assert one["traces"] == two["traces"] == 1
    np.testing.assert_allclose(two.pop("curve"), one.pop("curve"), rtol=1e-5)
    # Adam moves a weight by at most the learning rate per step, and a gradient that nearly
    # cancels can differ in relative terms when two replicas add it up in another order: the
    # weights must agree to a thousandth of the largest possible movement.
    movement = 0.05 * 3
    for key, value in one.items():
        np.testing.assert_allclose(two[key], value, rtol=0, atol=1e-3 * movement, err_msg=key)
