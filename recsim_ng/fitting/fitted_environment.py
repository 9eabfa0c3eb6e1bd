"""A fitted interest simulator as an RL environment: a recommender shows slates to fitted users.

Users are drawn from the fitted population (long-run interests N(b, spread²)). At each step the
recommender's slate (the action: `slate.slate`, K item indices) is shown, and the user consumes
one item chosen as the fitted model chooses, except that shown items get `exposure_effect`
added to their logit (how much showing an item raises its chance; logs without impressions,
like MovieLens, cannot identify it, so it is a scenario setting). The reward is 1 when the
consumed item was on the slate. Consumption moves the user's interest as fitted, so slates
shape what users come to like. Episodes last `horizon` steps.
"""

from __future__ import annotations

import tensorflow as tf
import tensorflow_probability as tfp
from tf_agents.policies import tf_policy
from tf_agents.trajectories import policy_step

from recsim_ng.core import Network, Value, Variable
from recsim_ng.core.variable import value
from recsim_ng.fitting.interest_network import InterestUser, draw_long_run
from recsim_ng.fitting.simulator_files import FittedSimulator
from recsim_ng.lib.field_spec import FieldSpec
from recsim_ng.lib.space import discrete
from recsim_ng.rl.agents import RandomSlatePolicy
from recsim_ng.rl.evaluation import EvaluationResult, Evaluator
from recsim_ng.rl.tf_agents_env import TFAgentsEnvironment

tfd = tfp.distributions


def population_users(simulator: FittedSimulator, num_users: int, seed: int) -> InterestUser:
    """`num_users` users drawn from the fitted population (long-run interests N(b, spread²))."""
    return InterestUser(simulator.dynamics, simulator.covariates,
                        draw_long_run(simulator.dynamics, num_users, seed), simulator.gaps,
                        simulator.exclude_consumed)


def fitted_recommendation_network(simulator: FittedSimulator, num_users: int, slate_size: int,
                                  horizon: int, exposure_effect: float = 1.0,
                                  seed: int = 0) -> Network:
    """Variables `slate` (the action input), `user_state`, `response` (`item`, `click`)."""
    if not 0 < slate_size <= simulator.covariates.topics.shape[0]:
        raise ValueError(f"slate_size must be in 1..{simulator.covariates.topics.shape[0]},"
                         f" got {slate_size}")
    if horizon < 1 or num_users < 1:
        raise ValueError(f"horizon and num_users must be positive, got {horizon}, {num_users}")
    users = population_users(simulator, num_users, seed)
    num_items, num_topics = simulator.covariates.topics.shape
    slate = Variable("slate", Value(slate=FieldSpec([num_users, slate_size], tf.int32,
                                                    discrete(num_items, distinct=True))))
    state = Variable("user_state", Value(
        interest=FieldSpec([num_users, num_topics], tf.float32),
        consumed=FieldSpec([num_users, num_items], tf.float32),
        steps=FieldSpec([num_users], tf.int32), done=FieldSpec([num_users], tf.bool)))

    def next_state(previous: Value, chosen: Value) -> Value:
        steps = previous.get("steps") + 1
        return users.consume(previous, chosen.get("item"), tf.ones([num_users])).union(
            Value(steps=steps, done=steps >= horizon))

    def respond(previous: Value, shown: Value) -> Value:
        exposed = tf.reduce_max(tf.one_hot(shown.get("slate"), num_items), axis=1)
        logits = users.logits(previous) + exposure_effect * exposed
        return Value(item=tfd.Categorical(logits=logits, dtype=tf.int32),
                     click=lambda item: tfd.Deterministic(tf.cast(
                         tf.reduce_any(shown.get("slate") == item[:, None], axis=1), tf.float32)))

    response = Variable("response", Value(item=FieldSpec([num_users], tf.int32),
                                          click=FieldSpec([num_users], tf.float32)))
    slate.initial_value = value(lambda: Value(
        slate=tf.tile(tf.range(slate_size)[tf.newaxis], [num_users, 1])))
    state.initial_value = value(lambda: users.initial_state().union(Value(
        steps=tf.zeros([num_users], tf.int32), done=tf.zeros([num_users], tf.bool))))
    state.value = value(next_state, [state.previous, response])
    response.initial_value = value(lambda: Value(item=tf.zeros([num_users], tf.int32),
                                                 click=tf.zeros([num_users])))
    response.value = value(respond, [state.previous, slate])
    return Network([slate, state, response])


def fitted_environment(simulator: FittedSimulator, num_users: int, slate_size: int = 10,
                       horizon: int = 50, exposure_effect: float = 1.0,
                       seed: int = 0) -> TFAgentsEnvironment:
    """The network as a batched TF-Agents environment: observation `user_state.interest` and
    `consumed`, reward `response.click`."""
    network = fitted_recommendation_network(simulator, num_users, slate_size, horizon,
                                            exposure_effect, seed)
    return TFAgentsEnvironment(network, observation={"user_state": ["interest", "consumed"]},
                               reward=("response", "click"), done=("user_state", "done"),
                               action="slate", seed=seed)


class FittedMyopicPolicy(tf_policy.TFPolicy):
    """Shows each user the `slate_size` items the fitted model rates likeliest right now."""

    def __init__(self, environment: TFAgentsEnvironment, simulator: FittedSimulator):
        super().__init__(environment.time_step_spec(), environment.action_spec())
        self._users = population_users(simulator, 1, seed=0)  # only its logits are used
        self._slate_size = environment.action_spec().shape[-1]

    def _distribution(self, time_step, policy_state):
        raise NotImplementedError("a deterministic top-k policy: use action()")

    def _action(self, time_step, policy_state, seed):
        del seed
        logits = self._users.logits(Value(**time_step.observation["user_state"]))
        return policy_step.PolicyStep(tf.math.top_k(logits, self._slate_size).indices,
                                      policy_state)


def policy_evaluator(simulator: FittedSimulator, num_users: int = 500, slate_size: int = 10,
                     horizon: int = 50, exposure_effect: float = 1.0,
                     seed: int = 0) -> tuple[Evaluator, dict[str, tf_policy.TFPolicy]]:
    """The evaluator of `num_users` users drawn from the fitted population, and the policies
    compared on them: random slates and the fitted-myopic policy."""
    def factory(users: int) -> TFAgentsEnvironment:
        return fitted_environment(simulator, users, slate_size, horizon, exposure_effect, seed)

    evaluator = Evaluator(factory, num_users, seed)
    environment = factory(num_users)
    policies = {"random": RandomSlatePolicy(environment.time_step_spec(),
                                            environment.action_spec()),
                "fitted_myopic": FittedMyopicPolicy(environment, simulator)}
    return evaluator, policies


def compare_policies(simulator: FittedSimulator, num_users: int = 500, slate_size: int = 10,
                     horizon: int = 50, exposure_effect: float = 1.0,
                     seed: int = 0) -> dict[str, EvaluationResult]:
    """Clicks per episode of random slates and of the fitted-myopic policy, same users."""
    evaluator, policies = policy_evaluator(simulator, num_users, slate_size, horizon,
                                           exposure_effect, seed)
    return {name: evaluator(policy) for name, policy in policies.items()}
