"""`Corpus`: the interface of a document corpus (and its creators)."""

from __future__ import annotations

import abc
from typing import Callable

from recsim_ng.core import Value, ValueSpec
from recsim_ng.entities.recommendation.base import Config, StatefulRecsEntity


class Corpus(StatefulRecsEntity):
    """Documents whose state may evolve with what users choose; offers the available documents.

    `specs()` holds two prefixes: `state` and `available_docs`.
    """

    def __init__(self, config: Config, name: str = "Corpus"):
        super().__init__(config, name)
        self._num_docs = self._config_value("num_docs")

    @abc.abstractmethod
    def specs(self) -> ValueSpec:
        """`state` and `available_docs` specs under those prefixes."""

    @abc.abstractmethod
    def available_documents(self, corpus_state: Value) -> Value:
        """The documents a recommender may choose from at this step."""


CorpusConstructor = Callable[[Config], Corpus]
