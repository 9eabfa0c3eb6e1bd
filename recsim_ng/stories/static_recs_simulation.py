"""RecSim NG's path for the one-shot recommendation story; see docs/migrating_from_recsim_ng.md.

The story is RecSim NG's, with snake_case variable names (`"user state"` is `user_state`).
"""

from recsim_ng.stories.recommendation import static_recs_story

__all__ = ["static_recs_story"]
