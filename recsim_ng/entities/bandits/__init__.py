"""Multi-armed and contextual bandits: problems, contexts, algorithms and regret metrics."""

from recsim_ng.entities.bandits.algorithm import BanditAlgorithm
from recsim_ng.entities.bandits.arm_counts import ArmCountsAlgorithm
from recsim_ng.entities.bandits.bernoulli_bandit import BernoulliBandit
from recsim_ng.entities.bandits.context import BanditContext, GaussianContext
from recsim_ng.entities.bandits.epsilon_greedy import EpsilonGreedy
from recsim_ng.entities.bandits.gaussian_bandit import GaussianBandit
from recsim_ng.entities.bandits.kl_ucb import KLUCB
from recsim_ng.entities.bandits.lin_ucb import LinUCB
from recsim_ng.entities.bandits.linear_bandit import LinearContextualBandit
from recsim_ng.entities.bandits.metrics import BanditMetrics
from recsim_ng.entities.bandits.problem import BanditProblem
from recsim_ng.entities.bandits.thompson_sampling import (BetaBernoulliThompsonSampling,
                                                          GaussianThompsonSampling,
                                                          ThompsonSampling)
from recsim_ng.entities.bandits.ucb import UCB1

__all__ = ["ArmCountsAlgorithm", "BanditAlgorithm", "BanditContext", "BanditMetrics",
           "BanditProblem", "BernoulliBandit", "BetaBernoulliThompsonSampling", "EpsilonGreedy",
           "GaussianBandit", "GaussianContext", "GaussianThompsonSampling", "KLUCB", "LinUCB",
           "LinearContextualBandit", "ThompsonSampling", "UCB1"]
