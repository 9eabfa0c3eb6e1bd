"""Baseline TF-Agents policies for slate environments: uniformly random and myopic (greedy pCTR)."""

from recsim_ng.rl.agents.myopic_policy import (ClickProbability, MyopicPolicy,
                                               interest_evolution_click_probability)
from recsim_ng.rl.agents.random_policy import RandomSlatePolicy

__all__ = ["ClickProbability", "MyopicPolicy", "RandomSlatePolicy",
           "interest_evolution_click_probability"]
