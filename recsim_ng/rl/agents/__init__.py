"""TF-Agents slate policies and learners for the RecSim v1 environments."""

from recsim_ng.rl.agents.cluster_bandit import ClusterBanditPolicy
from recsim_ng.rl.agents.features import ObservationFeatures
from recsim_ng.rl.agents.full_slate_q import FullSlateQLearner
from recsim_ng.rl.agents.myopic_policy import (ClickProbability, MyopicPolicy, SlateScore,
                                               interest_evolution_click_probability,
                                               interest_exploration_click_probability,
                                               long_term_satisfaction_immediate_reward)
from recsim_ng.rl.agents.networks import MLP, ItemNetwork
from recsim_ng.rl.agents.online_q import QLearningConfig
from recsim_ng.rl.agents.random_policy import RandomSlatePolicy
from recsim_ng.rl.agents.reinforce import (PlackettLuceSlatePolicy, ReinforceConfig,
                                           ReinforceLearner, plackett_luce_log_prob)
from recsim_ng.rl.agents.slate_policy import EpsilonGreedySlatePolicy, SlateFunctionPolicy
from recsim_ng.rl.agents.slate_q import SlateQConfig, SlateQLearner

__all__ = ["ClickProbability", "ClusterBanditPolicy", "EpsilonGreedySlatePolicy",
           "FullSlateQLearner", "ItemNetwork", "MLP", "MyopicPolicy", "ObservationFeatures",
           "PlackettLuceSlatePolicy", "QLearningConfig", "RandomSlatePolicy", "ReinforceConfig",
           "ReinforceLearner", "SlateFunctionPolicy", "SlateQConfig", "SlateQLearner",
           "SlateScore", "interest_evolution_click_probability",
           "interest_exploration_click_probability", "long_term_satisfaction_immediate_reward",
           "plackett_luce_log_prob"]
