"""Pieces of RecSim NG's own test suite, ported: RecSim NG's import paths and arguments, `ed.X`
written `tfd.X`, explicit seeds. Values that do not depend on random draws are RecSim NG's
exact ones; where RecSim NG's expectation was a sample under its global seed, the ported test
checks the structure (shapes, ranges) instead.
"""

import math

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from recsim_ng.applications.ecosystem_simulation.simulation import run_simulation
from recsim_ng.core import network as network_lib
from recsim_ng.core import value
from recsim_ng.core import variable
from recsim_ng.entities.choice_models import affinities, selectors
from recsim_ng.lib.data import replay_variable
from recsim_ng.lib.log_probability import TrajectoryLogProb
from recsim_ng.lib.python import runtime as python_runtime
from recsim_ng.lib.tensorflow import entity
from recsim_ng.lib.tensorflow import field_spec
from recsim_ng.lib.tensorflow import log_probability
from recsim_ng.lib.tensorflow import runtime

tfd = tfp.distributions
Value = value.Value
ValueSpec = value.ValueSpec
FieldSpec = field_spec.FieldSpec
Variable = variable.Variable


def normal_log_pdf(x, loc, scale):
    return -0.5 * ((x - loc) / scale) ** 2 - math.log(scale) - 0.5 * math.log(2 * math.pi)


# core/value_test.py

def test_value_nesting_at_prefix_union():
    v = Value(a=1, b=Value(c=2, d=Value(e=3)))
    assert v.as_dict == {"a": 1, "b.c": 2, "b.d.e": 3}
    assert v.get("b.d.e") == 3 and v.get("b").get("c") == 2
    assert v.at("a", "b.d").as_dict == {"a": 1, "b.d.e": 3}
    assert v.prefixed_with("x").as_dict == {"x.a": 1, "x.b.c": 2, "x.b.d.e": 3}
    assert Value(a=1).union(Value(**{"b.c": 2})).union(Value(b=Value(d=Value(e=3)))) == v
    with pytest.raises(ValueError):
        Value(a=1).union(Value(a=2))
    with pytest.raises(ValueError):
        Value(**{"a": 1, "a.b": 2})
    with pytest.raises(ValueError):
        v.get("b.z")


# lib/python/runtime_test.py: Fibonacci by execute, from the initial value and a custom start.

def fibonacci_variable() -> Variable:
    fib = Variable(name="fib", spec=ValueSpec(f0=value.FieldSpec(), f1=value.FieldSpec()))
    fib.initial_value = variable.value(lambda: Value(f0=0, f1=1))
    fib.value = variable.value(
        lambda prev: Value(f0=prev.get("f1"), f1=prev.get("f0") + prev.get("f1")),
        (fib.previous,))
    return fib


def test_python_runtime_fibonacci():
    python = python_runtime.PythonRuntime(network=network_lib.Network(
        variables=[fibonacci_variable()]))
    for steps, expected in [(0, (0, 1)), (1, (1, 1)), (2, (1, 2)), (5, (5, 8))]:
        final = python.execute(num_steps=steps, seed=0)["fib"]
        assert (int(final.get("f0")), int(final.get("f1"))) == expected
    start = {"fib": Value(f0=5, f1=8)}
    final = python.execute(num_steps=2, seed=0, starting_value=start)["fib"]
    assert (int(final.get("f0")), int(final.get("f1"))) == (13, 21)


# lib/tensorflow/field_spec_test.py and runtime_test.py

def test_field_spec_learns_shape_rejects_others_and_reports_invariant():
    spec = FieldSpec()
    assert spec.check_value(tf.zeros([2, 3]))[0]
    assert spec.invariant() == tf.TensorShape([2, 3])
    ok, _ = spec.check_value(tf.zeros([2, 4]))
    assert not ok
    assert spec.check_value(np.ones([2, 3], np.float32))[0]


