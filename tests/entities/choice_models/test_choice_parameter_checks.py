"""Choice models reject NaN, infinite and degenerate parameters, naming them: numbers when a model
is built, tensors and variables in-graph when used. Under XLA, which drops assertions, an invalid
input makes its user's log-probs NaN rather than a plausible number."""

import numpy as np
import pytest
import tensorflow as tf

from recsim_ng.entities.choice_models import (
    ExponentialCascadeChoiceModel, IteratedMultinomialLogitChoiceModel, MultinomialLogitChoiceModel,
    MultinomialProportionalChoiceModel, PositionBasedClickModel, ProportionalCascadeChoiceModel,
    StoppingIteratedMultinomialLogitChoiceModel, TargetPointSimilarity, TruncatedPlackettLuce,
    cascade, geometric_examination, multinomial_proportional)

NAN, INF = float("nan"), float("inf")
K = 3


@pytest.mark.parametrize("make, name", [
    (lambda: MultinomialLogitChoiceModel([], NAN), "nochoice_logits"),
    (lambda: MultinomialLogitChoiceModel([], INF), "nochoice_logits"),
    (lambda: MultinomialLogitChoiceModel([], np.array([0.0, NAN])), "nochoice_logits"),
    (lambda: MultinomialLogitChoiceModel([], 0.0, positional_bias=NAN), "positional_bias"),
    (lambda: MultinomialLogitChoiceModel([], 0.0, positional_bias=-INF), "positional_bias"),
    (lambda: IteratedMultinomialLogitChoiceModel(0, [], 0.0), "num_choices"),
    (lambda: IteratedMultinomialLogitChoiceModel(1.5, [], 0.0), "num_choices"),
    (lambda: StoppingIteratedMultinomialLogitChoiceModel(2, [], NAN), "nochoice_logits"),
    (lambda: StoppingIteratedMultinomialLogitChoiceModel(2, [], 0.0, INF), "positional_bias"),
    (lambda: MultinomialProportionalChoiceModel([], NAN), "min_normalizer"),
    (lambda: MultinomialProportionalChoiceModel([], -1.0, INF), "no_click_mass"),
    (lambda: MultinomialProportionalChoiceModel([], -1.0, -2.0), "no_click_mass - min_normalizer"),
    (lambda: ExponentialCascadeChoiceModel([], 1.5, 0.1), "attention_prob"),
    (lambda: ExponentialCascadeChoiceModel([], NAN, 0.1), "attention_prob"),
    (lambda: ExponentialCascadeChoiceModel([], 0.5, -0.1), "score_scaling"),
    (lambda: ExponentialCascadeChoiceModel([], 0.5, INF), "score_scaling"),
    (lambda: ProportionalCascadeChoiceModel([], 0.5, 0.1, NAN), "min_normalizer"),
    (lambda: geometric_examination(K, 1.2), "attention_prob"),
    (lambda: geometric_examination(0, 0.5), "slate_size"),
    (lambda: PositionBasedClickModel([], np.array([1.0, NAN])), "examination_probs"),
    (lambda: PositionBasedClickModel([], np.array([1.0, 1.5])), "examination_probs"),
    (lambda: TargetPointSimilarity([], 0), "slate_size"),
])
def test_bad_numbers_are_rejected_when_a_model_is_built(make, name):
    with pytest.raises(ValueError, match=name.replace("(", r"\(")):
        make()


def test_a_minus_infinite_nochoice_logit_means_never_choosing_nothing():
    choice = MultinomialLogitChoiceModel([], -INF).choice(tf.zeros([K])).get("choice")
    np.testing.assert_allclose(choice.probs_parameter(), [1 / K] * K + [0.0], atol=1e-7)


GOOD_ROW = [0.1, 0.4, 0.2]
LOGITS = {"nan": [GOOD_ROW, [0.1, NAN, 0.2]], "inf": [GOOD_ROW, [0.1, INF, 0.2]],
          "-inf": [GOOD_ROW, [0.1, -INF, 0.2]]}

# name -> (distribution of a [2, K] input, an outcome per user, the name the error gives)
CASES = {
    "logit": (lambda x: MultinomialLogitChoiceModel([2], 0.0).choice(x).get("choice"),
              [0, 1], "slate_document_logits"),
    "iterated_logit": (
        lambda x: IteratedMultinomialLogitChoiceModel(2, [2], 0.0).choice(x).get("choice"),
        [[0, K], [2, 1]], "slate_document_logits"),
    "stopping_iterated_logit": (
        lambda x: StoppingIteratedMultinomialLogitChoiceModel(2, [2], 0.0).choice(x)
        .get("choice"), [[0, K], [2, 0]], "slate_document_logits"),
    "proportional": (
        lambda x: MultinomialProportionalChoiceModel([2], -1.0, 1.0).choice(x).get("choice"),
        [0, 1], "slate_document_scores"),
    "exponential_cascade": (
        lambda x: ExponentialCascadeChoiceModel([2], 0.5, 0.2).choice(x).get("choice"),
        [0, 1], "slate_document_scores"),
    "proportional_cascade": (
        lambda x: ProportionalCascadeChoiceModel([2], 0.5, 0.2, -1.0).choice(x).get("choice"),
        [0, 1], "slate_document_scores"),
    "position_based_clicks": (
        lambda x: PositionBasedClickModel([2], geometric_examination(K, 0.5)).clicks(x)
        .get("clicks"), [[1, 0, 0], [0, 1, 0]], "attractiveness"),
}


