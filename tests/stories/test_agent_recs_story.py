"""`agent_recs_story`: the recommendation story with the slate fed from outside."""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from recsim_ng.core import Network, Value
from recsim_ng.entities.recommendation import BaseRecommender, Corpus, RecsMetricsBase, User
from recsim_ng.lib.field_spec import FieldSpec
from recsim_ng.lib.runtime import TFRuntime
from recsim_ng.lib.space import discrete
from recsim_ng.stories.recommendation import agent_recs_story, recs_story

tfd = tfp.distributions
U, T, D, K = 5, 2, 6, 2
CONFIG = {"num_users": U, "num_topics": T, "num_docs": D, "slate_size": K}
STEPS = 6


class ArgmaxUser(User):
    """Random initial interests; clicks the slate's best match (or nothing) and moves towards
    it, deterministically, so two stories fed the same slates agree exactly."""

    def specs(self):
        return Value(state=Value(interest=FieldSpec([U, T], tf.float32)),
                     response=Value(choice=FieldSpec([U], tf.int32, discrete(K + 1))),
                     observation=Value(interest=FieldSpec([U, T], tf.float32)))

    def initial_state(self):
        return Value(interest=tfd.Normal(tf.zeros([U, T]), 1.0))

    def next_state(self, previous_state, user_response, slate_docs):
        interest = previous_state.get("interest")
        choice = user_response.get("choice")
        chosen = tf.gather(slate_docs.get("features"), tf.minimum(choice, K - 1), batch_dims=1)
        return Value(interest=tf.where((choice < K)[:, None],
                                       interest + 0.5 * (chosen - interest), interest))

    def next_response(self, previous_state, slate_docs):
        affinity = tf.einsum("ut,ukt->uk", previous_state.get("interest"),
                             slate_docs.get("features"))
        logits = tf.concat([affinity, tf.fill([U, 1], 0.3)], -1)
        return Value(choice=tf.argmax(logits, -1, output_type=tf.int32))

    def observation(self, user_state):
        return user_state


class AgingCorpus(Corpus):
    """Fixed features; counts clicks per document and its own steps, which every available
    document carries as `age`, so a slate shows which step's documents it was gathered from."""

    def specs(self):
        docs = Value(doc_id=FieldSpec([D], tf.int32, discrete(D)),
                     features=FieldSpec([D, T], tf.float32),
                     age=FieldSpec([D], tf.int32))
        return Value(state=Value(clicks=FieldSpec([D], tf.int32), age=FieldSpec([], tf.int32)),
                     available_docs=docs)

    def initial_state(self):
        return Value(clicks=tf.zeros([D], tf.int32), age=tf.constant(0))

    def next_state(self, previous_state, user_response, slate_docs):
        choice = user_response.get("choice")
        chosen = tf.gather(slate_docs.get("doc_id"), tf.minimum(choice, K - 1), batch_dims=1)
        clicks = tf.math.bincount(tf.boolean_mask(chosen, choice < K), minlength=D, maxlength=D)
        return Value(clicks=previous_state.get("clicks") + clicks,
                     age=previous_state.get("age") + 1)

    def available_documents(self, corpus_state):
        features = tf.cos(tf.reshape(tf.range(D * T, dtype=tf.float32), [D, T]))
        return Value(doc_id=tf.range(D), features=features,
                     age=tf.fill([D], corpus_state.get("age")))


class RandomRecommender(BaseRecommender):
    """A uniformly random slate of distinct documents (Gumbel top-k)."""

    def specs(self):
        return Value(state=Value(),
                     slate=Value(noise=FieldSpec([U, D]), doc_id=FieldSpec([U, K], tf.int32),
                                 features=FieldSpec([U, K, T]), age=FieldSpec([U, K], tf.int32)))

    def initial_state(self):
        return Value()

    def next_state(self, previous_state, user_response, slate_docs):
        return previous_state

    def slate_docs(self, previous_state, user_obs, available_docs):
        return Value(noise=tfd.Gumbel(tf.zeros([U, D]), 1.0),
                     doc_id=lambda noise: tf.math.top_k(noise, K).indices,
                     features=lambda doc_id: tf.gather(available_docs.get("features"), doc_id),
                     age=lambda doc_id: tf.gather(available_docs.get("age"), doc_id))


class ClickAndInterestMetrics(RecsMetricsBase):
    """Counts each user's clicks and records the interest the metrics are handed."""

    def specs(self):
        return Value(state=Value(clicks=FieldSpec([U], tf.int32),
                                 interest=FieldSpec([U, T], tf.float32)))

    def initial_metrics(self):
        return Value(clicks=tf.zeros([U], tf.int32), interest=tf.zeros([U, T]))

    def next_metrics(self, previous_metrics, corpus_state, user_state, user_response, slate_docs):
        return Value(clicks=previous_metrics.get("clicks")
                     + tf.cast(user_response.get("choice") < K, tf.int32),
                     interest=user_state.get("interest"))


def agent_network(config=None):
    return Network(agent_recs_story(config or CONFIG, ArgmaxUser, AgingCorpus,
                                    ClickAndInterestMetrics))


