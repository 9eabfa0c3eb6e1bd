"""An action outside the action field's space is refused in every mode, never clamped.

Eagerly and in a graph the step fails naming the action variable and field, before the
environment's state changes; under XLA, which drops assertions, the users whose action was
invalid get a NaN reward, which no valid step gives. Gymnasium's space of a slate of distinct
candidates samples only such slates.
"""

import numpy as np
import pytest
import tensorflow as tf
from gymnasium.vector.utils import batch_space

from recsim_ng.applications.recsim_v1 import interest_evolution, slate_fields
from recsim_ng.lib.field_spec import FieldSpec
from recsim_ng.lib.space import discrete
from recsim_ng.rl.gym_env import GymEnv
from recsim_ng.rl.gym_spaces import DistinctMultiDiscrete
from recsim_ng.rl.specs import to_gym_space
from recsim_ng.rl.tf_agents_env import TFAgentsEnvironment

NUM_USERS = 3


def story_environment(make_network, env_args):
    """The test story (6 documents, slates of 2) with its step compiled by XLA."""
    return TFAgentsEnvironment(make_network(NUM_USERS), **env_args, jit_compile=True)


def v1_arguments(network):
    """The adapter arguments serving a v1 network's slate observation."""
    return slate_fields(network).adapter_arguments()


def v1_slates():
    """RecSim v1 interest evolution, 5 candidates, slates of 2 distinct candidates, under XLA."""
    network = interest_evolution(NUM_USERS, num_candidates=5, slate_size=2)
    return TFAgentsEnvironment(network, **v1_arguments(network), jit_compile=True)


STORY_INVALID = {"index past the documents": [[0, 1], [2, 6], [4, 0]],
                 "negative index": [[0, 1], [2, 3], [-1, 0]]}
VALID = [[0, 1], [2, 3], [4, 0]]
INVALID = {"index past the candidates": [[0, 1], [2, 5], [4, 0]],
           "negative index": [[0, 1], [2, 3], [-1, 0]],
           "repeated candidate": [[0, 1], [3, 3], [4, 0]]}
BAD_USER = {"index past the candidates": 1, "negative index": 2, "repeated candidate": 1}


def _snapshot(env):
    return tf.nest.map_structure(lambda x: x.numpy(), env.current_time_step())


def _assert_same(first, second):
    tf.nest.map_structure(np.testing.assert_array_equal, first, second)


@pytest.mark.parametrize("case", STORY_INVALID)
def test_eager_steps_refuse_an_out_of_range_slate_and_change_nothing(make_network, env_args,
                                                                     case):
    env = story_environment(make_network, env_args)
    before = _snapshot(env)
    with pytest.raises(ValueError, match="'slate', field 'docs'"):
        env.step(tf.constant(STORY_INVALID[case], tf.int32))
    _assert_same(before, _snapshot(env))


@pytest.mark.parametrize("case", INVALID)
def test_eager_v1_steps_refuse_invalid_slates_naming_the_users(case):
    env = v1_slates()
    before = _snapshot(env)
    with pytest.raises(ValueError, match=rf"'slate', field 'slate'.*users \[{BAD_USER[case]}\]"):
        env.step(tf.constant(INVALID[case], tf.int32))
    _assert_same(before, _snapshot(env))
    assert np.all(np.isfinite(env.step(tf.constant(VALID, tf.int32)).reward.numpy()))


@pytest.mark.parametrize("case", INVALID)
def test_steps_in_a_tf_function_assert_and_change_nothing(case):
    env = v1_slates()
    step = tf.function(env.step, autograph=False)
    before = _snapshot(env)
    with pytest.raises(tf.errors.InvalidArgumentError,  # quotes escaped by TensorFlow
                       match=r"variable \\?'slate\\?', field \\?'slate\\?'"):
        step(tf.constant(INVALID[case], tf.int32))
    _assert_same(before, _snapshot(env))


@pytest.mark.parametrize("case", INVALID)
def test_steps_compiled_by_xla_give_nan_rewards_to_the_offending_users(case):
    env = v1_slates()
    step = tf.function(lambda action: env.step(action).reward, jit_compile=True,
                       autograph=False)
    rewards = step(tf.constant(INVALID[case], tf.int32)).numpy()
    assert np.isnan(rewards[BAD_USER[case]])
    others = np.delete(rewards, BAD_USER[case])
    assert np.all(np.isfinite(others))
    assert np.all(np.isfinite(step(tf.constant(VALID, tf.int32)).numpy()))


def test_the_gym_space_of_distinct_slates_samples_and_batches_distinct_slates():
    space = to_gym_space(FieldSpec([NUM_USERS, 3], tf.int32, discrete(4, distinct=True)),
                         ("slate", "slate"), NUM_USERS)
    batched = batch_space(space, 50)
    assert isinstance(batched, DistinctMultiDiscrete) and batched.shape == (50, 3)
    space.seed(0)
    batched.seed(0)
    samples = np.concatenate([[space.sample() for _ in range(50)], batched.sample()])
    assert all(space.contains(row) for row in samples) and len({*map(tuple, samples)}) > 10
    assert batched.contains(samples[50:])
    assert not space.contains(np.array([1, 1, 2], np.int32))
    assert not space.contains(np.array([0, 1, 4], np.int32))


def test_a_gym_environment_refuses_a_repeated_candidate():
    network = interest_evolution(1, num_candidates=5, slate_size=2)
    env = GymEnv(network, **v1_arguments(network))
    env.reset(seed=0)
    with pytest.raises(ValueError, match="not in the action space"):
        env.step(np.array([3, 3]))
    assert np.isfinite(env.step(np.array([3, 4]))[1])
