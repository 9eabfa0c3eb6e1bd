"""Fitting real logs (`recsim_ng.fitting`): fit a recipe to a log and write its validity report
(`fit`), then run agents on the fitted simulator (`simulate`).

Recipes: `sequential_choice` (`sequential_recipe.fit_sequential_models`: the dynamic-interest
model, latent users and three baselines; MovieLens 100K by default) and `click_models`
(`click_report.fit_click_logs`: position-based and cascade models and a sim-to-real check of a
target policy's click-through rate; the Open Bandit sample by default). `fit` writes the report
(report.json, its PNGs, the saved simulator or click models) under `run_dir/report/`.
"""

from __future__ import annotations

import os
import time
from typing import Any, Callable

from ml_collections import ConfigDict

from recsim_ng.cli import config_checks as checks
from recsim_ng.cli.jobs import ModeOutcome
from recsim_ng.cli.plots import over_time, point
from recsim_ng.cli.progress import Progress
from recsim_ng.cli.run_folder import RunFolder
from recsim_ng.data.event_log import TABLE_SUFFIXES, EventLog, read_log, read_table
from recsim_ng.data.open_bandit import load_open_bandit
from recsim_ng.fitting import validity
from recsim_ng.fitting.click_report import fit_click_logs, write_click_report
from recsim_ng.fitting.fitted_environment import policy_evaluator
from recsim_ng.fitting.real_logs import movielens_log
from recsim_ng.fitting.sequential_recipe import LATENT, fit_sequential_models
from recsim_ng.fitting.sequential_report import write_sequential_report
from recsim_ng.fitting.simulator_files import load_simulator
from recsim_ng.lib import memory
from recsim_ng.rl.evaluation import EvaluationResult

SEQUENTIAL, CLICKS = "sequential_choice", "click_models"
REPORT_FOLDER = "report"  # the recipe's report, plots and fitted simulator, inside the run folder
SIMULATOR_FOLDER = "simulator"  # inside REPORT_FOLDER (sequential_choice)


def _table_file(name: str, value: Any) -> None:
    """'' or an existing CSV/Parquet file (`read_table`'s kinds)."""
    checks.existing_file(name, value)
    if value and not value.lower().endswith(TABLE_SUFFIXES):
        raise ValueError(f"{name} must be a {', '.join(TABLE_SUFFIXES)} file, got {value!r}")


KEYS: dict[str, checks.Check] = {
    "recipe": checks.one_of(SEQUENTIAL, CLICKS),
    "log_file": _table_file,
    "items_file": _table_file,
    "target_log_file": _table_file,
    "max_users": checks.size(0),
    "max_iterations": checks.size(),
    "latent_steps": checks.size(),
    "num_users": checks.size(),
    "slate_size": checks.size(),
    "horizon": checks.size(1, memory.MAX_STEPS),
    "exposure_effect": checks.number(),
}
MAY_DIFFER = ("num_users", "slate_size", "horizon", "exposure_effect")  # simulate's scenario


def check(config: ConfigDict) -> None:
    """The files and sizes each recipe reads go together."""
    def refuse(message: str) -> None:
        raise checks.ConfigError(message)

    if config.items_file and not config.log_file:
        refuse("config.items_file describes the items of config.log_file; set config.log_file"
               " too, or leave config.items_file='' to fit the example log")
    if config.recipe == SEQUENTIAL:
        if config.target_log_file:
            refuse(f"config.target_log_file is read by config.recipe={CLICKS!r} only; leave it"
                   " ''")
        if config.log_file and not config.items_file:
            refuse("config.items_file is needed with config.log_file: a table of `item` and its"
                   " `genre:*` topic columns (the sequential choice model's topics)")
        if config.log_file and config.max_users:
            refuse("config.max_users keeps MovieLens users 1..max_users (config.log_file='');"
                   " set it to 0 with config.log_file")
    else:
        if config.max_users:
            refuse(f"config.max_users is read by config.recipe={SEQUENTIAL!r} only; set it to 0")
        if bool(config.log_file) != bool(config.target_log_file):
            refuse(f"config.recipe={CLICKS!r} reads two logs: set both config.log_file (the"
                   " uniform-random log) and config.target_log_file (the target policy's), or"
                   " neither (the Open Bandit sample)")