def log_probs(case, inputs, mode):
    make, outcome, _ = CASES[case]

    def log_prob(x):
        return make(x).log_prob(outcome)

    if mode != "eager":
        log_prob = tf.function(log_prob, jit_compile=mode == "xla", autograph=False)
    return log_prob(tf.constant(inputs, tf.float32))


@pytest.mark.parametrize("bad", sorted(LOGITS))
@pytest.mark.parametrize("mode", ["eager", "graph"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_non_finite_scores_raise_naming_the_input(case, mode, bad):
    with pytest.raises(tf.errors.InvalidArgumentError, match=CASES[case][2]):
        log_probs(case, LOGITS[bad], mode)


@pytest.mark.parametrize("bad", sorted(LOGITS))
@pytest.mark.parametrize("case", sorted(CASES))
def test_under_xla_non_finite_scores_give_nan_log_probs_for_that_user_only(case, bad):
    good = log_probs(case, [GOOD_ROW, GOOD_ROW], "eager").numpy()
    compiled = log_probs(case, LOGITS[bad], "xla").numpy()
    assert np.isnan(compiled[1]), compiled
    np.testing.assert_allclose(compiled[0], good[0], rtol=1e-5)


@pytest.mark.parametrize("mode", ["eager", "graph", "xla"])
@pytest.mark.parametrize("make, inputs, outcome, name", [
    (lambda x: MultinomialProportionalChoiceModel([2], -1.0, 1.0).choice(x).get("choice"),
     [GOOD_ROW, [0.1, -1.5, 0.2]], [0, 1], "min_normalizer"),
    (lambda x: ProportionalCascadeChoiceModel([2], 1.0, 1.0, -1.0).choice(x).get("choice"),
     [GOOD_ROW, [0.1, 0.5, 0.2]], [0, 1], r"in \[0, 1\]"),
    (lambda x: PositionBasedClickModel([2], geometric_examination(K, 0.5)).clicks(x)
     .get("clicks"), [GOOD_ROW, [0.1, 1.5, 0.2]], [[1, 0, 0], [0, 1, 0]], "attractiveness"),
    (lambda x: MultinomialLogitChoiceModel([2], 0.0, positional_bias=3e38).choice(x)
     .get("choice"), [GOOD_ROW, GOOD_ROW], [0, 1], "positional_bias"),
])
def test_degenerate_scores_raise_or_give_nan(make, inputs, outcome, name, mode):
    def log_prob(x):
        return make(x).log_prob(outcome)

    if mode != "eager":
        log_prob = tf.function(log_prob, jit_compile=mode == "xla", autograph=False)
    if mode == "xla":
        assert np.isnan(log_prob(tf.constant(inputs)).numpy()[1])
    else:
        with pytest.raises(tf.errors.InvalidArgumentError, match=name):
            log_prob(tf.constant(inputs))


@pytest.mark.parametrize("mode", ["eager", "graph"])
def test_parameters_in_variables_are_checked_when_used(mode):
    nochoice = tf.Variable(0.0)
    attention = tf.Variable(0.5)
    logit = MultinomialLogitChoiceModel([2], nochoice)
    clicks = ExponentialCascadeChoiceModel([2], attention, 0.2)

    def log_probs():
        scores = tf.constant([GOOD_ROW, GOOD_ROW])
        return (logit.choice(scores).get("choice").log_prob([0, 1]),
                clicks.choice(scores).get("choice").log_prob([0, 1]))

    if mode == "graph":
        log_probs = tf.function(log_probs, autograph=False)
    assert all(np.all(np.isfinite(x)) for x in log_probs())
    nochoice.assign(NAN)
    attention.assign(10.0)  # Click probabilities above 1.
    with pytest.raises(tf.errors.InvalidArgumentError, match="nochoice_logits"):
        log_probs()
    nochoice.assign(0.0)
    with pytest.raises(tf.errors.InvalidArgumentError, match="click probabilities"):
        log_probs()


def test_the_cascade_function_checks_its_click_probabilities():
    with pytest.raises(tf.errors.InvalidArgumentError, match="click_probs"):
        cascade(tf.constant([0.5, -0.1]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="slate_document_scores"):
        multinomial_proportional(tf.constant([0.5, NAN]), -1.0)


@pytest.mark.parametrize("nochoice_ends_list", [True, False])
def test_the_plackett_luce_distribution_refuses_nan_and_plus_infinite_logits(nochoice_ends_list):
    for bad in (NAN, INF):
        with pytest.raises(tf.errors.InvalidArgumentError, match="TruncatedPlackettLuce logits"):
            TruncatedPlackettLuce([0.0, bad, -INF], 2, nochoice_ends_list).log_prob([0, 1])
    never_nochoice = TruncatedPlackettLuce([0.0, 1.0, -INF], 2, nochoice_ends_list)
    np.testing.assert_allclose(np.exp(never_nochoice.log_prob([[0, 1], [1, 0]])).sum(), 1.0,
                               rtol=1e-6)
