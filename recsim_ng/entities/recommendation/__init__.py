"""The entities of a recommendation simulation: users, corpus, recommender and metrics."""

from recsim_ng.entities.recommendation.base import Config
from recsim_ng.entities.recommendation.corpus import Corpus, CorpusConstructor
from recsim_ng.entities.recommendation.metrics import MetricsConstructor, RecsMetricsBase
from recsim_ng.entities.recommendation.recommender import BaseRecommender, RecommenderConstructor
from recsim_ng.entities.recommendation.user import User, UserConstructor

__all__ = ["BaseRecommender", "Config", "Corpus", "CorpusConstructor", "MetricsConstructor",
           "RecommenderConstructor", "RecsMetricsBase", "User", "UserConstructor"]
