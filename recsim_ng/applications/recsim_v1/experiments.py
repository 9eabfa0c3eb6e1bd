"""The RecSim v1 tasks and agents by name, and `run_experiment`: train, evaluate, report.

A task is one v1 environment at the sizes the literature uses; an agent is a TF-Agents agent
(trained with `recsim_ng.rl.training.train` from the experience a driver collects, see
`recsim_ng.rl.collect`) or a fixed policy. `run_experiment` is what the command line
(`recsim_ng.applications.recsim_v1.run_experiment`) and RESULTS.md run.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Callable, NamedTuple

from tf_agents.policies import tf_policy

from recsim_ng.applications import recsim_v1
from recsim_ng.applications.recsim_v1.environment import v1_environment
from recsim_ng.applications.recsim_v1.myopic_scores import (
    interest_evolution_click_probability, interest_exploration_click_probability,
    long_term_satisfaction_immediate_reward)
from recsim_ng.core import Network
from recsim_ng.lib import seeds
from recsim_ng.rl.agents import (ClickProbability, ClusterBanditPolicy, MyopicPolicy,
                                 RandomSlatePolicy, SlateScore)
from recsim_ng.rl.agents.full_slate_q import DEFAULT_CONFIG as FULL_SLATE_Q_CONFIG
from recsim_ng.rl.agents.full_slate_q import FullSlateQAgent
from recsim_ng.rl.agents.q_agent import QLearningConfig
from recsim_ng.rl.agents.reinforce import ReinforceConfig, SlateReinforceAgent
from recsim_ng.rl.agents.slate_q import SlateQAgent, SlateQConfig
from recsim_ng.rl.agents.stock_agents import tf_agents_ppo, tf_agents_reinforce
from recsim_ng.rl.collect import EpisodeLearner, ReplayLearner
from recsim_ng.rl.evaluation import EvaluationResult, Evaluator
from recsim_ng.rl.tf_agents_env import TFAgentsEnvironment
from recsim_ng.rl.training import CurvePoint, Learner, train


@dataclasses.dataclass(frozen=True)
class Task:
    """A v1 environment at fixed sizes, with the agent-side model of its choices."""

    name: str
    network: Callable[..., Network]  # (num_users, num_candidates, slate_size) -> Network
    num_candidates: int
    slate_size: int
    myopic_score: Callable[[], SlateScore]  # what the myopic policy maximises
    click_probability: Callable[[], ClickProbability] | None  # SlateQ's choice model
    max_episode_steps: int | None = None  # v1's runner cap, for tasks that never terminate

    def environment(self, num_users: int, seed: seeds.Seed = 0,
                    restart: str = "per_user") -> TFAgentsEnvironment:
        """The batched TF-Agents environment of `num_users` users."""
        return v1_environment(self.network(num_users, self.num_candidates, self.slate_size),
                              seed, self.max_episode_steps, restart)


# The agents' models score any candidate count and slate size; the sizes below are placeholders.
def _interest_evolution_click() -> ClickProbability:
    return interest_evolution_click_probability(
        recsim_v1.InterestEvolution(1, 10, 3, True, False))


def _interest_exploration_click() -> ClickProbability:
    return interest_exploration_click_probability(
        recsim_v1.InterestExploration(1, 10, 2, True, False))


def _long_term_satisfaction_reward() -> SlateScore:
    return long_term_satisfaction_immediate_reward(
        recsim_v1.LongTermSatisfaction(1, 10, 2, True, False))


def _task(name: str, myopic_score: Callable[[], SlateScore],
          click_probability: Callable[[], ClickProbability] | None) -> Task:
    """The task `name` at its `recsim_v1.V1_SETTINGS` sizes."""
    setting = recsim_v1.V1_SETTINGS[name]
    return Task(name, setting.network, setting.num_candidates, setting.slate_size, myopic_score,
                click_probability, setting.max_episode_steps)


TASKS = {task.name: task for task in (
    _task("interest_evolution", _interest_evolution_click, _interest_evolution_click),
    _task("interest_exploration", _interest_exploration_click, _interest_exploration_click),
    _task("long_term_satisfaction", _long_term_satisfaction_reward, None),
)}

# name -> the SlateQ config of v1's agent of that kind
SLATE_Q_AGENTS = {
    "slate_q": SlateQConfig(),  # QL-TT-TS, v1's slate_topk_topk_q
    "slate_q_sarsa": SlateQConfig(target="sarsa"),  # SARSA-TS, slate_topk_sarsa
    "slate_q_greedy": SlateQConfig(slate_optimizer="greedy", target_optimizer="greedy"),
    "slate_q_exact": SlateQConfig(slate_optimizer="exact", target_optimizer="exact"),
}


@dataclasses.dataclass(frozen=True)
class StockAgentConfig:
    """How a TF-Agents stock agent (`recsim_ng.rl.agents.stock_agents`) learns here: like our
    REINFORCE, from one whole episode of every training user per `agent.train`."""

    learning_rate: float

    def __post_init__(self):
        if not 0.0 < self.learning_rate < math.inf:
            raise ValueError("StockAgentConfig.learning_rate is out of range: got"
                             f" {self.learning_rate!r}")


# name -> (builder, config) of TF-Agents' own agents over the slate networks
STOCK_AGENTS = {
    "tf_agents_reinforce": (tf_agents_reinforce, StockAgentConfig(learning_rate=1e-2)),
    "tf_agents_ppo": (tf_agents_ppo, StockAgentConfig(learning_rate=1e-3)),
}
# name -> the config of each learning agent
LEARNER_CONFIGS: dict[str, QLearningConfig | ReinforceConfig | StockAgentConfig] = {
    **SLATE_Q_AGENTS, "full_slate_q": FULL_SLATE_Q_CONFIG, "reinforce": ReinforceConfig(),
    **{name: config for name, (_, config) in STOCK_AGENTS.items()}}
# (task, agent) -> a learner's config tuned for that task. Full-slate Q's Q values oscillate on
# interest evolution and exploration with the target network copied every 100 train steps;
# copied every 500, it ends well above (RESULTS.md), while long-term satisfaction does better
# with 100.
TASK_LEARNER_CONFIGS = {
    (task, "full_slate_q"): dataclasses.replace(FULL_SLATE_Q_CONFIG, target_update_period=500)
    for task in ("interest_evolution", "interest_exploration")}


def learner_config(task_name: str,
                   agent: str) -> QLearningConfig | ReinforceConfig | StockAgentConfig:
    """The config of learner `agent` on task `task_name`."""
    return TASK_LEARNER_CONFIGS.get((task_name, agent), LEARNER_CONFIGS[agent])


# How the learners' training users restart. Synchronous episodes (every user restarts once all
# have finished) reproduce the published figures: REINFORCE trains on whole episodes of every
# user, and SlateQ learns markedly better from them than with plain per-user restarts on
# interest evolution, as they weigh every step of the episode alike (per-user restarts match
# them with `weigh_episode_steps`; RESULTS.md measures both).
TRAINING_RESTART = "together"
REINFORCE_MAX_EPISODE_STEPS = 500  # a cap on one training step's episodes
POLICIES = ("random", "myopic", "cluster_ucb1", "cluster_thompson")
LEARNERS = tuple(LEARNER_CONFIGS)
AGENTS = POLICIES + LEARNERS


def make_agent(task: Task, agent: str, env: TFAgentsEnvironment, seed: seeds.Seed = 0,
               weigh_episode_steps: bool = False) -> Learner | tf_policy.TFPolicy:
    """The learner (trained on `env`) or fixed policy called `agent` for `task`;
    `weigh_episode_steps` (the replay learners: SlateQ, full-slate Q) weighs each step of the
    episode the same in training (`recsim_ng.rl.collect.EpisodeStepWeights`)."""
    check_agent(task, agent, weigh_episode_steps)
    specs = (env.time_step_spec(), env.action_spec())
    if agent == "random":
        return RandomSlatePolicy(*specs, seed=seed)
    if agent == "myopic":
        return MyopicPolicy(*specs, task.myopic_score())
    if agent in ("cluster_ucb1", "cluster_thompson"):
        return ClusterBanditPolicy(*specs, algorithm=agent.removeprefix("cluster_"))
    run_seed = seeds.as_seed(seed)
    agent_seed, replay_seed = seeds.fold_in(run_seed, 0), seeds.fold_in(run_seed, 1)
    config = learner_config(task.name, agent)
    if agent in SLATE_Q_AGENTS:
        return ReplayLearner(SlateQAgent(*specs, task.click_probability(), config, agent_seed),
                             env,
                             seed=replay_seed, weigh_episode_steps=weigh_episode_steps)
    if agent == "full_slate_q":
        return ReplayLearner(FullSlateQAgent(*specs, config, agent_seed), env,
                             seed=replay_seed, weigh_episode_steps=weigh_episode_steps)
    if agent == "reinforce":  # Whole episodes of every user (see `TRAINING_RESTART`).
        return EpisodeLearner(SlateReinforceAgent(*specs, config, agent_seed), env,
                              REINFORCE_MAX_EPISODE_STEPS, whole_episodes=True)
    if agent in STOCK_AGENTS:
        build, _ = STOCK_AGENTS[agent]
        return EpisodeLearner(build(*specs, agent_seed, config.learning_rate), env,
                              REINFORCE_MAX_EPISODE_STEPS, whole_episodes=True)
    raise AssertionError(f"unhandled agent {agent!r}")


def check_agent(task: Task, agent: str, weigh_episode_steps: bool = False) -> None:
    """Raises a `ValueError` if `agent` (with `weigh_episode_steps`) cannot run on `task`."""
    if agent not in AGENTS:
        raise ValueError(f"agent must be one of {AGENTS}, got {agent!r}")
    if weigh_episode_steps and agent not in SLATE_Q_AGENTS and agent != "full_slate_q":
        raise ValueError(f"weigh_episode_steps applies to the replay learners (SlateQ, full-slate"
                         f" Q), not to agent {agent!r}")
    if agent.startswith("cluster_") and task.name != "interest_exploration":
        raise ValueError(f"agent {agent!r} needs clustered documents with quality:"
                         f" task 'interest_exploration', not {task.name!r}")
    if agent in SLATE_Q_AGENTS and task.click_probability is None:
        raise ValueError(f"agent {agent!r} needs a conditional choice model; task"
                         f" {task.name!r} (the user always clicks position 0) has none")


class TrainedAgent(NamedTuple):
    """A trained (or fixed) agent's policy on its task, with its training record."""

    task: Task  # with the run's sizes
    agent: str
    policy: tf_policy.TFPolicy
    environment_steps: int  # training steps taken, each one action for each of `train_users` users
    train_users: int  # 0 for a fixed policy
    train_seconds: float
    curve: list[CurvePoint]