def test_dynamic_field_spec_invariant():
    spec = field_spec.DynamicFieldSpec(4, [0, 2])
    assert spec.check_value(tf.zeros([1, 2, 3, 4]))[0]
    assert spec.invariant().as_list() == [None, 2, None, 4]
    with pytest.raises(ValueError):
        field_spec.DynamicFieldSpec(2, [])
    with pytest.raises(ValueError):
        field_spec.DynamicFieldSpec(2, [2])


def test_dynamic_field_grows_across_steps():
    grow = Variable(name="grow", spec=ValueSpec(x=field_spec.DynamicFieldSpec(2, [1])))
    grow.initial_value = variable.value(lambda: Value(x=tf.ones([2, 1])))
    grow.value = variable.value(lambda prev: Value(x=tf.concat([prev.get("x"), [[1.], [1.]]], 1)),
                                (grow.previous,))
    final = runtime.TFRuntime(network=network_lib.Network(variables=[grow])).execute(
        num_steps=5, seed=0)
    assert final["grow"].get("x").shape == (2, 6)


# lib/tensorflow/entity_test.py

def test_story_with_trainable_variables_finds_each_entity_variable():
    class Thing(entity.Entity):
        def __init__(self, name):
            super().__init__(name=name)
            self.weight = tf.Variable(1.0)

    things = []

    def story():
        things.extend([Thing("thing"), Thing("other"), Thing("thing")])
        return "output"

    output, trainables = entity.story_with_trainable_variables(story)
    assert output == "output"
    assert trainables["other"][0] is things[1].weight
    assert len(trainables) == 3  # The second "thing" gets a suffixed name.
    assert trainables["thing"][0] is things[0].weight


# lib/tensorflow/log_probability_test.py

OBSERVED = tf.constant([0., 1., 2., 3.])


def random_walk() -> Variable:
    x = Variable(name="x", spec=ValueSpec(a=FieldSpec()))
    x.initial_value = variable.value(lambda: Value(a=tfd.Deterministic(loc=0.)))
    x.value = variable.value(lambda x_prev: Value(a=tfd.Normal(loc=x_prev.get("a"), scale=1.)),
                             (x.previous,))
    return x


@pytest.mark.parametrize("num_steps, expected",
                         [(0, 0.), (1, -1.4189385), (2, -2.837877), (3, -4.2568154)])
def test_smoke_random_walk(num_steps, expected):
    observation = replay_variable("o", ValueSpec(a=FieldSpec()), Value(a=OBSERVED))
    log_p = log_probability.log_probability(variables=[random_walk()], observation=[observation],
                                            num_steps=num_steps)
    np.testing.assert_allclose(log_p, expected, rtol=1e-6)


def test_smoke_time_indexed_normals():
    # RecSim NG's y[t] = Normal(t, 1) came from a TimeSteps data variable; here a step counter.
    y = Variable(name="y", spec=ValueSpec(t=FieldSpec(), a=FieldSpec()))
    y.initial_value = variable.value(lambda: Value(t=0., a=tfd.Normal(0., 1.)))
    y.value = variable.value(
        lambda prev: Value(t=prev.get("t") + 1., a=lambda t: tfd.Normal(t, 1.)), (y.previous,))
    trajectory = {"y": Value(t=OBSERVED, a=OBSERVED)}
    for num_steps in range(4):
        log_p = log_probability.log_probability_from_value_trajectory(
            variables=[y], value_trajectory=trajectory, num_steps=num_steps)
        np.testing.assert_allclose(log_p, -0.918939 * (num_steps + 1), rtol=1e-6)


def chained_network() -> Variable:
    # z[0] = (0, 1); z[t].a0 ~ Normal(z[t-1].a0, 1); z[t].a1 ~ Normal(z[t].a0 + 1, 2).
    # RecSim NG wrote a1 = ed.Normal(a0 + 1., 2.); here a1 is a callable of the earlier field.
    z = Variable(name="z", spec=ValueSpec(a0=FieldSpec(), a1=FieldSpec()))
    z.initial_value = variable.value(
        lambda: Value(a0=tfd.Deterministic(loc=0.), a1=tfd.Deterministic(loc=1.)))
    z.value = variable.value(
        lambda prev: Value(a0=tfd.Normal(loc=prev.get("a0"), scale=1.),
                           a1=lambda a0: tfd.Normal(loc=a0 + 1., scale=2.)),
        (z.previous,))
    return z


