"""RecSim NG's path for the recommendation stories; see docs/migrating_from_recsim_ng.md.

The stories are RecSim NG's, with snake_case variable names (`"user state"` is `user_state`).
"""

from recsim_ng.stories.recommendation import (recs_story, recs_story_using_logged_slate_docs,
                                              simplified_recs_story)

__all__ = ["recs_story", "recs_story_using_logged_slate_docs", "simplified_recs_story"]
