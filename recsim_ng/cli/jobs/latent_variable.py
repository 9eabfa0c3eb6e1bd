"""Recovering satisfaction sensitivities from logs
(`recsim_ng.applications.latent_variable_model_learning.learning`): the simulated log
(`simulate`), and the sensitivities fitted to it with the intent logged or latent (`fit`)."""

from __future__ import annotations

import json

import numpy as np
from ml_collections import ConfigDict

from recsim_ng.applications.latent_variable_model_learning.learning import (
    estimate_errors, fit_sensitivities, simulated_log)
from recsim_ng.cli import config_checks as checks
from recsim_ng.cli.jobs import ModeOutcome
from recsim_ng.cli.plots import choice_shares, over_time, point
from recsim_ng.cli.progress import Progress
from recsim_ng.cli.run_folder import RunFolder
from recsim_ng.lib import memory
from recsim_ng.lib.files import atomic_writer
from recsim_ng.lib.trajectory_io import save_trajectory

LOG_FILE = "log.npz"
PARAMETERS_FILE = "fitted_parameters.json"
POSTERIOR_FILE = "posterior_intents.npz"
METHODS = {"logged": "logged_intent", "latent-EM": "latent_intent"}  # config -> learning.py


KEYS: dict[str, checks.Check] = {
    "num_users": checks.size(),
    "horizon": checks.size(2, memory.MAX_STEPS),  # the sensitivity acts between steps
    "method": checks.one_of(*METHODS),
    "initial_sensitivity": checks.number(),
    "newton_steps": checks.size(),
    "em_iterations": checks.size(),
    "num_samples": checks.size(2),  # Louis' identity needs the variance of the scores
    "burnin": checks.size(0),
    "thinning": checks.size(),
    "num_candidates": checks.size(),
}
MAY_DIFFER = ()


def simulate(config: ConfigDict, folder: RunFolder, progress: Progress) -> ModeOutcome:
    """The log the fit sees (kept as log.npz): mean satisfaction per step with its 95% band,
    and the share of choices per slate slot (or none)."""
    with progress.bar(1, "simulating the log", unit="run") as bar:
        _, logged = simulated_log(config.num_users, config.horizon, config.seed)
        bar.update()
    save_trajectory(folder.file(LOG_FILE), logged, overwrite=True)
    satisfaction = logged["user_state"].get("satisfaction").numpy()  # [horizon, users]
    records = over_time("reward_over_time", "satisfaction", satisfaction, first_step=0)
    choices = logged["user_response"].get("choice").numpy().ravel()  # every step has a slate
    slate_size = logged["slate_docs"].get("features").shape[-2]
    records += choice_shares("share", choices, slate_size)
    summary = {"users": config.num_users, "horizon": config.horizon,
               "final_satisfaction_mean": float(satisfaction[-1].mean()),
               "no_choice_share": float(np.mean(choices == slate_size)),
               "log_file": folder.file(LOG_FILE)}
    return ModeOutcome(summary, records)


def fit(config: ConfigDict, folder: RunFolder, progress: Progress) -> ModeOutcome:
    """The sensitivities fitted from `initial_sensitivity` (Newton with the intent logged,
    Monte-Carlo EM with HMC with it latent) against the truth: estimates with 95% intervals,
    mean absolute error, mean standard error and largest |z|; the estimates go to
    fitted_parameters.json and the last HMC sample of the intents to posterior_intents.npz."""
    truth, logged = simulated_log(config.num_users, config.horizon, config.seed)
    method = METHODS[config.method]
    if method == "logged_intent":
        steps, options = config.newton_steps, {"newton_steps": config.newton_steps}
    else:
        steps, options = config.em_iterations, {
            "iterations": config.em_iterations, "num_samples": config.num_samples,
            "burnin": config.burnin, "thinning": config.thinning,
            "num_candidates": config.num_candidates}
    with progress.bar(steps, f"fitting ({config.method})",
                      unit="step" if method == "logged_intent" else "iteration") as bar:
        def on_step(step: int, estimate: np.ndarray) -> None:
            bar.set_postfix(mean_abs_error=f"{np.abs(estimate - truth).mean():.4f}")
            bar.update()

        estimate = fit_sensitivities(method, logged, config.seed, config.initial_sensitivity,
                                     on_step, **options)
    parameters = {"method": config.method, "truth": truth.tolist(),
                  "satisfaction_sensitivity": estimate.value.tolist(),
                  "standard_error": estimate.standard_error.tolist()}
    with atomic_writer(folder.file(PARAMETERS_FILE), overwrite=True) as file:
        json.dump(parameters, file, indent=1, allow_nan=False)
    if estimate.intent_samples is not None:
        with atomic_writer(folder.file(POSTERIOR_FILE), mode="wb", overwrite=True) as file:
            np.savez(file, intent=estimate.intent_samples)
    records = []
    for user, (value, error, true) in enumerate(zip(estimate.value, estimate.standard_error,
                                                    truth)):
        records += [point("estimates_vs_truth", "estimate", f"user {user}", value, 1.96 * error),
                    point("estimates_vs_truth", "truth", f"user {user}", true)]
    summary = {"method": config.method, "users": config.num_users, "horizon": config.horizon,
               **estimate_errors(estimate, truth),
               "parameters_file": folder.file(PARAMETERS_FILE),
               "posterior_file": folder.file(POSTERIOR_FILE)
               if estimate.intent_samples is not None else ""}
    return ModeOutcome(summary, records)


MODES = {"simulate": simulate, "fit": fit}