def test_chained_rv():
    obs_0, obs_1 = [0., 1., 2., 3.], [1., 2., 3., 4.]
    observation = replay_variable("o", ValueSpec(a0=FieldSpec(), a1=FieldSpec()),
                                  Value(a0=tf.constant(obs_0), a1=tf.constant(obs_1)))
    for num_steps in range(4):
        expected = sum(normal_log_pdf(obs_0[t], obs_0[t - 1], 1.)
                       + normal_log_pdf(obs_1[t], obs_0[t] + 1., 2.)
                       for t in range(1, num_steps + 1))
        log_p = log_probability.log_probability(variables=[chained_network()],
                                                observation=[observation], num_steps=num_steps)
        np.testing.assert_allclose(log_p, expected, rtol=1e-5)


def test_log_prob_from_value_trajectory_equals_log_probability_with_a_data_variable():
    trajectory = {"z": Value(a0=tf.constant([0., 1., 2., 3.]), a1=tf.constant([1., 2., 3., 4.]))}
    observation = replay_variable("z obs", ValueSpec(a0=FieldSpec(), a1=FieldSpec()),
                                  trajectory["z"])
    for num_steps in range(4):
        np.testing.assert_allclose(
            log_probability.log_probability_from_value_trajectory(
                variables=[chained_network()], value_trajectory=trajectory, num_steps=num_steps),
            log_probability.log_probability(variables=[chained_network()],
                                            observation=[observation], num_steps=num_steps))


def test_disaggregated_log_probs_add_up_to_the_total():
    network = network_lib.Network(variables=[chained_network()])
    trajectory = runtime.TFRuntime(network).trajectory(length=4, seed=3)
    per_field = TrajectoryLogProb(network).per_field(trajectory)["z"]
    assert per_field.get("a0").shape == (4,) and per_field.get("a1").shape == (4,)
    np.testing.assert_allclose(
        tf.reduce_sum(per_field.get("a0")) + tf.reduce_sum(per_field.get("a1")),
        log_probability.log_probability_from_value_trajectory(
            variables=network.variables, value_trajectory=trajectory, num_steps=3), rtol=1e-6)


def test_log_probs_from_direct_output_equal_offline_log_probs():
    # RecSim NG's log_prob_variables_from_direct_output is record_log_probs here.
    network = network_lib.Network(variables=[chained_network()])
    simulated = runtime.TFRuntime(network, record_log_probs=True).trajectory(length=4, seed=5)
    online = sum(tf.reduce_sum(x) for x in simulated.log_probs["z"].as_dict.values())
    offline = log_probability.log_probability_from_value_trajectory(
        variables=network.variables, value_trajectory=simulated, num_steps=3)
    np.testing.assert_allclose(online, offline, rtol=1e-5)


def test_log_probability_rejects_what_recsim_ng_would_re_simulate():
    with pytest.raises(ValueError, match="lacks variables \\['z'\\].*LatentTrajectory"):
        log_probability.log_probability_from_value_trajectory(
            variables=[chained_network()], value_trajectory={}, num_steps=0)
    with pytest.raises(ValueError, match="'z', field 'a0': needs 4 steps"):
        log_probability.log_probability_from_value_trajectory(
            variables=[chained_network()], num_steps=3,
            value_trajectory={"z": Value(a0=tf.zeros(2), a1=tf.zeros(2))})
    with pytest.raises(ValueError, match="num_steps must be >= 0"):
        log_probability.log_probability_from_value_trajectory(
            variables=[chained_network()], value_trajectory={}, num_steps=-1)
    with pytest.raises(ValueError, match="one observation variable per variable"):
        log_probability.log_probability(variables=[chained_network()], observation=[],
                                        num_steps=0)


