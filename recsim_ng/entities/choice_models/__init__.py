"""Choice models: affinities between users and items, and distributions over users' choices."""

from recsim_ng.entities.choice_models.affinities import TargetPointSimilarity
from recsim_ng.entities.choice_models.cascade import (ExponentialCascadeChoiceModel,
                                                      ProportionalCascadeChoiceModel, cascade)
from recsim_ng.entities.choice_models.click_models import (PositionBasedClickModel,
                                                           geometric_examination,
                                                           position_based_clicks)
from recsim_ng.entities.choice_models.multinomial_logit import (
    IteratedMultinomialLogitChoiceModel, MultinomialLogitChoiceModel,
    StoppingIteratedMultinomialLogitChoiceModel, slate_logits)
from recsim_ng.entities.choice_models.plackett_luce import PlackettLuceSlate, TruncatedPlackettLuce
from recsim_ng.entities.choice_models.proportional import (MultinomialProportionalChoiceModel,
                                                           multinomial_proportional)
from recsim_ng.entities.choice_models.selectors import ChoiceModel, get_chosen

__all__ = ["ChoiceModel", "ExponentialCascadeChoiceModel", "IteratedMultinomialLogitChoiceModel",
           "MultinomialLogitChoiceModel", "MultinomialProportionalChoiceModel",
           "PlackettLuceSlate", "PositionBasedClickModel", "ProportionalCascadeChoiceModel",
           "StoppingIteratedMultinomialLogitChoiceModel", "TargetPointSimilarity",
           "TruncatedPlackettLuce", "cascade", "geometric_examination", "get_chosen",
           "multinomial_proportional", "position_based_clicks", "slate_logits"]
