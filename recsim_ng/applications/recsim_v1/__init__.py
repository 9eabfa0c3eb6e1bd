"""RecSim v1's three environments as batched networks, with the slate as the agent's input."""

from recsim_ng.applications.recsim_v1.environment import (OBSERVATION_VARIABLES, V1Environment,
                                                          environment_network, slate_fields,
                                                          uniform_slate_distribution,
                                                          v1_environment)
from recsim_ng.applications.recsim_v1.interest_evolution import (InterestEvolution,
                                                                 interest_evolution)
from recsim_ng.applications.recsim_v1.interest_exploration import (InterestExploration,
                                                                   interest_exploration)
from recsim_ng.applications.recsim_v1.long_term_satisfaction import (LongTermSatisfaction,
                                                                     long_term_satisfaction)
from recsim_ng.applications.recsim_v1.settings import V1_SETTINGS, V1Setting

__all__ = ["InterestEvolution", "InterestExploration", "LongTermSatisfaction",
           "OBSERVATION_VARIABLES", "V1_SETTINGS", "V1Environment", "V1Setting",
           "environment_network", "interest_evolution", "interest_exploration",
           "long_term_satisfaction", "slate_fields", "uniform_slate_distribution",
           "v1_environment"]