# entities/choice_models/affinities_test.py

USERS = np.array([[-4, 3], [-4, -3], [4, 3], [4, -3]], np.float32)
SLATES = np.array([[[-8, 6], [0, 0]], [[-8, -6], [0, 0]], [[8, 6], [0, 0]], [[8, -6], [0, 0]]],
                  np.float32)
DOCUMENTS = np.array([[-8, 6], [-8, -6], [8, 6], [8, -6], [0, 0]], np.float32)


def affinities_of(similarity_type, slate_size, items, **kwargs):
    model = affinities.TargetPointSimilarity((4,), slate_size, similarity_type)
    return model.affinities(USERS, items, **kwargs).get("affinities").numpy()


def test_negative_euclidean_dot_and_single_peaked():
    np.testing.assert_allclose(affinities_of("negative_euclidean", 2, SLATES), -5 * np.ones([4, 2]))
    np.testing.assert_allclose(affinities_of("dot", 2, SLATES), [[50, 0]] * 4)
    peaks = tf.constant([[32., 32.], [32., 0.], [0., 32.], [0., 0.]])
    np.testing.assert_allclose(affinities_of("single_peaked", 2, SLATES, affinity_peaks=peaks),
                               [[50, 0], [14, 0], [-14, 0], [-50, 0]])


def test_inverse_euclidean():
    a, b, c = np.sqrt(1 / 97), np.sqrt(1 / 153), 1 / 15
    np.testing.assert_allclose(affinities_of("inverse_euclidean", 5, DOCUMENTS),
                               [[.2, a, b, c, .2], [a, .2, c, b, .2], [b, c, .2, a, .2],
                                [c, b, a, .2, .2]], rtol=1e-6)


def test_negative_cosine_is_minus_the_cosine_unlike_recsim_ng():
    recsim_ng_expected = np.array([[1., .28, -.28, -1., 0.], [.28, 1., -1., -.28, 0.],
                                   [-.28, -1., 1., .28, 0.], [-1., -.28, .28, 1., 0.]])
    np.testing.assert_allclose(affinities_of("cosine", 5, DOCUMENTS), recsim_ng_expected,
                               atol=1e-6)
    np.testing.assert_allclose(affinities_of("negative_cosine", 5, DOCUMENTS),
                               -recsim_ng_expected, atol=1e-6)


def test_affinity_specs():
    spec = affinities.TargetPointSimilarity((4,), 2, "dot").specs().get("affinities")
    assert spec.shape == (4, 2)


# entities/choice_models/selectors_test.py (multinomial logit)

def test_multinomial_logit_choice():
    model = selectors.MultinomialLogitChoiceModel((2, 2), -np.inf * tf.ones((2, 2)))
    logits = np.array([[[10., 0.], [0., 10.]], [[10., 0.], [0., 10.]]], np.float32)
    choice = model.choice(logits).get("choice").sample(seed=(0, 1))
    assert choice.numpy().tolist() == [[0, 1], [0, 1]]
    assert model.specs().get("choice").shape == (2, 2)


def test_multinomial_logit_no_choice():
    model = selectors.MultinomialLogitChoiceModel((2,), 10.0 * tf.ones(2))
    choice = model.choice(np.zeros([2, 2], np.float32)).get("choice").sample(seed=(0, 1))
    assert choice.numpy().tolist() == [2, 2]


# applications/ecosystem_simulation/ecosystem_simulation_test.py: test_cumulative_reward_run

def test_ecosystem_cumulative_reward_run():
    provider_means = np.array([[1., 0.], [0., 1.], [1., 1.], [0., 0.]], np.float32)
    mean, standard_error = run_simulation(num_runs=2, provider_means=provider_means,
                                          num_users=2000, horizon=2, seed=0)
    np.testing.assert_allclose(mean, -14., rtol=0.05)
    assert standard_error >= 0
