"""State models: how an actor's state is drawn at the first step and evolves afterwards."""

from recsim_ng.entities.state_models.dynamic import (ControlledLinearGaussianStateModel,
                                                     ControlledLinearScaledGaussianStateModel,
                                                     FiniteStateMarkovModel,
                                                     LinearGaussianStateModel, RNNCellStateModel)
from recsim_ng.entities.state_models.estimation import FiniteHistoryStateModel
from recsim_ng.entities.state_models.state import StateModel
from recsim_ng.entities.state_models.static import (GMMVector, HierarchicalStaticTensor,
                                                    StaticMixtureSameFamilyModel,
                                                    StaticStateModel, StaticTensor)
from recsim_ng.entities.state_models.switching import (NoOPOrContinueStateModel,
                                                       ResetOrContinueStateModel,
                                                       SwitchingDynamicsStateModel)

__all__ = ["ControlledLinearGaussianStateModel", "ControlledLinearScaledGaussianStateModel",
           "FiniteHistoryStateModel", "FiniteStateMarkovModel", "GMMVector",
           "HierarchicalStaticTensor", "LinearGaussianStateModel", "NoOPOrContinueStateModel",
           "RNNCellStateModel", "ResetOrContinueStateModel", "StateModel",
           "StaticMixtureSameFamilyModel", "StaticStateModel", "StaticTensor",
           "SwitchingDynamicsStateModel"]
