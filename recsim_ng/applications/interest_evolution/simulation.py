"""The interest evolution simulation: the recommendation story with this application's entities.

`create_interest_evolution_simulation_network` is the story with the collaborative-filtering
recommender; `create_interest_evolution_agent_network` the same users, corpus and metrics with
an agent's slate in its place (`agent_recs_story`), observing what that recommender observes,
read through `AGENT_SLATE_FIELDS`; `agent_environment` serves it as a TF-Agents environment.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import tensorflow as tf

from recsim_ng.applications.interest_evolution.corpus import (CorpusWithTopicAndQuality,
                                                              StaticCorpus, sample_corpus)
from recsim_ng.applications.interest_evolution.metrics import ConsumedTimeAsRewardMetrics
from recsim_ng.applications.interest_evolution.recommender import CollabFilteringRecommender
from recsim_ng.applications.interest_evolution.user import InterestEvolutionUser
from recsim_ng.core import Network, Variable
from recsim_ng.core.variable import value
from recsim_ng.entities.recommendation import Config, Corpus, CorpusConstructor
from recsim_ng.lib import seeds
from recsim_ng.lib.entity import story_with_trainable_variables
from recsim_ng.rl.slate_observation import SlateFields, slate_environment
from recsim_ng.stories.recommendation import agent_recs_story, recs_story

if TYPE_CHECKING:  # TF-Agents is the `rl` extra: imported only when an environment is built.
    from recsim_ng.rl.tf_agents_env import TFAgentsEnvironment


# What all users share: shards of users (`recsim_ng.lib.sharding`) draw these whole.
REPLICATED_VARIABLES = ("corpus_state", "available_docs")

# The slate observation of `create_interest_evolution_agent_network`. The agent observes what the
# collaborative-filtering recommender does: each user's consumption history (`recommender_state`:
# the ids of the last `history_length` consumed documents, 0 for an empty slot, and the time
# consumed on each, oldest first) and every document's id and topic features. The response is
# the clicked slate position (`choice`, slate_size for none) and the time consumed, which reveals
# the clicked document's hidden quality; the reward is the time consumed on this step's click (0
# without one).
AGENT_SLATE_FIELDS = SlateFields(
    user={"doc_history": ("recommender_state", "doc_history"),
          "ctime_history": ("recommender_state", "ctime_history")},
    candidates={"doc_id": ("available_docs", "doc_id"),
                "doc_features": ("available_docs", "doc_features")},
    response={"choice": ("user_response", "choice"),
              "consumed_time": ("user_response", "consumed_time")},
    reward=("metrics_state", "reward"),
    shared_candidates=True,
    shared_state=REPLICATED_VARIABLES)

# The steps of an agent environment's episode (the story never ends).
DEFAULT_EPISODE_STEPS = 50


def create_interest_evolution_simulation_network(
        num_users: int, num_topics: int = 2, num_docs: int = 100, history_length: int = 15,
        slate_size: int = 2, freeze_corpus: bool = True, corpus_seed: seeds.Seed = 0,
        recommender_seed: seeds.Seed = 0) -> tuple[Network, tuple[tf.Variable, ...]]:
    """The network and the recommender's trainable variables.

    With `freeze_corpus` the corpus is drawn once, from `corpus_seed`, and every run sees the
    same documents (a recommender learns per-document embeddings, so training needs this);
    otherwise each run draws its own corpus at the initial step.
    """
    config = {"num_users": num_users, "num_topics": num_topics, "num_docs": num_docs,
              "history_length": history_length, "slate_size": slate_size}
    corpus_ctor = _corpus_constructor(config, freeze_corpus, corpus_seed)
    variables, trainables = story_with_trainable_variables(lambda: recs_story(
        config, InterestEvolutionUser, corpus_ctor,
        lambda config: CollabFilteringRecommender(config, seed=recommender_seed),
        ConsumedTimeAsRewardMetrics))
    return Network(variables), trainables["Recommender"]


def create_interest_evolution_agent_network(
        num_users: int, num_topics: int = 2, num_docs: int = 100, history_length: int = 15,
        slate_size: int = 2, freeze_corpus: bool = True, corpus_seed: seeds.Seed = 0) -> Network:
    """The simulation's users, corpus and metrics responding to an agent's slate, the input
    variable `slate` (see `agent_recs_story`); serve it to agents with `AGENT_SLATE_FIELDS`.

    `recommender_state` keeps the collaborative-filtering recommender's state, each user's last
    `history_length` consumptions, updated by the recommender's own `next_state` from this
    step's response to the agent's slate (empty at an episode's start). `freeze_corpus` and
    `corpus_seed` are as in `create_interest_evolution_simulation_network`: frozen, every
    episode shows the same documents; otherwise each episode draws its own.
    """
    config = {"num_users": num_users, "num_topics": num_topics, "num_docs": num_docs,
              "history_length": history_length, "slate_size": slate_size}
    story = agent_recs_story(config, InterestEvolutionUser,
                             _corpus_constructor(config, freeze_corpus, corpus_seed),
                             ConsumedTimeAsRewardMetrics)
    return Network([*story, _consumption_history(config, story)])


def agent_environment(num_users: int, seed: seeds.Seed = 0,
                      max_episode_steps: int = DEFAULT_EPISODE_STEPS, restart: str = "per_user",
                      **network_args: Any) -> TFAgentsEnvironment:
    """The batched TF-Agents environment (`slate_environment`) of
    `create_interest_evolution_agent_network(num_users, **network_args)`, whose episodes end
    after `max_episode_steps` steps."""
    return slate_environment(create_interest_evolution_agent_network(num_users, **network_args),
                             AGENT_SLATE_FIELDS, seed, max_episode_steps, restart=restart)


def _consumption_history(config: Config, story: list[Variable]) -> Variable:
    """`recommender_state`: the `CollabFilteringRecommender`'s history of each user's
    consumptions, updated from the story's `user_response` to this step's `slate_docs`."""
    recommender = CollabFilteringRecommender(config)
    story_variables = {variable.name: variable for variable in story}
    history = Variable("recommender_state", recommender.specs().get("state"))
    history.initial_value = value(recommender.initial_state)
    history.value = value(recommender.next_state, (
        history.previous, story_variables["user_response"], story_variables["slate_docs"]))
    return history


def _corpus_constructor(config: Config, freeze_corpus: bool,
                        corpus_seed: seeds.Seed) -> CorpusConstructor:
    """A corpus drawn once from `corpus_seed` and frozen, or drawn by each run."""
    if not freeze_corpus:
        return CorpusWithTopicAndQuality
    frozen = sample_corpus(config, corpus_seed)

    def corpus_ctor(config: Config) -> Corpus:
        return StaticCorpus(config, frozen)

    return corpus_ctor
