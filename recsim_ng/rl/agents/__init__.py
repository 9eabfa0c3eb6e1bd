"""TF-Agents slate policies and agents that read the slate observation contract
(`recsim_ng.rl.slate_observation`), for any story."""

from recsim_ng.rl.agents.cluster_bandit import ClusterBanditPolicy
from recsim_ng.rl.agents.features import SlateFeatures
from recsim_ng.rl.agents.full_slate_q import FullSlateQAgent
from recsim_ng.rl.agents.myopic_policy import ClickProbability, MyopicPolicy, SlateScore
from recsim_ng.rl.agents.networks import MLP, ItemNetwork
from recsim_ng.rl.agents.q_agent import QLearningConfig
from recsim_ng.rl.agents.reinforce import ReinforceConfig, SlateReinforceAgent
from recsim_ng.rl.agents.slate_actor_network import SlateActorNetwork, SlateValueNetwork
from recsim_ng.rl.agents.slate_policy import (DeterministicSlatePolicy, EpsilonGreedySlatePolicy,
                                              PlackettLuceSlatePolicy, RandomSlatePolicy,
                                              SlateFunctionPolicy, SlatePolicy, linear_epsilon)
from recsim_ng.rl.agents.slate_q import SlateQAgent, SlateQConfig

__all__ = ["ClickProbability", "ClusterBanditPolicy", "DeterministicSlatePolicy",
           "EpsilonGreedySlatePolicy", "FullSlateQAgent", "ItemNetwork", "MLP", "MyopicPolicy",
           "PlackettLuceSlatePolicy", "QLearningConfig", "RandomSlatePolicy", "ReinforceConfig",
           "SlateActorNetwork", "SlateFeatures", "SlateFunctionPolicy", "SlatePolicy",
           "SlateQAgent", "SlateQConfig", "SlateReinforceAgent", "SlateScore",
           "SlateValueNetwork", "linear_epsilon"]
