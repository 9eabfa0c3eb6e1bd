"""The recommender ecosystem (`recsim_ng.applications.ecosystem_simulation`): users' welfare and
content providers' viability under a myopic recommender, with and without its
popularity-balancing boost."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from ml_collections import ConfigDict

from recsim_ng.applications.ecosystem_simulation.simulation import (
    RunOutcomes, create_viable_provider_simulation_network, simulate_runs)
from recsim_ng.applications.ecosystem_simulation.user import init_random_provider_clusters
from recsim_ng.cli import config_checks as checks
from recsim_ng.cli.jobs import ModeOutcome, check_trajectory_fits
from recsim_ng.cli.plots import over_time
from recsim_ng.cli.progress import Progress
from recsim_ng.cli.run_folder import RunFolder
from recsim_ng.core import Network
from recsim_ng.lib import memory, seeds
from recsim_ng.lib.runtime import TFRuntime

KEYS: dict[str, checks.Check] = {
    "num_runs": checks.size(2),
    "num_users": checks.size(),
    "num_provider_clusters": checks.size(),
    "provider_fan_out": checks.size(),
    "num_topics": checks.size(),
    "provider_disp": checks.number(0.0),
    "docs_per_provider": checks.size(),
    "slate_size": checks.size(),
    "horizon": checks.size(2, memory.MAX_STEPS),  # clicks come after step 0
    "provider_boost_cap": checks.number(0.0),
    "compare_without_boost": checks.boolean,
    "trajectory_runs": checks.size(),
    "jit_compile": checks.boolean,
}
MAY_DIFFER = ("jit_compile",)
# What the over-time plots need of a trajectory.
FIELDS = {"user_state": ["utilities"], "available_docs": ["provider_id"]}


def check(config: ConfigDict) -> None:
    """Slates fit the documents; plotted runs are among the runs; trajectories fit the memory."""
    num_docs = config.docs_per_provider * config.num_provider_clusters * config.provider_fan_out
    if config.slate_size > num_docs:
        raise checks.ConfigError(f"config.slate_size must be <= the documents per step"
                                 f" ({num_docs}), got {config.slate_size}")
    if config.compare_without_boost and config.provider_boost_cap == 0.0:
        raise checks.ConfigError("config.compare_without_boost=True needs a boost to compare:"
                                 " config.provider_boost_cap must be > 0")
    if config.trajectory_runs > config.num_runs:
        raise checks.ConfigError(f"config.trajectory_runs must be <= config.num_runs="
                                 f"{config.num_runs}, got {config.trajectory_runs}")
    check_trajectory_fits(config, _network(config, config.provider_boost_cap), FIELDS)


def _network(config: ConfigDict, provider_boost_cap: float) -> Network:
    provider_means = init_random_provider_clusters(
        config.provider_disp, config.provider_fan_out, config.num_provider_clusters,
        config.num_topics, config.seed)
    return create_viable_provider_simulation_network(
        provider_means, config.num_users, provider_boost_cap, config.slate_size,
        config.docs_per_provider)


def simulate(config: ConfigDict, folder: RunFolder, progress: Progress) -> ModeOutcome:
    """`num_runs` runs (one compiled program) with the boost, and without it if
    `compare_without_boost` (run k has the same seed under both): the users' mean cumulative
    utility with its standard error and the Gini coefficient of provider clicks; the first
    `trajectory_runs` runs' utility and publishing providers per step (and at the end)."""
    del folder
    caps = {f"boost cap {config.provider_boost_cap:g}": config.provider_boost_cap}
    if config.compare_without_boost:
        caps["no boost"] = 0.0
    summary: dict[str, Any] = {"runs": config.num_runs, "users": config.num_users,
                               "providers": config.num_provider_clusters
                               * config.provider_fan_out, "horizon": config.horizon}
    records: list[dict[str, Any]] = []
    outcomes: dict[float, RunOutcomes] = {}
    start = time.perf_counter()
    with progress.bar(len(caps) * (1 + config.trajectory_runs), "simulating runs",
                      unit="batch") as bar:
        for name, cap in caps.items():
            network = _network(config, cap)
            bar.set_postfix(doing=f"{config.num_runs} runs, {name}")
            outcomes[cap] = simulate_runs(network, config.num_runs, config.horizon, config.seed,
                                          config.jit_compile)
            bar.update()
            prefix = "" if cap == config.provider_boost_cap else "no_boost_"
            mean, standard_error = outcomes[cap].utility_mean_and_standard_error()
            bar.set_postfix(utility=f"{mean:.1f}")
            summary.update({f"{prefix}average_user_utility": mean,
                            f"{prefix}standard_error": standard_error,
                            f"{prefix}gini_provider_clicks":
                            float(outcomes[cap].provider_click_gini().mean())})
            trajectory_records = _trajectory_records(config, network, name, bar)
            summary[f"{prefix}providers_publishing_at_end"] = trajectory_records[-1]["y"]
            records += trajectory_records
    if config.compare_without_boost:
        reduction = (outcomes[0.0].provider_click_gini()
                     - outcomes[config.provider_boost_cap].provider_click_gini())
        summary.update({"gini_reduction_by_boost": float(reduction.mean()),
                        "gini_reduction_standard_error":
                        float(reduction.std(ddof=1) / np.sqrt(reduction.size))})
    summary["seconds"] = round(time.perf_counter() - start, 1)
    return ModeOutcome(summary, records)


def _trajectory_records(config: ConfigDict, network: Network, name: str,
                        bar: Any) -> list[dict[str, Any]]:
    """Per step, over the first `trajectory_runs` runs (run k from the seed `simulate_runs`
    gives it): the users' mean utility and the providers publishing at least one document, each
    with a 95% band over the runs when there are several; the last record is the providers
    publishing at the last step."""
    runtime = TFRuntime(network, jit_compile=config.jit_compile)
    utility, publishing = [], []
    for run in range(config.trajectory_runs):
        trajectory = runtime.trajectory(
            config.horizon, seeds.fold_in(seeds.as_seed(config.seed), run), fields=FIELDS)
        utility.append(trajectory["user_state"].get("utilities").numpy().mean(axis=1))
        provider_ids = trajectory["available_docs"].get("provider_id").numpy()  # [T, docs]
        publishing.append([np.unique(ids).size for ids in provider_ids])
        bar.update()
    # over_time takes `[steps, samples]`: here the samples are the runs.
    return (over_time("reward_over_time", name, np.array(utility).T[1:], first_step=1)
            + over_time("provider_trajectories", f"providers publishing ({name})",
                        np.array(publishing, float).T, first_step=0))


MODES = {"simulate": simulate}