class ExperimentResult(NamedTuple):
    """A trained (or fixed) agent's evaluation."""

    task: str
    agent: str
    num_candidates: int
    slate_size: int
    environment_steps: int  # training steps taken, each one action for each of `train_users` users
    train_users: int  # 0 for a fixed policy
    evaluation: EvaluationResult
    train_seconds: float
    curve: list[CurvePoint]


def task_at(task_name: str, num_candidates: int | None = None,
            slate_size: int | None = None) -> Task:
    """The task `task_name`, with `num_candidates` and `slate_size` overriding its sizes."""
    if task_name not in TASKS:
        raise ValueError(f"task must be one of {tuple(TASKS)}, got {task_name!r}")
    task = TASKS[task_name]
    return dataclasses.replace(task, num_candidates=num_candidates or task.num_candidates,
                               slate_size=slate_size or task.slate_size)


def build_agent(task_name: str, agent: str, train_users: int = 256, seed: int = 0,
                num_candidates: int | None = None, slate_size: int | None = None,
                training_restart: str = TRAINING_RESTART, weigh_episode_steps: bool = False,
                ) -> tuple[Task, Learner | tf_policy.TFPolicy]:
    """The task at the run's sizes and the untrained learner or fixed policy of a run of
    `train_agent` with these arguments."""
    task = task_at(task_name, num_candidates, slate_size)
    run_seed = seeds.as_seed(seed)
    # Fixed policies only need the environment's specs.
    users = train_users if agent in LEARNERS else 1
    env = task.environment(users, seeds.fold_in(run_seed, 0), training_restart)
    return task, make_agent(task, agent, env, seeds.fold_in(run_seed, 3), weigh_episode_steps)


