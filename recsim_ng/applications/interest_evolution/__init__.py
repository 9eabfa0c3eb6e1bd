"""Interest evolution: users drifting towards what they watch, and a REINFORCE recommender."""

from recsim_ng.applications.interest_evolution.simulation import (
    AGENT_SLATE_FIELDS, DEFAULT_EPISODE_STEPS, agent_environment,
    create_interest_evolution_agent_network, create_interest_evolution_simulation_network)

__all__ = ["AGENT_SLATE_FIELDS", "DEFAULT_EPISODE_STEPS", "agent_environment",
           "create_interest_evolution_agent_network",
           "create_interest_evolution_simulation_network"]
