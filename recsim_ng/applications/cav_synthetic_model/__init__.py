"""Synthetic users who rate and tag documents by soft attributes (arXiv 2202.02830)."""

from recsim_ng.applications.cav_synthetic_model.corpus import SoftAttributeCorpus
from recsim_ng.applications.cav_synthetic_model.simulation import (cav_network, default_config,
                                                                   demo, population_statistics)
from recsim_ng.applications.cav_synthetic_model.user import (ConceptActivationVectorUser,
                                                             ratings_from_scores)

__all__ = ["ConceptActivationVectorUser", "SoftAttributeCorpus", "cav_network", "default_config",
           "demo", "population_statistics", "ratings_from_scores"]