def train_agent(task_name: str, agent: str, environment_steps: int = 0,
                train_users: int = 256, seed: int = 0, output_dir: str | None = None,
                curve_points: int = 10, curve_users: int = 1000,
                num_candidates: int | None = None, slate_size: int | None = None,
                training_restart: str = TRAINING_RESTART, weigh_episode_steps: bool = False,
                **train_options: Any) -> TrainedAgent:
    """Trains `agent` on `task_name` if it learns (`run_experiment` says how)."""
    task, made = build_agent(task_name, agent, train_users, seed, num_candidates, slate_size,
                             training_restart, weigh_episode_steps)
    train_users = train_users if agent in LEARNERS else 0
    run_seed = seeds.as_seed(seed)
    if isinstance(made, tf_policy.TFPolicy):
        if environment_steps:
            raise ValueError(f"agent {agent!r} does not learn; pass environment_steps=0")
        return TrainedAgent(task, agent, made, 0, 0, 0.0, [])
    evaluation = Evaluator(task.environment, curve_users,
                           seeds.fold_in(run_seed, 1)) if curve_points else None
    settings = {"task": task_name, "agent": agent, "seed": seed, "train_users": train_users,
                "num_candidates": task.num_candidates, "slate_size": task.slate_size,
                "curve_users": curve_users, "training_restart": training_restart,
                "weigh_episode_steps": weigh_episode_steps,
                **{f"agent_config.{name}": value for name, value
                   in dataclasses.asdict(learner_config(task_name, agent)).items()}}
    report = train(made, environment_steps, output_dir, evaluation,
                   max(environment_steps // max(curve_points, 1), 1), settings=settings,
                   **train_options)
    return TrainedAgent(task, agent, made.policy, report.environment_steps, train_users,
                        report.wall_seconds, report.curve)


def run_experiment(task_name: str, agent: str, environment_steps: int = 0,
                   train_users: int = 256, eval_users: int = 5000, seed: int = 0,
                   output_dir: str | None = None, curve_points: int = 10,
                   curve_users: int = 1000, num_candidates: int | None = None,
                   slate_size: int | None = None, training_restart: str = TRAINING_RESTART,
                   weigh_episode_steps: bool = False, **train_options: Any) -> ExperimentResult:
    """Trains `agent` on `task_name` (if it learns) and evaluates it on `eval_users` fresh users.

    Training users come from `fold_in(seed, 0)`, learning-curve users (`curve_users`, evaluated
    `curve_points` times) from `fold_in(seed, 1)` and the final evaluation's from
    `fold_in(seed, 2)`; `num_candidates` and `slate_size` override the task's sizes;
    `training_restart` is how training users restart (`"together"` or `"per_user"`, see
    `TRAINING_RESTART`); `weigh_episode_steps` as in `make_agent`; `train_options` go to
    `train`. With an `output_dir`, a rerun resumes the run stored there,
    or continues it with more `environment_steps`; one that differs in a setting that defines
    the run (the task and its sizes, the agent and its config, `seed`, `train_users`,
    `training_restart`, `curve_users` and, unless it continues, the curve's spacing
    `environment_steps // curve_points`) is refused (see `train`); `overwrite=True` starts afresh.
    """
    trained = train_agent(task_name, agent, environment_steps, train_users, seed, output_dir,
                          curve_points, curve_users, num_candidates, slate_size,
                          training_restart, weigh_episode_steps, **train_options)
    result = evaluation_of(trained, eval_users, seed)
    return ExperimentResult(task_name, agent, trained.task.num_candidates,
                            trained.task.slate_size, trained.environment_steps,
                            trained.train_users, result, trained.train_seconds, trained.curve)


def evaluation_of(trained: TrainedAgent, eval_users: int, seed: int) -> EvaluationResult:
    """The final evaluation of a run of `seed`: one episode of `eval_users` fresh users."""
    return final_evaluator(trained.task, eval_users, seed)(trained.policy)


def final_evaluator(task: Task, eval_users: int, seed: int) -> Evaluator:
    """The final evaluation's `eval_users` fresh users of a run of `seed` (`fold_in(seed, 2)`),
    the same for every policy."""
    return Evaluator(task.environment, eval_users, seeds.fold_in(seeds.as_seed(seed), 2))
