"""Bandit problems and algorithms reject NaN, infinite and degenerate parameters, naming them."""

import pytest

from recsim_ng.entities.bandits import (KLUCB, BernoulliBandit, BetaBernoulliThompsonSampling,
                                        EpsilonGreedy, GaussianBandit, GaussianContext,
                                        GaussianThompsonSampling, LinearContextualBandit, LinUCB)

NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize("make, name", [
    (lambda: BernoulliBandit(2, [0.5, NAN]), "means"),
    (lambda: GaussianBandit(2, 2, noise_scale=NAN), "noise_scale"),
    (lambda: GaussianBandit(2, 2, noise_scale=INF), "noise_scale"),
    (lambda: GaussianBandit(2, 2, prior_scale=INF), "prior_scale"),
    (lambda: GaussianBandit(2, 2, prior_mean=NAN), "prior_mean"),
    (lambda: GaussianBandit(2, 2, means=[0.0, INF]), "means"),
    (lambda: GaussianBandit(2.5, 2), "num_bandits"),
    (lambda: EpsilonGreedy(2, 2, epsilon=NAN), "epsilon"),
    (lambda: KLUCB(2, 2, bisection_steps=2.5), "bisection_steps"),
    (lambda: LinUCB(2, 2, 3, alpha=NAN), "alpha"),
    (lambda: LinUCB(2, 2, 3, alpha=INF), "alpha"),
    (lambda: LinUCB(2, 2, 3, ridge=NAN), "ridge"),
    (lambda: LinUCB(2, 2, 1.5), "dimension"),
    (lambda: LinearContextualBandit(2, 2, 3, noise_scale=NAN), "noise_scale"),
    (lambda: LinearContextualBandit(2, 2, 3, noise_scale=INF), "noise_scale"),
    (lambda: GaussianContext(2, 1.5), "dimension"),
    (lambda: BetaBernoulliThompsonSampling(2, 2, prior_alpha=NAN), "prior_alpha"),
    (lambda: BetaBernoulliThompsonSampling(2, 2, prior_beta=INF), "prior_beta"),
    (lambda: GaussianThompsonSampling(2, 2, prior_mean=INF), "prior_mean"),
    (lambda: GaussianThompsonSampling(2, 2, prior_scale=NAN), "prior_scale"),
    (lambda: GaussianThompsonSampling(2, 2, noise_scale=0.0), "noise_scale"),
])
def test_bad_parameters_are_named(make, name):
    with pytest.raises(ValueError, match=name):
        make()
