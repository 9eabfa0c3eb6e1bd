"""The benchmark's reference recommender network, comparable to RecSim NG's interest evolution.

Four variables, all randomness in TFP distributions:
- `corpus` (static): `doc_features` [num_docs, num_topics], drawn once at the initial step.
- `recommender`: a uniformly random slate of `slate_size` distinct documents per user, by Gumbel
  top-k: `scores` [num_users, num_docs] are Gumbel noise, `slate` [num_users, slate_size] their
  top-k indices.
- `response`: a multinomial-logit `choice` [num_users] among the slate's affinities (user interest
  dot doc features) and a no-choice logit; `choice == slate_size` means no choice.
- `user`: a latent `interest` [num_users, num_topics]. Each step it moves `step_size` of the way
  towards the document chosen at the previous step (not at all after a no-choice) and adds the
  Gaussian `noise` drawn at this step (zero at the initial step); `clicks` [num_users] counts the
  choices made at earlier steps.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from recsim_ng.core import Network, Value, Variable
from recsim_ng.core.variable import value
from recsim_ng.lib.checks import check_finite, check_size
from recsim_ng.lib.field_spec import FieldSpec
from recsim_ng.lib.space import Space, box, discrete

tfd = tfp.distributions


def reference_network(num_users: int, num_topics: int = 4, num_docs: int = 100,
                      slate_size: int = 4, step_size: float = 0.1, noise_scale: float = 0.1,
                      no_choice_logit: float = 0.0) -> Network:
    """The reference network for `num_users` users; see the module docstring."""
    users, topics, docs, k = (check_size(name, size) for name, size in (
        ("num_users", num_users), ("num_topics", num_topics), ("num_docs", num_docs),
        ("slate_size", slate_size)))
    if k > docs:
        raise ValueError(f"slate_size must be in [1, num_docs={docs}], got {k}")
    check_finite("step_size", step_size, low=0.0, high=1.0)
    check_finite("noise_scale", noise_scale, low=0.0, low_open=True)
    check_finite("no_choice_logit", no_choice_logit)

    corpus = Variable("corpus", Value(doc_features=FieldSpec([docs, topics], tf.float32)))
    recommender = Variable("recommender", Value(
        scores=FieldSpec([users, docs], tf.float32),
        slate=FieldSpec([users, k], tf.int32, space=discrete(docs, distinct=True))))
    response = Variable("response", Value(
        choice=FieldSpec([users], tf.int32, space=discrete(k + 1))))
    user = Variable("user", Value(
        noise=FieldSpec([users, topics], tf.float32),
        interest=FieldSpec([users, topics], tf.float32, space=box()),
        clicks=FieldSpec([users], tf.int32, space=Space(0, np.inf, discrete=True))))

    corpus.initial_value = value(lambda: Value(
        doc_features=tfd.Sample(tfd.Uniform(-1.0, 1.0), [docs, topics])))

    recommender.value = value(lambda: Value(
        scores=tfd.Sample(tfd.Gumbel(0.0, 1.0), [users, docs]),
        slate=lambda scores: tf.math.top_k(scores, k, sorted=True).indices))

    def respond(user_value: Value, recommender_value: Value, corpus_value: Value) -> Value:
        slate_docs = tf.gather(corpus_value.get("doc_features"), recommender_value.get("slate"))
        affinities = tf.einsum("ut,ukt->uk", user_value.get("interest"), slate_docs)
        no_choice = tf.fill([users, 1], tf.constant(no_choice_logit, tf.float32))
        return Value(choice=tfd.Categorical(logits=tf.concat([affinities, no_choice], axis=-1),
                                            dtype=tf.int32))

    response.value = value(respond, (user, recommender, corpus))

    user.initial_value = value(lambda: Value(
        noise=tf.zeros([users, topics]),
        interest=tfd.Sample(tfd.Normal(0.0, 1.0), [users, topics]),
        clicks=tf.zeros([users], tf.int32)))

    def evolve(previous: Value, previous_response: Value, previous_recommender: Value,
               corpus_value: Value) -> Value:
        choice = previous_response.get("choice")
        clicked = choice < k
        chosen_doc = tf.gather(previous_recommender.get("slate"), tf.minimum(choice, k - 1),
                               batch_dims=1)
        target = tf.gather(corpus_value.get("doc_features"), chosen_doc)
        interest = previous.get("interest")
        moved = tf.where(clicked[:, None], interest + step_size * (target - interest), interest)
        return Value(
            noise=tfd.Sample(tfd.Normal(0.0, noise_scale), [users, topics]),
            interest=lambda noise: moved + noise,
            clicks=previous.get("clicks") + tf.cast(clicked, tf.int32))

    user.value = value(evolve, (user.previous, response.previous, recommender.previous, corpus))

    return Network([corpus, user, recommender, response])
