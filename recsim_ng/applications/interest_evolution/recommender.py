"""`CollabFilteringRecommender`: a stochastic policy scoring documents from each user's history.

The recommender never sees the users' state. It remembers, per user, the ids of the last
`history_length` clicked documents and the time consumed on each (oldest first, 0 = empty), embeds
that history into a user embedding and scores every document by the dot product with the
document's proposal embedding. The slate is a truncated Plackett-Luce draw of `slate_size`
distinct documents from the softmax of the scores, so its exact log-probability is recorded and
the policy can be trained by REINFORCE.
"""

from __future__ import annotations

from typing import Callable

import tensorflow as tf
import tensorflow_probability as tfp

from recsim_ng.applications.interest_evolution.corpus import corpus_specs
from recsim_ng.core import Value, ValueSpec
from recsim_ng.entities.choice_models import (StoppingIteratedMultinomialLogitChoiceModel,
                                              get_chosen)
from recsim_ng.entities.recommendation import BaseRecommender, Config
from recsim_ng.entities.state_models import FiniteHistoryStateModel
from recsim_ng.lib import seeds
from recsim_ng.lib.field_spec import FieldSpec
from recsim_ng.lib.space import box, discrete
from recsim_ng.lib.xla import compiling_with_xla

tfd = tfp.distributions


class CollabFilteringModel(tf.Module):
    """History `[U, L]` of doc ids and consumed times -> scores `[U, D]` of docs 1..D.

    A history embedding table (row 0, the empty slot, is masked to zero) embeds each clicked
    document; with its consumed time appended, the flattened history passes through a dense layer,
    a leaky ReLU and a second dense layer to give the user embedding. Weights start small, so the
    untrained policy is close to uniform.

    The first dense layer is a sum over history slots of (slot's embedding) x (slot's block of
    weights), so it is computed as a sum of rows gathered from per-slot projected tables (the
    table times each slot's block): the same function with far fewer operations per user.
    """

    def __init__(self, num_docs: int, history_length: int, doc_embed_dim: int = 32,
                 hidden_dim: int = 32, init_scale: float = 0.1, seed: seeds.Seed = 0,
                 name: str = "CollabFilteringModel"):
        super().__init__(name=name)
        run_seed = seeds.as_seed(seed)

        def weights(index: int, shape: list[int], fan_in: int, name: str) -> tf.Variable:
            initial = tfd.Normal(0.0, init_scale / fan_in ** 0.5).sample(
                shape, seed=seeds.fold_in(run_seed, index))
            return tf.Variable(initial, name=name)

        width = history_length * (doc_embed_dim + 1)
        self._shape = history_length, doc_embed_dim, hidden_dim
        self._nonempty_rows = tf.constant([[0.0]] + [[1.0]] * num_docs)  # Row 0: the empty slot.
        self.history_embeddings = weights(0, [num_docs + 1, doc_embed_dim], 1,
                                          "history_embeddings")
        self.proposal_embeddings = weights(1, [num_docs, doc_embed_dim], 1, "proposal_embeddings")
        self.hidden_weights = weights(2, [width, hidden_dim], width, "hidden_weights")
        self.hidden_bias = tf.Variable(tf.zeros([hidden_dim]), name="hidden_bias")
        self.output_weights = weights(3, [hidden_dim, doc_embed_dim], hidden_dim,
                                      "output_weights")
        self.output_bias = tf.Variable(tf.zeros([doc_embed_dim]), name="output_bias")

    def user_embeddings(self, doc_history: tf.Tensor, ctime_history: tf.Tensor) -> tf.Tensor:
        """`[U, doc_embed_dim]` from the history of clicked doc ids and consumed times."""
        table = tf.convert_to_tensor(self.history_embeddings)  # A plain gather vectorises.
        num_users = doc_history.shape[0]
        # XLA computes the projected tables once per trajectory (they are loop-invariant); graph
        # mode recomputes them every step, which pays only for batches larger than the table.
        if not compiling_with_xla() and num_users is not None and num_users <= table.shape[0]:
            present = tf.cast(doc_history > 0, tf.float32)[..., None]
            embedded = tf.gather(table, doc_history) * present
            history = tf.concat([embedded, ctime_history[..., None]], -1)
            hidden = tf.reshape(history, [num_users, -1]) @ self.hidden_weights
        else:
            hidden = self._hidden_from_projected_tables(table, doc_history, ctime_history)
        hidden = tf.nn.leaky_relu(hidden + self.hidden_bias)
        return hidden @ self.output_weights + self.output_bias

    def _hidden_from_projected_tables(self, table: tf.Tensor, doc_history: tf.Tensor,
                                      ctime_history: tf.Tensor) -> tf.Tensor:
        """The first layer as a sum over slots of rows of per-slot projected tables."""
        length, embed_dim, hidden_dim = self._shape
        rows = table.shape[0]
        weights = tf.reshape(self.hidden_weights, [length, embed_dim + 1, hidden_dim])
        projected = tf.einsum("re,leh->lrh", table * self._nonempty_rows, weights[:, :embed_dim])
        projected = tf.reshape(projected, [length * rows, hidden_dim])
        slots = doc_history + tf.range(length) * rows
        hidden = ctime_history @ weights[:, embed_dim]
        if compiling_with_xla():  # XLA fuses the gathers and adds into one pass.
            for slot in range(length):
                hidden += tf.gather(projected, slots[:, slot])
            return hidden
        user_of_slot = tf.repeat(tf.range(tf.shape(slots)[0]), length)  # One kernel, no copies.
        return hidden + tf.sparse.segment_sum(projected, tf.reshape(slots, [-1]), user_of_slot)

    def __call__(self, doc_history: tf.Tensor, ctime_history: tf.Tensor) -> tf.Tensor:
        """Scores `[U, D]`: user embeddings dotted with the proposal embeddings."""
        return tf.matmul(self.user_embeddings(doc_history, ctime_history),
                         self.proposal_embeddings, transpose_b=True)


