"""The bandit story: a problem, a context, an algorithm and metrics wired into variables.

The story takes entity instances, not constructors: bandit entities have typed constructor
arguments rather than a shared config, and the caller keeps a handle on each (to read a
problem's fixed means, say). Build them inside the function given to
`story_with_trainable_variables` to collect their variables.

Every step, including the initial one, is one pull per bandit: the statistics summarise steps
0 .. t-1 (they are updated from the previous step's choice, reward and context), the choice at
step t is made from the statistics and context at t, and the metrics include step t's pull.
"""

from __future__ import annotations

from recsim_ng.core import Variable
from recsim_ng.core.variable import value
from recsim_ng.entities.bandits import (BanditAlgorithm, BanditContext, BanditMetrics,
                                        BanditProblem)


def bandit_story(problem: BanditProblem, algorithm: BanditAlgorithm,
                 context: BanditContext | None = None,
                 metrics: BanditMetrics | None = None) -> list[Variable]:
    """Seven variables, batched over the problem's `num_bandits` bandits.

    `context` defaults to `problem.default_context()` and `metrics` to `BanditMetrics`. Values
    and their inputs (p = the previous step's value):
    - `bandit_parameters`: the problem's parameters, set at the initial step, then static;
    - `bandit_context` <- p.context;
    - `bandit_state` (every arm's mean and realised reward) <- parameters, context;
    - `bandit_statistics` <- p.statistics, p.choice, p.rewards, p.context (initially empty);
    - `bandit_choice` <- statistics, context;
    - `bandit_rewards` (the chosen arm's reward) <- choice, state;
    - `bandit_metrics` <- p.metrics, state, choice, rewards.
    """
    context = context if context is not None else problem.default_context()
    metrics = metrics if metrics is not None else BanditMetrics(problem.num_bandits)
    _check_sizes(problem, algorithm, context, metrics)
    problem_specs, algorithm_specs = problem.specs(), algorithm.specs()

    parameters = Variable("bandit_parameters", problem_specs.get("parameters"))
    context_variable = Variable("bandit_context", context.specs())
    state = Variable("bandit_state", problem_specs.get("state"))
    statistics = Variable("bandit_statistics", algorithm_specs.get("statistics"))
    choice = Variable("bandit_choice", algorithm_specs.get("choice"))
    rewards = Variable("bandit_rewards", problem_specs.get("rewards"))
    metrics_variable = Variable("bandit_metrics", metrics.specs())

    parameters.initial_value = value(problem.parameters)
    context_variable.initial_value = value(context.initial_context)
    context_variable.value = value(context.next_context, (context_variable.previous,))
    state.value = value(problem.state, (parameters, context_variable))
    statistics.initial_value = value(algorithm.initial_statistics)
    statistics.value = value(algorithm.next_statistics, (
        statistics.previous, choice.previous, rewards.previous, context_variable.previous))
    choice.value = value(algorithm.arm_choice, (statistics, context_variable))
    rewards.value = value(problem.rewards, (choice, state))
    metrics_variable.initial_value = value(metrics.initial_metrics, (state, choice, rewards))
    metrics_variable.value = value(metrics.next_metrics, (
        metrics_variable.previous, state, choice, rewards))
    return [parameters, context_variable, state, statistics, choice, rewards, metrics_variable]


def _check_sizes(problem: BanditProblem, algorithm: BanditAlgorithm, context: BanditContext,
                 metrics: BanditMetrics) -> None:
    """Raises unless the entities agree on the number of bandits and of arms."""
    bandits = {type(entity).__name__: entity.num_bandits
               for entity in (problem, algorithm, context, metrics)}
    if len(set(bandits.values())) > 1:
        raise ValueError(f"the bandit entities disagree on num_bandits: {bandits}")
    if algorithm.num_arms != problem.num_arms:
        raise ValueError(f"{type(algorithm).__name__} has {algorithm.num_arms} arms but"
                         f" {type(problem).__name__} has {problem.num_arms}")
