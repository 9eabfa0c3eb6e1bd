"""TF-Agents slate policies: uniformly random, myopic (greedy pCTR) and SlateQ."""

from recsim_ng.rl.agents.myopic_policy import (ClickProbability, MyopicPolicy,
                                               interest_evolution_click_probability)
from recsim_ng.rl.agents.random_policy import RandomSlatePolicy
from recsim_ng.rl.agents.slate_q import (ItemQNetwork, SlateQConfig, SlateQLearner,
                                         SlateQPolicy)

__all__ = ["ClickProbability", "ItemQNetwork", "MyopicPolicy", "RandomSlatePolicy",
           "SlateQConfig", "SlateQLearner", "SlateQPolicy",
           "interest_evolution_click_probability"]
