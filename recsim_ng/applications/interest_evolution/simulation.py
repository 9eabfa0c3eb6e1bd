"""The interest evolution simulation: the recommendation story with this application's entities."""

from __future__ import annotations

import tensorflow as tf

from recsim_ng.applications.interest_evolution.corpus import (CorpusWithTopicAndQuality,
                                                              StaticCorpus, sample_corpus)
from recsim_ng.applications.interest_evolution.metrics import ConsumedTimeAsRewardMetrics
from recsim_ng.applications.interest_evolution.recommender import CollabFilteringRecommender
from recsim_ng.applications.interest_evolution.user import InterestEvolutionUser
from recsim_ng.core import Network
from recsim_ng.entities.recommendation import Config, Corpus
from recsim_ng.lib import seeds
from recsim_ng.lib.entity import story_with_trainable_variables
from recsim_ng.stories.recommendation import recs_story


# What all users share: shards of users (`recsim_ng.lib.sharding`) draw these whole.
REPLICATED_VARIABLES = ("corpus_state", "available_docs")


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
    if freeze_corpus:
        frozen = sample_corpus(config, corpus_seed)

        def corpus_ctor(config: Config) -> Corpus:
            return StaticCorpus(config, frozen)
    else:
        corpus_ctor = CorpusWithTopicAndQuality
    variables, trainables = story_with_trainable_variables(lambda: recs_story(
        config, InterestEvolutionUser, corpus_ctor,
        lambda config: CollabFilteringRecommender(config, seed=recommender_seed),
        ConsumedTimeAsRewardMetrics))
    return Network(variables), trainables["Recommender"]
