"""A complete TF-Agents training job on a recsim_ng story, written in TF-Agents' own idiom.

    python -m recsim_ng.examples.tf_agents_training_job --root_dir=/tmp/slate_q \\
        --story=recsim_v1_interest_evolution --agent=slate_q_greedy --iterations=4000

Every piece is TF-Agents' own: the environment is a batched `TFEnvironment` (one user per batch
row) serving the slate observation contract; each iteration a `DynamicStepDriver` collects
`collect_steps` batched steps with the agent's collect policy into a `TFUniformReplayBuffer`,
and the agent learns with `agent.train(experience)` (off-policy agents: a sample of two-step
sequences from the buffer's dataset; on-policy ones: everything collected, then the buffer is
cleared). `tf_metrics` measure the training episodes; `metric_utils.eager_compute` evaluates
the greedy policy every `eval_interval` iterations on the same held-out users. Scalars go to
TensorBoard under `root_dir/train` and `root_dir/eval`; `common.Checkpointer` saves the agent,
replay buffer, metrics, step and the environment's state to `root_dir/checkpoints`, so a rerun
resumes where the last checkpoint left off; and `PolicySaver` exports the greedy policy to
`root_dir/policy/policy_<train step>`, which `tf.saved_model.load` serves without recsim_ng or
TF-Agents (import TensorFlow Probability first: the saved action distribution is its type).

The flags that define a run (`RunSettings`) are stored in `root_dir/run_settings.json` before
its first checkpoint, and a rerun with other values is refused, naming each differing flag
(`recsim_ng.rl.training`'s check); more `--iterations` continue the run, and `--overwrite`
deletes a stored run to start afresh.

Stories: `recsim_v1_interest_evolution` (RecSim v1's interest evolution, 10 candidates, slates
of 3; episodes end with the user's time budget), `interest_evolution` (RecSim NG's interest
evolution with its collaborative-filtering world: the agent sees the users' consumption
histories) and `ecosystem` (RecSim NG's content-provider ecosystem); the NG stories never end,
so their episodes are cut after `--episode_steps` steps, and since their users share one world
(a corpus), all users' episodes restart together with it. Agents: `slate_q_greedy` (SlateQ with
greedy slates; it needs the v1 story's choice model), `reinforce` (our slate REINFORCE,
`SlateReinforceAgent`) and `tf_agents_reinforce` (TF-Agents' stock `ReinforceAgent` over
`SlateActorNetwork`, with `SlateValueNetwork` as its baseline).
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from typing import NamedTuple, Sequence

from absl import app, flags, logging
import tensorflow as tf
from tf_agents.agents import tf_agent
from tf_agents.drivers import dynamic_step_driver
from tf_agents.eval import metric_utils
from tf_agents.metrics import tf_metrics
from tf_agents.policies import greedy_policy, policy_saver
from tf_agents.replay_buffers import tf_uniform_replay_buffer
from tf_agents.utils import common

from recsim_ng.applications import ecosystem_simulation, interest_evolution
from recsim_ng.applications.recsim_v1.experiments import SLATE_Q_AGENTS, TASKS
from recsim_ng.lib import seeds
from recsim_ng.lib.files import atomic_writer
from recsim_ng.rl.agents.reinforce import ReinforceConfig, SlateReinforceAgent
from recsim_ng.rl.agents.slate_q import SlateQAgent
from recsim_ng.rl.agents.stock_agents import tf_agents_reinforce
from recsim_ng.rl.tf_agents_env import TFAgentsEnvironment
# The run-folder checks of `recsim_ng.rl.training.train`: reused, not copied.
from recsim_ng.rl.training import SETTINGS_FILE, checked_stored_settings, delete_run_outputs

V1_STORY = "recsim_v1_interest_evolution"
STORIES = (V1_STORY, "interest_evolution", "ecosystem")
AGENTS = ("slate_q_greedy", "reinforce", "tf_agents_reinforce")
OFF_POLICY = ("slate_q_greedy",)
# On-policy batches of the v1 story, whose episodes last about 50-100 steps under random
# slates: about two whole episodes per user.
V1_ON_POLICY_COLLECT_STEPS = 200
REPLAY_CAPACITY = 1000  # batched steps per user kept for off-policy agents
OUTPUTS = ("checkpoints", "train", "eval", "policy", SETTINGS_FILE)  # what --overwrite deletes


@dataclasses.dataclass(frozen=True)
class RunSettings:
    """The flags that define a run; a run's root_dir keeps them and refuses others.

    `collect_steps` 0 picks the agent's default: 1 batched step per iteration for off-policy
    agents; for on-policy ones, which train on whole episodes, `episode_steps` + 1 steps (an
    episode and the step that starts the next; a multiple of it otherwise) or, for the v1
    story, `V1_ON_POLICY_COLLECT_STEPS`. `episode_steps` cuts the NG stories' episodes (v1's
    end on their own).
    """

    story: str = V1_STORY
    agent: str = "reinforce"
    # Whole-episode batches of interest_evolution take about 0.1 GB per user: each of its 100
    # candidates is scored with the user's 1515 one-hot history features.
    users: int = 64
    episode_steps: int = interest_evolution.DEFAULT_EPISODE_STEPS
    collect_steps: int = 0
    eval_users: int = 1000
    seed: int = 0

    def __post_init__(self):
        if self.story not in STORIES:
            raise ValueError(f"story must be one of {STORIES}, got {self.story!r}")
        if self.agent not in AGENTS:
            raise ValueError(f"agent must be one of {AGENTS}, got {self.agent!r}")
        if self.agent == "slate_q_greedy" and self.story != V1_STORY:
            raise ValueError(f"agent 'slate_q_greedy' needs the story's choice model, which this"
                             f" job has for story {V1_STORY!r} only, not {self.story!r}")
        for name in ("users", "episode_steps", "eval_users"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        if self.collect_steps < 0:
            raise ValueError(f"collect_steps must be 0 (the agent's default) or positive, got"
                             f" {self.collect_steps}")
        if (self.collect_steps and not self.off_policy and self.story != V1_STORY
                and self.collect_steps % (self.episode_steps + 1)):
            raise ValueError(f"collect_steps ({self.collect_steps}) must be a multiple of"
                             f" episode_steps + 1 ({self.episode_steps + 1}): agent"
                             f" {self.agent!r} trains on whole episodes")

    @property
    def off_policy(self) -> bool:
        return self.agent in OFF_POLICY

    @property
    def steps_per_iteration(self) -> int:
        """Batched environment steps collected per iteration."""
        if self.collect_steps:
            return self.collect_steps
        if self.off_policy:
            return 1
        return V1_ON_POLICY_COLLECT_STEPS if self.story == V1_STORY else self.episode_steps + 1


class JobResult(NamedTuple):
    """How a `train` call ended."""

    resumed_from: int  # the train step of the checkpoint restored; 0 for a fresh run
    train_step: int
    evaluation: dict[str, float]  # the last evaluation's metrics; empty if none ran


def environment(story: str, num_users: int, seed: seeds.Seed,
                episode_steps: int) -> TFAgentsEnvironment:
    """The story's batched environment of `num_users` users: v1's users each restart when their
    episode ends; the NG stories' users share one world, which restarts with their episodes
    after `episode_steps` steps."""
    if story == V1_STORY:
        return TASKS["interest_evolution"].environment(num_users, seed)
    story_module = {"interest_evolution": interest_evolution,
                    "ecosystem": ecosystem_simulation}.get(story)
    if story_module is None:
        raise ValueError(f"story must be one of {STORIES}, got {story!r}")
    return story_module.agent_environment(num_users, seed, episode_steps, restart="together")


def make_agent(settings: RunSettings, env: TFAgentsEnvironment,
               train_step: tf.Variable) -> tf_agent.TFAgent:
    """The agent `settings.agent` for `env`'s specs, counting its train steps in `train_step`;
    its seed is the run seed's third stream (the first two are the environments')."""
    specs = (env.time_step_spec(), env.action_spec())
    agent_seed = seeds.fold_in(seeds.as_seed(settings.seed), 2)
    if settings.agent == "slate_q_greedy":
        return SlateQAgent(*specs, TASKS["interest_evolution"].click_probability(),
                           SLATE_Q_AGENTS["slate_q_greedy"], agent_seed,
                           train_step_counter=train_step)
    if settings.agent == "reinforce":
        return SlateReinforceAgent(*specs, ReinforceConfig(), agent_seed,
                                   train_step_counter=train_step)
    if settings.agent == "tf_agents_reinforce":
        return tf_agents_reinforce(*specs, agent_seed, train_step_counter=train_step)
    raise ValueError(f"agent must be one of {AGENTS}, got {settings.agent!r}")


def check_run_settings(root_dir: str, settings: RunSettings, iterations: int,
                       overwrite: bool) -> None:
    """Stores the run's settings in `root_dir` (with `environment_steps`, the batched steps its
    `iterations` collect), or refuses (`ValueError`) a rerun whose settings differ from the
    stored ones or that asks for fewer steps; `overwrite` deletes the stored run first."""
    if overwrite:
        delete_run_outputs([os.path.join(root_dir, name) for name in OUTPUTS])
    os.makedirs(root_dir, exist_ok=True)
    asked = {**dataclasses.asdict(settings),
             "environment_steps": iterations * settings.steps_per_iteration}
    path = os.path.join(root_dir, SETTINGS_FILE)
    holds_work = tf.train.latest_checkpoint(os.path.join(root_dir, "checkpoints")) is not None
    # A stored settings file is checked even before the first checkpoint.
    stored = checked_stored_settings(path, asked, holds_work or os.path.exists(path))
    if stored != asked:
        with atomic_writer(path, overwrite=True) as file:
            json.dump(asked, file, indent=1, sort_keys=True)


def train(root_dir: str, settings: RunSettings, iterations: int, eval_interval: int = 500,
          checkpoint_interval: int = 500, summary_interval: int = 100,
          overwrite: bool = False) -> JobResult:
    """Runs (or resumes) the job until the agent has trained `iterations` times."""
    for name, interval in (("iterations", iterations), ("eval_interval", eval_interval),
                           ("checkpoint_interval", checkpoint_interval),
                           ("summary_interval", summary_interval)):
        if interval < 1:
            raise ValueError(f"{name} must be positive, got {interval}")
    check_run_settings(root_dir, settings, iterations, overwrite)
    run_seed = seeds.as_seed(settings.seed)
    train_env = environment(settings.story, settings.users, seeds.fold_in(run_seed, 0),
                            settings.episode_steps)
    eval_seed = seeds.fold_in(run_seed, 1)
    eval_env = environment(settings.story, settings.eval_users, eval_seed,
                           settings.episode_steps)
    train_step = tf.Variable(0, dtype=tf.int64, trainable=False, name="train_step")
    agent = make_agent(settings, train_env, train_step)
    agent.initialize()
    collect_steps = settings.steps_per_iteration
    replay_buffer = tf_uniform_replay_buffer.TFUniformReplayBuffer(
        agent.collect_data_spec, train_env.batch_size,
        max_length=REPLAY_CAPACITY if settings.off_policy else collect_steps)
    users = settings.users
    train_metrics = [tf_metrics.NumberOfEpisodes(), tf_metrics.EnvironmentSteps(),
                     tf_metrics.AverageReturnMetric(batch_size=users, buffer_size=users),
                     tf_metrics.AverageEpisodeLengthMetric(batch_size=users, buffer_size=users)]
    # `num_steps` counts no boundary step: `collect` caps the batched steps of a run instead.
    driver = dynamic_step_driver.DynamicStepDriver(
        train_env, agent.collect_policy, [replay_buffer.add_batch, *train_metrics],
        num_steps=users * collect_steps)
    eval_policy = greedy_policy.GreedyPolicy(agent.policy)
    eval_metrics = [
        tf_metrics.AverageReturnMetric(batch_size=settings.eval_users,
                                       buffer_size=settings.eval_users),
        tf_metrics.AverageEpisodeLengthMetric(batch_size=settings.eval_users,
                                              buffer_size=settings.eval_users)]

    checkpointer = common.Checkpointer(
        os.path.join(root_dir, "checkpoints"), max_to_keep=3, agent=agent,
        replay_buffer=replay_buffer, train_step=train_step,
        metrics=metric_utils.MetricsGroup(train_metrics, "train_metrics"),
        environment=train_env.checkpoint_state)
    checkpointer.initialize_or_restore()
    resumed_from = int(train_step.numpy())
    saver = policy_saver.PolicySaver(eval_policy, train_step=train_step)
    train_writer = tf.summary.create_file_writer(os.path.join(root_dir, "train"))
    eval_writer = tf.summary.create_file_writer(os.path.join(root_dir, "eval"))

    def collect(steps: int) -> list[tf.Tensor]:
        """`steps` batched steps into the buffer; the final time step's tensors, to order
        what reads the buffer after the writes."""
        return tf.nest.flatten(driver.run(train_env.current_time_step(),
                                          maximum_iterations=steps))

    if settings.off_policy:
        if replay_buffer.num_frames() == 0:
            collect(1)  # A two-step sequence needs a step before the first iteration's.
        dataset = replay_buffer.as_dataset(sample_batch_size=users, num_steps=2)
        iterator = iter(dataset)

        def experience():
            return next(iterator)[0]
    else:
        experience = replay_buffer.gather_all

    @common.function
    def iteration() -> tf.Tensor:
        # The dataset reads the buffer inside its own function, which automatic control
        # dependencies do not order after the driver's writes: without this, the first
        # sample could run before the buffer holds a two-step sequence.
        with tf.control_dependencies(collect(collect_steps)):
            loss = agent.train(experience()).loss
        if not settings.off_policy:
            replay_buffer.clear()
        return loss

    evaluation: dict[str, float] = {}
    while int(train_step.numpy()) < iterations:
        loss = iteration()
        step = int(train_step.numpy())
        if step % summary_interval == 0:
            with train_writer.as_default():
                tf.summary.scalar("loss", loss, step=step)
                for metric in train_metrics:
                    metric.tf_summaries(train_step=train_step, step_metrics=train_metrics[:2])
        if step % eval_interval == 0 or step == iterations:
            eval_env.seed(eval_seed)  # The same users at every evaluation.
            evaluation = {name: float(result) for name, result in metric_utils.eager_compute(
                eval_metrics, eval_env, eval_policy, num_episodes=settings.eval_users,
                train_step=train_step, summary_writer=eval_writer,
                summary_prefix="Metrics").items()}
            logging.info("train step %d: %s", step, evaluation)
        if step % checkpoint_interval == 0 or step == iterations:
            checkpointer.save(train_step)
            export_policy(saver, os.path.join(root_dir, "policy", f"policy_{step:09d}"))
    return JobResult(resumed_from, int(train_step.numpy()), evaluation)


def export_policy(saver: policy_saver.PolicySaver, path: str) -> None:
    """Saves the policy to a temporary folder, then renames it to `path` (which must not exist),
    so `path` is either absent or complete."""
    partial = f"{path}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    saver.save(partial)
    os.replace(partial, path)


def latest_policy(root_dir: str) -> str:
    """The newest exported policy of the job in `root_dir`."""
    folder = os.path.join(root_dir, "policy")
    exported = sorted(name for name in os.listdir(folder)
                      if name.startswith("policy_") and not name.endswith(".partial"))
    if not exported:
        raise FileNotFoundError(f"no exported policy in {folder}")
    return os.path.join(folder, exported[-1])


def define_flags() -> None:
    """The command line's flags, defined only when the job runs as a program, so that
    importing the module (e.g. next to other programs' flags in one test process) defines
    none."""
    flags.DEFINE_string("root_dir", None, "Settings, checkpoints, summaries, policies.")
    flags.DEFINE_enum("story", RunSettings.story, STORIES, "The simulated world.")
    flags.DEFINE_enum("agent", RunSettings.agent, AGENTS, "The agent.")
    flags.DEFINE_integer("users", RunSettings.users,
                         "Training users acting in parallel (batch rows).")
    flags.DEFINE_integer("episode_steps", RunSettings.episode_steps,
                         "Steps of an NG story's episode.")
    flags.DEFINE_integer(
        "collect_steps", RunSettings.collect_steps, "Batched environment steps collected per"
        " iteration; 0: the agent's default (1 off-policy, whole episodes on-policy).")
    flags.DEFINE_integer("eval_users", RunSettings.eval_users,
                         "Held-out users of each evaluation.")
    flags.DEFINE_integer("seed", RunSettings.seed, "Seed of the environments and agent.")
    flags.DEFINE_integer("iterations", 4000, "Training iterations (agent.train calls).")
    flags.DEFINE_integer("eval_interval", 500, "Iterations between evaluations.")
    flags.DEFINE_integer("checkpoint_interval", 500,
                         "Iterations between checkpoints and exports.")
    flags.DEFINE_integer("summary_interval", 100, "Iterations between training summaries.")
    flags.DEFINE_bool("overwrite", False, "Delete a run stored in root_dir first.")


def main(argv: Sequence[str]) -> None:
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {argv[1:]}")
    given = flags.FLAGS
    if not given.root_dir:
        raise app.UsageError("--root_dir is required")
    try:
        settings = RunSettings(given.story, given.agent, given.users, given.episode_steps,
                               given.collect_steps, given.eval_users, given.seed)
    except ValueError as error:
        raise app.UsageError(str(error)) from error
    print(train(given.root_dir, settings, given.iterations, given.eval_interval,
                given.checkpoint_interval, given.summary_interval, given.overwrite))


if __name__ == "__main__":
    define_flags()
    app.run(main)
