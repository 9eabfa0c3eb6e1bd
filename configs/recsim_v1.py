"""The RecSim v1 tasks with each agent (recsim_ng/applications/recsim_v1/experiments.py).

Pick the task and agent as the config's argument, TASK,AGENT:

    python -m recsim_ng train    --config=configs/recsim_v1.py:interest_evolution,slate_q
    python -m recsim_ng evaluate --config=configs/recsim_v1.py:interest_evolution,slate_q
    python -m recsim_ng simulate --config=configs/recsim_v1.py:interest_exploration,myopic

Tasks: interest_evolution, interest_exploration, long_term_satisfaction. Agents: the fixed
policies random, myopic, cluster_ucb1, cluster_thompson (interest exploration) and the learners
slate_q, slate_q_sarsa, slate_q_greedy, slate_q_exact, full_slate_q, reinforce,
tf_agents_reinforce, tf_agents_ppo. `train` trains a learner (the same command resumes an
interrupted run; more environment_steps continue it) and evaluates it on eval_users fresh users;
`evaluate` compares the trained or fixed policy with random on the same users; `simulate` does so
on simulate_users users with the policy as it stands.

The defaults are RESULTS.md's rows: each learner 4,000 environment steps of 256 training users
(full-slate Q on interest evolution: 2,000 steps of 128), the final evaluation on 5,000 fresh
users of seed 0, so `train` (or `evaluate` for a fixed policy) prints the row's mean return and
95% interval, e.g. interest evolution: random 160.49, myopic 167.86, slate_q 173.97, reinforce
256.56. Tiny run: --config.environment_steps=4 --config.train_users=8 --config.eval_users=16
--config.curve_users=8 --config.curve_points=2 --config.simulate_users=16.
"""

import ml_collections

from recsim_ng.applications.recsim_v1.experiments import LEARNERS


def get_config(task_and_agent: str = "interest_evolution,slate_q") -> ml_collections.ConfigDict:
    task, _, agent = task_and_agent.partition(",")
    small_full_slate_q = agent == "full_slate_q" and task == "interest_evolution"
    config = ml_collections.ConfigDict()
    config.application = "recsim_v1"
    config.seed = 0  # training users fold_in(seed, 0), curve users (seed, 1), evaluation (seed, 2)
    config.run_dir = f"runs/recsim_v1/{task}/{agent}"  # the run's files; reruns resume
    config.overwrite = False  # delete a run stored in run_dir first
    config.task = task  # interest_evolution, interest_exploration, long_term_satisfaction
    config.agent = agent  # a fixed policy or a learner (see the module docstring)
    # Training steps, each one action for each training user (0 for fixed policies; more in a
    # rerun continue the run).
    config.environment_steps = (2000 if small_full_slate_q else 4000) if agent in LEARNERS else 0
    config.train_users = 128 if small_full_slate_q else 256  # users acting in parallel in training
    config.eval_users = 5000  # fresh users of the final evaluation (train, evaluate)
    config.simulate_users = 1000  # users of `simulate`
    config.curve_points = 10  # learning-curve evaluations during training
    config.curve_users = 1000  # users of each learning-curve evaluation
    config.num_candidates = 0  # candidate documents per step (0: the task's)
    config.slate_size = 0  # documents per slate (0: the task's)
    # How training users restart: "together" (once all finished; RESULTS.md's rows) or "per_user".
    config.training_restart = "together"
    config.weigh_episode_steps = False  # SlateQ/full-slate Q: weigh each episode step alike
    config.checkpoint_every = 1000  # environment steps between checkpoints
    return config
