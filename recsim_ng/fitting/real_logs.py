"""`python -m recsim_ng.fitting.real_logs --output=DIR`: fit the example real logs, write reports.

MovieLens 100K: the dynamic-interest model and its baselines (`sequential_recipe`), the validity
report and the fitted simulator in `DIR/movielens/`. Open Bandit: the click models fitted on the
uniform-random log and checked against the Bernoulli Thompson sampling log in
`DIR/open_bandit/`. Agents: random and fitted-myopic slates on the fitted MovieLens simulator,
through the TF-Agents adapter (`fitted_environment`). Prints every report; `--max_users` fits
the first MovieLens users only (a quick run), `--overwrite` replaces an earlier report.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Sequence

from absl import app, flags

from recsim_ng.data.event_log import EventLog, from_dataframe
from recsim_ng.data.movielens import movielens_100k_tables
from recsim_ng.data.open_bandit import load_open_bandit
from recsim_ng.fitting.click_report import fit_click_logs, format_click_report, write_click_report
from recsim_ng.fitting.fitted_environment import compare_policies
from recsim_ng.fitting.sequential_recipe import fit_sequential_models
from recsim_ng.fitting.sequential_report import format_sequential_report, write_sequential_report
from recsim_ng.fitting.simulator_files import load_simulator
from recsim_ng.lib.files import atomic_writer, check_writable
from recsim_ng.lib.machine import machine_info

_OUTPUT = flags.DEFINE_string("output", None, "Folder of the reports.", required=True)
_DATASETS = flags.DEFINE_list(
    "datasets", ["movielens", "open_bandit", "agents"],
    "What to run: fit MovieLens, fit Open Bandit, run agents on the fitted MovieLens simulator.")
_MAX_USERS = flags.DEFINE_integer("max_users", None, "MovieLens: fit only users 1..max_users.")
_MAX_ITERATIONS = flags.DEFINE_integer("max_iterations", 500, "L-BFGS iterations per model.")
_OVERWRITE = flags.DEFINE_bool("overwrite", False, "Replace existing report files.")
_SEED = flags.DEFINE_integer("seed", 0, "Seed of the simulations and the user split.")


def movielens_log(max_users: int | None = None) -> EventLog:
    """MovieLens 100K, or its users 1..max_users, as a log with item and user features."""
    ratings, items, users = movielens_100k_tables()
    if max_users is not None:
        if max_users < 1:
            raise ValueError(f"--max_users must be positive, got {max_users}")
        ratings = ratings[ratings["user"] <= max_users]
        users = users[users["user"] <= max_users]
    return from_dataframe(ratings, items=items, users=users)


def main(argv: Sequence[str]) -> None:
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {argv[1:]}")
    unknown = set(_DATASETS.value) - {"movielens", "open_bandit", "agents"}
    if unknown:
        raise app.UsageError(f"--datasets: unknown {sorted(unknown)}; use movielens,"
                             " open_bandit, agents")
    for dataset in set(_DATASETS.value) - {"agents"}:  # check every output before any work
        os.makedirs(os.path.join(_OUTPUT.value, dataset), exist_ok=True)
        check_writable(os.path.join(_OUTPUT.value, dataset, "report.json"), _OVERWRITE.value)
    if "movielens" in _DATASETS.value:
        start = time.perf_counter()
        log = movielens_log(_MAX_USERS.value)
        result = fit_sequential_models(log, max_iterations=_MAX_ITERATIONS.value,
                                       seed=_SEED.value)
        summary = write_sequential_report(result, log, os.path.join(_OUTPUT.value, "movielens"),
                                          _OVERWRITE.value)
        seconds = time.perf_counter() - start
        _write_run(os.path.join(_OUTPUT.value, "movielens"), seconds)
        print(f"== MovieLens 100K: {log.num_users} users, {log.num_events} events,"
              f" {seconds:.0f} s ==")
        print(format_sequential_report(summary), "\n")
    if "open_bandit" in _DATASETS.value:
        start = time.perf_counter()
        logged, target = load_open_bandit("random"), load_open_bandit("bts")
        result = fit_click_logs(logged, target, seed=_SEED.value)
        summary = write_click_report(result, logged, os.path.join(_OUTPUT.value, "open_bandit"),
                                     _OVERWRITE.value)
        seconds = time.perf_counter() - start
        _write_run(os.path.join(_OUTPUT.value, "open_bandit"), seconds)
        print(f"== Open Bandit (random -> bts, all campaigns): {seconds:.0f} s ==")
        print(format_click_report(summary), "\n")
    if "agents" in _DATASETS.value:
        simulator = load_simulator(os.path.join(_OUTPUT.value, "movielens", "simulator"))
        print("== Agents on the fitted MovieLens simulator (500 new users from the fitted"
              " population, slates of 10, 50 steps, exposure effect 1): slate items consumed"
              " per user, 95% ==")
        results = compare_policies(simulator)
        for name, result in results.items():
            print(f"  {name}: {result.mean_return:.2f} +- {result.ci95_half_width:.2f}")
        with atomic_writer(os.path.join(_OUTPUT.value, "movielens", "agents.json"),
                           overwrite=True) as file:
            json.dump({name: result._asdict() for name, result in results.items()}, file)


def _write_run(folder: str, seconds: float) -> None:
    """`run.json`: the command line, its wall time and the machine, for RESULTS.md."""
    command = "python -m recsim_ng.fitting.real_logs " + " ".join(sys.argv[1:])
    with atomic_writer(os.path.join(folder, "run.json"), overwrite=True) as file:
        json.dump({"command": command, "seconds": seconds, "machine": machine_info()}, file)


if __name__ == "__main__":
    app.run(main)