def _read(key: str, read: Callable[[], Any]) -> Any:
    """`read()`, a bad file's error given as a `ConfigError` naming `config.<key>`."""
    try:
        return read()
    except (ValueError, OSError) as error:  # LogFormatError is a ValueError
        raise checks.ConfigError(f"config.{key}: {error}") from None


def _logs(config: ConfigDict) -> tuple[EventLog, EventLog | None]:
    """The recipe's log (and for click models the target policy's)."""
    if not config.log_file:
        if config.recipe == SEQUENTIAL:
            return movielens_log(config.max_users or None), None
        return load_open_bandit("random"), load_open_bandit("bts")
    items = (_read("items_file", lambda: read_table(config.items_file)) if config.items_file
             else None)
    log = _read("log_file", lambda: read_log(config.log_file, items=items))
    if config.recipe == SEQUENTIAL:
        return log, None
    return log, _read("target_log_file", lambda: read_log(config.target_log_file, items=items))


def fit(config: ConfigDict, folder: RunFolder, progress: Progress) -> ModeOutcome:
    """Fits the recipe and writes its report under `run_dir/report/`; the summary is the held-out
    log-likelihood per event with standard errors (and the target policy's click-through rate
    observed, off-policy and simulated for click models), the records the real-versus-simulated
    statistics."""
    start = time.perf_counter()
    with progress.bar(None, f"fit {config.recipe}", unit="stage") as bar:
        bar.set_postfix(stage="reading the log")
        log, target = _logs(config)
        if config.recipe == SEQUENTIAL:
            summary, records = _fit_sequential(config, folder, log, bar)
        else:
            summary, records = _fit_clicks(config, folder, log, target, bar)
    summary["seconds"] = round(time.perf_counter() - start, 1)
    summary["report_folder"] = folder.file(REPORT_FOLDER, "")
    return ModeOutcome(summary, records)