class CollabFilteringRecommender(BaseRecommender):
    """See the module docstring. Config keys: `num_users`, `num_docs`, `num_topics`,
    `slate_size`, `history_length`. The slate holds `doc_ranks` (indices into the available
    documents) and the available documents' fields gathered at them."""

    def __init__(self, config: Config, doc_embed_dim: int = 32, hidden_dim: int = 32,
                 seed: seeds.Seed = 0, name: str = "Recommender"):
        super().__init__(config, name)
        self._history_length = self._config_value("history_length")
        self._num_topics = self._config_value("num_topics")
        self.model = CollabFilteringModel(self._num_docs, self._history_length, doc_embed_dim,
                                          hidden_dim, seed=seed)
        self._histories = {
            name: FiniteHistoryStateModel(self._history_length, (), [self._num_users], dtype)
            for name, dtype in (("doc_history", tf.int32), ("ctime_history", tf.float32))}
        self._slate_model = StoppingIteratedMultinomialLogitChoiceModel(
            self._slate_size, [self._num_users], nochoice_logits=-float("inf"))

    def specs(self) -> ValueSpec:
        users, size = self._num_users, self._slate_size
        history = [users, self._history_length]
        docs = corpus_specs(self._num_docs, self._num_topics).as_dict
        slate = {name: FieldSpec([users, size, *spec.shape[1:]], spec.dtype, spec.space)
                 for name, spec in docs.items()}
        return Value(
            state=Value(doc_history=FieldSpec(history, tf.int32, discrete(self._num_docs + 1)),
                        ctime_history=FieldSpec(history, tf.float32, box())),
            slate=Value(doc_ranks=FieldSpec([users, size], tf.int32,
                                            discrete(self._num_docs, distinct=True)),
                        **slate))

    def initial_state(self) -> Value:
        return Value(**{name: model.initial_state().get("state")
                        for name, model in self._histories.items()})

    def next_state(self, previous_state: Value, user_response: Value, slate_docs: Value) -> Value:
        """Appends each click (doc id and consumed time) to the user's history; no click: as is."""
        choice = user_response.get("choice")
        clicked = (choice < self._slate_size)[:, None]
        latest = {"doc_history": get_chosen(slate_docs.get("doc_id"), choice, nochoice_value=0),
                  "ctime_history": user_response.get("consumed_time")}

        def shifted_in(name: str) -> tf.Tensor:
            history = previous_state.get(name)
            shifted = self._histories[name].next_state(Value(state=history),
                                                       Value(input=latest[name]))
            return tf.where(clicked, shifted.get("state"), history)

        return Value(**{name: shifted_in(name) for name in self._histories})

    def slate_docs(self, previous_state: Value, user_obs: Value, available_docs: Value) -> Value:
        del user_obs
        scores = self.model(previous_state.get("doc_history"), previous_state.get("ctime_history"))
        ranks = self._slate_model.choice(scores).get("choice")
        gathered = {name: _gathered_at_ranks(docs) for name, docs in available_docs.as_dict.items()}
        return Value(doc_ranks=ranks, **gathered)


def _gathered_at_ranks(docs: tf.Tensor) -> Callable[[tf.Tensor], tf.Tensor]:
    """A slate field: the available documents' field `[D, ...]` at `doc_ranks` `[U, K]`."""
    return lambda doc_ranks: tf.gather(docs, doc_ranks)
