"""State models reject NaN, infinite and degenerate parameters, naming them: concrete ones (numbers,
arrays, eager tensors) when given, variables and traced tensors in-graph when used; under XLA an
invalid parameter makes the log-probs NaN rather than a plausible number."""

import numpy as np
import pytest
import tensorflow as tf

from recsim_ng.core import Value
from recsim_ng.entities.state_models import (ControlledLinearScaledGaussianStateModel,
                                             FiniteHistoryStateModel, FiniteStateMarkovModel,
                                             GMMVector, HierarchicalStaticTensor,
                                             LinearGaussianStateModel, StaticTensor)

NAN, INF = float("nan"), float("inf")
KERNEL = np.log(np.array([[[0.9, 0.1], [0.2, 0.8]]], np.float32))  # [actions=1, S=2, S=2]
INITIAL_LOGITS = np.array([0.0, 0.5], np.float32)
MEANS = np.zeros([2, 3], np.float32)  # [K=2, D=3]
SCALES = np.stack([np.eye(3, dtype=np.float32)] * 2)


def with_entry(array, index, value):
    array = np.array(array, np.float32)
    array[index] = value
    return array


@pytest.mark.parametrize("make, name", [
    (lambda: ControlledLinearScaledGaussianStateModel(2, transition_scales=NAN),
     "transition_parameters"),
    (lambda: ControlledLinearScaledGaussianStateModel(2, control_scales=INF),
     "control_parameters"),
    (lambda: ControlledLinearScaledGaussianStateModel(2, noise_scales=0.0),
     "transition_noise_scale"),
    (lambda: ControlledLinearScaledGaussianStateModel(2, noise_scales=-1.0),
     "transition_noise_scale"),
    (lambda: ControlledLinearScaledGaussianStateModel(2, initial_dist_scales=NAN),
     "initial_dist_scale"),
    (lambda: ControlledLinearScaledGaussianStateModel(2, initial_dist_scales=0.0),
     "initial_dist_scale"),
    (lambda: ControlledLinearScaledGaussianStateModel(2.5), "dim"),
    (lambda: LinearGaussianStateModel(tf.linalg.LinearOperatorFullMatrix,
                                      tf.linalg.LinearOperatorFullMatrix,
                                      initial_dist_scale=with_entry(np.eye(2), (0, 1), INF)),
     "initial_dist_scale"),
    (lambda: FiniteStateMarkovModel(with_entry(KERNEL, (0, 1, 0), NAN), INITIAL_LOGITS),
     "transition_parameters"),
    (lambda: FiniteStateMarkovModel(KERNEL, [INF, 0.0]), "initial_dist_logits"),
    (lambda: FiniteStateMarkovModel(KERNEL, [-INF, -INF]), "initial_dist_logits"),
    (lambda: StaticTensor(np.eye(2, dtype=np.float32), [0.0, NAN]), "logits"),
    (lambda: StaticTensor(with_entry(np.eye(2), (1, 1), NAN), [0.0, 0.0]), "tensor_dictionary"),
    (lambda: HierarchicalStaticTensor(np.eye(2, dtype=np.float32), [0, 1], [NAN, 0.0]),
     "cluster_logits"),
    (lambda: GMMVector(mixture_logits=[0.0, INF], component_means=MEANS,
                       component_scales=SCALES), "mixture_logits"),
    (lambda: GMMVector(mixture_logits=[0.0, 0.0], component_means=with_entry(MEANS, (0, 0), NAN),
                       component_scales=SCALES), "component_means"),
    (lambda: GMMVector(mixture_logits=[0.0, 0.0], component_means=MEANS,
                       component_scales=with_entry(SCALES, (1, 2, 2), INF)), "component_scales"),
    (lambda: FiniteHistoryStateModel(1.5, []), "history_length"),
])
def test_bad_parameters_are_named_when_given(make, name):
    with pytest.raises(ValueError, match=name):
        make()


def test_minus_infinite_logits_mean_impossible_states():
    model = FiniteStateMarkovModel(KERNEL, [-INF, 0.0])
    np.testing.assert_allclose(model.initial_state().get("state").probs_parameter(), [0.0, 1.0])


def test_bad_per_call_parameters_are_named():
    model = ControlledLinearScaledGaussianStateModel(2, 0.9, 1.0, 0.5, 1.0)
    with pytest.raises(ValueError, match="transition_noise_scale"):
        model.next_state(Value(state=tf.zeros([2])), Value(input=tf.zeros([2])),
                         Value(transition_noise_scale=tf.constant(NAN)))


@pytest.mark.parametrize("mode", ["eager", "graph"])
def test_parameters_in_variables_are_checked_when_used(mode):
    noise = tf.Variable(0.5)
    logits = tf.Variable(INITIAL_LOGITS)
    scaled = ControlledLinearScaledGaussianStateModel(2, 0.9, 1.0, noise, 1.0)
    markov = FiniteStateMarkovModel(KERNEL, logits)

    def log_probs():
        step = scaled.next_state(Value(state=tf.zeros([2])), Value(input=tf.zeros([2])))
        return (step.get("state").log_prob(tf.zeros([2])),
                markov.initial_state().get("state").log_prob(0))

    if mode == "graph":
        log_probs = tf.function(log_probs, autograph=False)
    assert all(np.isfinite(x) for x in log_probs())
    noise.assign(0.0)
    with pytest.raises(tf.errors.InvalidArgumentError, match="transition_noise_scale"):
        log_probs()
    noise.assign(0.5)
    logits.assign([NAN, 0.0])
    with pytest.raises(tf.errors.InvalidArgumentError, match="initial_dist_logits"):
        log_probs()


def test_under_xla_bad_parameters_in_variables_give_nan_log_probs():
    noise = tf.Variable(0.5)
    logits = tf.Variable(INITIAL_LOGITS)
    scaled = ControlledLinearScaledGaussianStateModel(2, 0.9, 1.0, noise, 1.0)
    markov = FiniteStateMarkovModel(KERNEL, logits)

    @tf.function(jit_compile=True, autograph=False)
    def log_probs():
        step = scaled.next_state(Value(state=tf.zeros([2])), Value(input=tf.zeros([2])))
        return (step.get("state").log_prob(tf.zeros([2])),
                markov.initial_state().get("state").log_prob(0))

    assert all(np.isfinite(x) for x in log_probs())
    noise.assign(-0.5)
    logits.assign([INF, 0.0])
    assert all(np.isnan(x) for x in log_probs())
