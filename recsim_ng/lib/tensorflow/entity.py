"""RecSim NG's path for entities; see docs/migrating_from_recsim_ng.md."""

from recsim_ng.lib.entity import Entity, TrainableVariables, story_with_trainable_variables

__all__ = ["Entity", "TrainableVariables", "story_with_trainable_variables"]
