"""Provider viability and social welfare in a recommender ecosystem (RecSim NG's ecosystem)."""

from recsim_ng.applications.ecosystem_simulation.simulation import (
    AGENT_SLATE_FIELDS, DEFAULT_EPISODE_STEPS, agent_environment,
    create_viable_provider_agent_network, create_viable_provider_simulation_network,
    run_simulation)

__all__ = ["AGENT_SLATE_FIELDS", "DEFAULT_EPISODE_STEPS", "agent_environment",
           "create_viable_provider_agent_network", "create_viable_provider_simulation_network",
           "run_simulation"]
