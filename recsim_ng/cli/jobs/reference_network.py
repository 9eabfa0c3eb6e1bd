"""The reference recommender network (`recsim_ng.examples.reference_network`): simulate it, or
time it (`benchmark`)."""

from __future__ import annotations

import time

import numpy as np
from ml_collections import ConfigDict

from recsim_ng.cli import config_checks as checks
from recsim_ng.cli.jobs import ModeOutcome, check_trajectory_fits
from recsim_ng.cli.plots import choice_shares, over_time, point
from recsim_ng.cli.progress import Progress
from recsim_ng.cli.run_folder import RunFolder
from recsim_ng.core import Network
from recsim_ng.examples.reference_network import reference_network
from recsim_ng.lib import memory, seeds
from recsim_ng.lib.runtime import TFRuntime
from recsim_ng.lib.trajectory_io import save_trajectory

TRAJECTORY_FILE = "trajectory.npz"
KEYS: dict[str, checks.Check] = {
    "num_users": checks.size(),
    "horizon": checks.size(2, memory.MAX_STEPS),  # clicks come after step 0
    "jit_compile": checks.boolean,
    "num_topics": checks.size(),
    "num_docs": checks.size(),
    "slate_size": checks.size(),
    "save_trajectory": checks.boolean,
    "benchmark_repeats": checks.size(),
}
MAY_DIFFER = ("jit_compile", "benchmark_repeats")
KEPT = {"user": ["clicks", "interest"], "response": ["choice"]}  # what the plots need


def check(config: ConfigDict) -> None:
    """Slates fit the corpus."""
    if config.slate_size > config.num_docs:
        raise checks.ConfigError(f"config.slate_size must be <= config.num_docs="
                                 f"{config.num_docs}, got {config.slate_size}")


def check_mode(mode: str, config: ConfigDict) -> None:
    """`simulate` keeps a trajectory: it must fit the memory."""
    if mode == "simulate":
        network = _network(config)
        check_trajectory_fits(config, network, _kept(config, network))


def _network(config: ConfigDict) -> Network:
    return reference_network(config.num_users, num_topics=config.num_topics,
                             num_docs=config.num_docs, slate_size=config.slate_size)


def _kept(config: ConfigDict, network: Network) -> dict[str, list[str]]:
    if config.save_trajectory:
        return {variable.name: list(variable.spec.as_dict) for variable in network.variables}
    return KEPT


def simulate(config: ConfigDict, folder: RunFolder, progress: Progress) -> ModeOutcome:
    """One trajectory of every user: click rate with its standard error, click rate over time,
    mean interest per topic over time, choices by slot; `save_trajectory` keeps it as .npz."""
    network = _network(config)
    runtime = TFRuntime(network, jit_compile=config.jit_compile)
    with progress.bar(1, "simulating (one compiled run)", unit="run") as bar:
        start = time.perf_counter()
        trajectory = runtime.trajectory(config.horizon, config.seed,
                                        fields=_kept(config, network))
        clicks = trajectory["user"].get("clicks").numpy()
        elapsed = time.perf_counter() - start
        bar.update()
    if config.save_trajectory:
        save_trajectory(folder.file(TRAJECTORY_FILE), trajectory, overwrite=True)
    per_step = np.diff(clicks, axis=0).astype(np.float64)  # [horizon - 1, users]
    rate = clicks[-1] / (config.horizon - 1)
    records = over_time("reward_over_time", "clicks per user", per_step)
    interest = trajectory["user"].get("interest").numpy().mean(axis=1)  # [horizon, topics]
    records += [point("interest_trajectories", f"topic {topic}", step, interest[step, topic])
                for step in range(config.horizon) for topic in range(config.num_topics)]
    records += choice_shares("share", trajectory["response"].get("choice").numpy()[1:],
                             config.slate_size)
    summary = {"users": config.num_users, "horizon": config.horizon,
               "click_rate_mean": float(rate.mean()),
               "click_rate_stderr": float(rate.std(ddof=1) / np.sqrt(rate.size))
               if rate.size > 1 else float("nan"),
               "seconds_including_compile": round(elapsed, 3),
               "trajectory_file": folder.file(TRAJECTORY_FILE) if config.save_trajectory else ""}
    return ModeOutcome(summary, records)


def benchmark(config: ConfigDict, folder: RunFolder, progress: Progress) -> ModeOutcome:
    """Throughput of `benchmark_repeats` runs after a compiling one: user-steps per second
    (median and spread over the repeats)."""
    del folder
    runtime = TFRuntime(_network(config), jit_compile=config.jit_compile)
    with progress.bar(config.benchmark_repeats + 1, "benchmark runs", unit="run") as bar:
        steps = config.horizon - 1  # after the initial one, as in simulate
        runtime.execute(steps, config.seed)  # traces and compiles
        bar.update()
        seconds = []
        for repeat in range(config.benchmark_repeats):
            start = time.perf_counter()
            final = runtime.execute(steps, seeds.fold_in(seeds.as_seed(config.seed), repeat))
            final["user"].get("clicks").numpy()  # waits for the run
            seconds.append(time.perf_counter() - start)
            bar.update()
    rates = config.num_users * config.horizon / np.array(seconds)
    return ModeOutcome({"users": config.num_users, "horizon": config.horizon,
                        "jit_compile": config.jit_compile, "repeats": config.benchmark_repeats,
                        "user_steps_per_second_median": float(np.median(rates)),
                        "user_steps_per_second_min": float(rates.min()),
                        "user_steps_per_second_max": float(rates.max())}, [])


MODES = {"simulate": simulate, "benchmark": benchmark}
