"""Every config in configs/ loads, passes its checks and runs each of its modes for a few steps
(tiny overrides), in process."""

from __future__ import annotations

import glob
import importlib.util
import itertools
import os

import ml_collections
import pytest

from recsim_ng.applications.recsim_v1 import experiments
from recsim_ng.cli import runner
from recsim_ng.cli.config_checks import ConfigError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
V1_TINY = {"train_users": 4, "eval_users": 8, "simulate_users": 8, "curve_users": 4,
           "curve_points": 1, "num_candidates": 5, "slate_size": 2}
# config (FILE or FILE:ARGUMENT) -> the modes it runs, in order, with tiny overrides
RUNS: dict[str, tuple[tuple[str, ...], dict]] = {
    "default.py": (("simulate", "train", "evaluate"), {**V1_TINY, "environment_steps": 2}),
    "reference_network.py": (("simulate", "benchmark"),
                             {"num_users": 10, "horizon": 4, "benchmark_repeats": 1}),
    "recsim_v1.py:interest_evolution,slate_q_greedy": (("train", "evaluate"),
                                                       {**V1_TINY, "environment_steps": 2}),
    "recsim_v1.py:interest_exploration,full_slate_q": (("train",),
                                                       {**V1_TINY, "environment_steps": 2}),
    "recsim_v1.py:interest_exploration,cluster_thompson": (("evaluate",), V1_TINY),
    "recsim_v1.py:long_term_satisfaction,tf_agents_ppo": (("train",),
                                                          {**V1_TINY, "environment_steps": 2}),
    "interest_evolution.py": (("simulate", "train", "evaluate"), {
        "num_users": 8, "num_docs": 10, "history_length": 3, "horizon": 4,
        "num_training_steps": 2, "num_eval_batches": 2, "checkpoint_every": 2,
        "jit_compile": False}),
    "ecosystem.py": (("simulate",), {
        "num_runs": 3, "num_users": 10, "num_provider_clusters": 3, "horizon": 5,
        "trajectory_runs": 2, "jit_compile": False}),
    "bandits.py": (("simulate",), {"num_bandits": 5, "horizon": 20,
                                   "algorithms": "UCB1,Thompson sampling"}),
    "soft_attributes.py": (("simulate",), {"num_users": 20, "num_docs": 10}),
    "latent_variable.py": (("simulate", "fit"), {
        "num_users": 3, "horizon": 3, "newton_steps": 2, "em_iterations": 1, "num_samples": 2,
        "burnin": 2, "thinning": 1, "num_candidates": 2}),
    "movielens.py": (("fit", "simulate"), {
        "max_users": 5, "max_iterations": 3, "latent_steps": 3, "num_users": 20, "horizon": 5,
        "slate_size": 3}),
    "open_bandit.py": (("fit",), {}),
    "benchmarks.py:reinforce_step": (("benchmark",), {"users": 10, "repeats": 1, "rounds": 1,
                                                      "mode": "graph"}),
}


def load(config: str) -> ml_collections.ConfigDict:
    """configs/FILE's get_config(), with ARGUMENT if given, as the runner loads it."""
    file, _, argument = config.partition(":")
    spec = importlib.util.spec_from_file_location(f"config_{file[:-3]}",
                                                  os.path.join(ROOT, "configs", file))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.get_config(argument) if argument else module.get_config()


def test_every_config_file_is_run_here():
    files = {os.path.basename(path) for path in glob.glob(os.path.join(ROOT, "configs", "*.py"))}
    assert files == {config.partition(":")[0] for config in RUNS}


@pytest.mark.parametrize("task, agent", itertools.product(experiments.TASKS, experiments.AGENTS))
def test_every_v1_task_and_agent_config_is_checked(task, agent):
    config = load(f"recsim_v1.py:{task},{agent}")
    try:
        experiments.check_agent(experiments.TASKS[task], agent)
    except ValueError:
        with pytest.raises(ConfigError, match=f"config.agent='{agent}'"):
            runner.check("simulate", config)
    else:
        runner.check("simulate", config)
        assert (config.environment_steps > 0) == (agent in experiments.LEARNERS)


@pytest.mark.parametrize("config_name", list(RUNS))
def test_each_config_runs_its_modes(config_name, tmp_path):
    modes, overrides = RUNS[config_name]
    config = load(config_name)
    with config.unlocked():
        config.update({**overrides, "run_dir": str(tmp_path / "run")})
    for mode in modes:
        summary = runner.run(mode, config, quiet=True)
        assert (summary["mode"] == mode).any(), summary
    if modes != ("benchmark",):  # the benchmarks time, and plot nothing
        assert os.listdir(tmp_path / "run" / "plots")