def run_agent(network, slates, seed):
    """Steps 0 .. len(slates) of the agent story fed `slates` `[steps, U, K]` at steps 1...."""
    runtime = TFRuntime(network, inputs=("slate",))
    state = runtime.reset(seed)
    values = [state.value]
    for slate in slates:
        state = runtime.step(state, {"slate": Value(slate=tf.constant(slate, tf.int32))})
        values.append(state.value)
    return values


def test_agent_story_variables_and_slate_spec():
    network = agent_network()
    assert [v.name for v in network.variables] == [
        "slate", "slate_docs", "user_response", "user_state", "corpus_state", "available_docs",
        "user_observation", "metrics_state"]
    slate_spec = network.variable("slate").spec.get("slate")
    assert (slate_spec.shape, slate_spec.dtype) == ([U, K], tf.int32)
    assert slate_spec.space == discrete(D, distinct=True)
    docs_spec = network.variable("slate_docs").spec
    assert sorted(docs_spec.as_dict) == ["age", "doc_id", "features"]
    assert docs_spec.get("features").shape == [U, K, T]
    assert docs_spec.get("doc_id").space == discrete(D)


def test_slate_space_refuses_repeats_and_indices_outside_the_corpus():
    space = agent_network().variable("slate").spec.get("slate").space
    assert space.contains(np.array([[0, D - 1]]))
    assert not space.contains(np.array([[1, 1]]))
    assert not space.contains(np.array([[0, D]]))
    assert not space.contains(np.array([[-1, 0]]))


def test_fed_the_recommenders_slates_the_agent_story_reproduces_recs_story():
    recs = TFRuntime(Network(recs_story(CONFIG, ArgmaxUser, AgingCorpus, RandomRecommender,
                                        ClickAndInterestMetrics))).trajectory(STEPS, seed=7)
    slates = recs["slate_docs"].get("doc_id").numpy()
    agent = run_agent(agent_network(), slates[:-1], seed=7)
    for step in range(STEPS):  # States at step t agree; the agent's response lags by one.
        for name, field in (("user_state", "interest"), ("corpus_state", "clicks"),
                            ("corpus_state", "age"), ("metrics_state", "clicks"),
                            ("metrics_state", "interest"), ("available_docs", "age")):
            np.testing.assert_array_equal(agent[step][name].get(field),
                                          recs[name].get(field)[step], err_msg=f"{name}.{field}")
    for step in range(1, STEPS):
        np.testing.assert_array_equal(agent[step]["user_response"].get("choice"),
                                      recs["user_response"].get("choice")[step - 1])
        for field in ("doc_id", "features", "age"):
            np.testing.assert_array_equal(agent[step]["slate_docs"].get(field),
                                          recs["slate_docs"].get(field)[step - 1])
    clicks = recs["user_response"].get("choice").numpy() < K
    assert 0 < clicks.sum() < clicks.size  # Both clicks and no clicks were compared.


def test_slate_docs_are_the_documents_the_agent_saw_at_each_users_indices():
    slates = np.array([[[(step + user) % D, (step + user + 1 + user % 2) % D]
                        for user in range(U)] for step in range(1, 4)])
    values = run_agent(agent_network(), slates, seed=1)
    for step, slate in enumerate(slates, start=1):
        shown = values[step]["slate_docs"]
        np.testing.assert_array_equal(shown.get("doc_id"), slate)
        # The previous step's documents: the corpus has aged one step since.
        np.testing.assert_array_equal(shown.get("age"), step - 1)
        assert values[step]["available_docs"].get("age")[0] == step


def test_initial_response_to_the_placeholder_slate_changes_nothing():
    slate = np.tile([K, K + 1], [U, 1]) % D
    initial, after = run_agent(agent_network(), [slate], seed=2)
    np.testing.assert_array_equal(initial["slate"].get("slate"), np.tile(np.arange(K), [U, 1]))
    assert np.any(initial["user_response"].get("choice") < K)  # It clicked, yet:
    np.testing.assert_array_equal(initial["metrics_state"].get("clicks"), 0)
    np.testing.assert_array_equal(initial["corpus_state"].get("clicks"), 0)
    # Step 1's states count step 1's response to the agent's slate, and only it.
    clicked = after["user_response"].get("choice").numpy() < K
    np.testing.assert_array_equal(after["metrics_state"].get("clicks"), clicked)
    chosen = slate[np.arange(U), np.minimum(after["user_response"].get("choice"), K - 1)]
    np.testing.assert_array_equal(after["corpus_state"].get("clicks"),
                                  np.bincount(chosen[clicked], minlength=D))


@pytest.mark.parametrize("config, error, match", [
    ({**CONFIG, "slate_size": D + 1}, ValueError, "'slate_size'.*exceeds 'num_docs'"),
    ({key: CONFIG[key] for key in ("num_users", "slate_size")}, KeyError, "'num_docs'"),
    ({**CONFIG, "num_users": 0}, ValueError, "'num_users'"),
])
def test_bad_config_is_refused_by_name(config, error, match):
    with pytest.raises(error, match=match):
        agent_recs_story(config, ArgmaxUser, AgingCorpus, ClickAndInterestMetrics)