def _fit_sequential(config: ConfigDict, folder: RunFolder, log: EventLog,
                    bar: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    def advance(stage: str, done: int, total: int) -> None:
        bar.total = total + 1  # and the report
        bar.update(done - bar.n)
        bar.set_postfix(stage=stage)

    result = fit_sequential_models(log, max_iterations=config.max_iterations,
                                   latent_steps=config.latent_steps, seed=config.seed,
                                   progress=advance)
    report = write_sequential_report(result, log, folder.file(REPORT_FOLDER, ""), overwrite=True)
    bar.update()
    bar.set_postfix(stage="wrote the report")
    summary: dict[str, Any] = {"users": log.num_users, "events": log.num_events,
                               "test_events": result.split.sizes()["test"]}
    for row in report["heldout"]:
        model = row["model"]
        summary[f"{model}_loglik_per_event"] = row["log_likelihood_per_event"]
        summary[f"{model}_loglik_se"] = row["standard_error"]
        if model != LATENT:
            summary[f"{LATENT}_advantage_z_over_{model}"] = row["z"]
    summary["verdict"] = report["verdict"]
    summary["statistics_that_differ"] = len(report["simulation_differs_in"])
    summary["simulator_folder"] = folder.file(REPORT_FOLDER, SIMULATOR_FOLDER, "")
    return summary, _fitted_vs_real(report["comparisons"])


def _fitted_vs_real(comparisons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each compared statistic's simulated value over its real one (1: they agree), once per
    statistic: the statistics' scales differ (seconds, events, shares), so one axis shows their
    ratios; report.json has the values."""
    rows = {row["statistic"]: row for row in comparisons
            if row["real"] and row["simulated"] is not None}
    return [point("fitted_vs_real", "simulated / real", statistic,
                  row["simulated"] / row["real"]) for statistic, row in rows.items()]


def _fit_clicks(config: ConfigDict, folder: RunFolder, logged: EventLog, target: EventLog,
                bar: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    bar.total = 3  # read, fit and check, report
    bar.update()
    bar.set_postfix(stage="fitting and checking")
    result = fit_click_logs(logged, target, seed=config.seed)
    bar.update()
    report = write_click_report(result, logged, folder.file(REPORT_FOLDER, ""), overwrite=True)
    bar.update()
    bar.set_postfix(stage="wrote the report")
    summary: dict[str, Any] = {"logged_impressions": logged.num_events,
                               "target_impressions": target.num_events,
                               "penalty": report["penalty"]}
    for row in report["heldout"]:
        summary[f"{row['model']}_loglik_per_event"] = row["log_likelihood_per_event"]
        summary[f"{row['model']}_loglik_se"] = row["standard_error"]
    records = []
    for name, estimate in report["policy_check"].items():
        for bound in ("value", "low", "high"):
            summary[f"target_ctr_{name}" + ("" if bound == "value" else f"_{bound}")] = (
                estimate[bound])
        records.append(point("fitted_vs_real", "target policy CTR (95%)", name,
                             estimate["value"], (estimate["high"] - estimate["low"]) / 2))
    summary["simulated_within_observed"] = report["simulated_within_observed"]
    for series, log in (("real", logged), ("simulated", result.simulated)):
        slots = validity.click_through_by_slot(log)  # Wilson intervals, drawn symmetric
        records += [point("click_through_by_slot", series, int(slot), row.ctr,
                          (row.upper - row.lower) / 2) for slot, row in slots.iterrows()]
    return summary, records


def check_mode(mode: str, config: ConfigDict) -> None:
    """`simulate` needs the sequential recipe's simulator, fitted in the run folder, and slates
    that fit its catalogue."""
    if mode != "simulate":
        return
    if config.overwrite:
        raise checks.ConfigError("config.overwrite=True would delete the fitted simulator"
                                 " simulate needs; drop it")
    if config.recipe != SEQUENTIAL:
        raise checks.ConfigError(f"config.recipe={config.recipe!r} fits no simulator to run;"
                                 f" simulate needs config.recipe={SEQUENTIAL!r}")
    simulator_folder = os.path.join(config.run_dir, REPORT_FOLDER, SIMULATOR_FOLDER)
    if not os.path.exists(os.path.join(simulator_folder, "simulator.json")):
        raise checks.ConfigError(f"config.run_dir={config.run_dir!r} holds no fitted simulator;"
                                 " run `python -m recsim_ng fit` with this config first")
    num_items = load_simulator(simulator_folder).covariates.topics.shape[0]
    if config.slate_size > num_items:
        raise checks.ConfigError(f"config.slate_size must be <= the fitted catalogue's"
                                 f" {num_items} items, got {config.slate_size}")


def simulate(config: ConfigDict, folder: RunFolder, progress: Progress) -> ModeOutcome:
    """Random slates against the fitted-myopic policy on `num_users` new users drawn from the
    fitted population (`fitted_environment.compare_policies`): items consumed from the slate
    per user, with 95% intervals, and the reward at each step."""
    simulator = load_simulator(folder.file(REPORT_FOLDER, SIMULATOR_FOLDER, ""))
    evaluator, policies = policy_evaluator(simulator, config.num_users, config.slate_size,
                                           config.horizon, config.exposure_effect, config.seed)
    summary: dict[str, Any] = {"users": config.num_users, "horizon": config.horizon,
                               "slate_size": config.slate_size,
                               "exposure_effect": config.exposure_effect}
    records = []
    with progress.bar(len(policies), "simulating policies", unit="policy") as bar:
        for name, policy in policies.items():
            rewards = evaluator.step_rewards(policy)  # [steps, users], NaN after an episode
            result = EvaluationResult.of(rewards)
            summary[f"{name}_return_mean"] = result.mean_return
            summary[f"{name}_return_ci95"] = result.ci95_half_width
            records += over_time("reward_over_time", name, rewards)
            bar.update()
            bar.set_postfix({name: f"{result.mean_return:.3f}"})
    return ModeOutcome(summary, records)


MODES = {"fit": fit, "simulate": simulate}
