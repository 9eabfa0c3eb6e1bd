"""Stories: functions that wire entities into the variables of a network."""

from recsim_ng.stories.bandit_story import bandit_story
from recsim_ng.stories.recommendation import (agent_recs_story, recs_story,
                                              recs_story_using_logged_slate_docs,
                                              simplified_recs_story, static_recs_story)

__all__ = ["agent_recs_story", "bandit_story", "recs_story", "recs_story_using_logged_slate_docs",
           "simplified_recs_story", "static_recs_story"]
