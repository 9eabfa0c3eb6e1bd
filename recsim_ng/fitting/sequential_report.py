"""The validity report of a sequential fit: a printed table, PNG plots and a JSON file.

It answers "is my simulator valid?" in two parts: does the dynamic model predict held-out
events better than the baselines (log-likelihood per event, standard errors clustered by
user, paired differences), and does a log simulated from it look like the real one
(`validity.compare`: gaps, sessions, repeats, diversity, topic shares over time).
"""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from recsim_ng.data.event_log import EventLog
from recsim_ng.fitting import validity, validity_plots
from recsim_ng.fitting.interest_model import MODELS
from recsim_ng.fitting.sequential_recipe import LATENT, SequentialFit
from recsim_ng.fitting.simulator_files import FittedSimulator, save_simulator
from recsim_ng.fitting.report_files import records, save_figure
from recsim_ng.lib.files import atomic_writer, check_writable

SIGNIFICANT = 3.0  # standard errors a model must beat each baseline by


def sequential_summary(result: SequentialFit, log: EventLog) -> dict:
    """Held-out scores, estimates, the verdict and the real-versus-simulated comparisons."""
    covariates = result.covariates
    comparisons = validity.compare(log, result.simulated, covariates.topics,
                                   covariates.topic_names)
    heldout = result.heldout
    baselines = [m for m in heldout.index if m in MODELS[1:]]
    beaten = [m for m in baselines if heldout.loc[m, "z"] > SIGNIFICANT]
    missed = [c.statistic for c in comparisons if c.verdict == "differs"]
    if len(beaten) == len(baselines):
        verdict = (f"the dynamic-interest model with latent users beats every baseline in"
                   f" held-out log-likelihood per event by more than {SIGNIFICANT:g} standard"
                   " errors")
    else:
        verdict = (f"the dynamic-interest model with latent users does NOT beat"
                   f" {sorted(set(baselines) - set(beaten))} by more than {SIGNIFICANT:g}"
                   " standard errors")
    return {
        "verdict": verdict,
        "simulation_differs_in": missed,
        "heldout": records(heldout.reset_index()),
        "split": result.split.sizes(),
        "fits": {model: {"converged": fit.converged, "seconds": fit.seconds,
                         "train_log_likelihood_per_event": fit.log_likelihood / fit.num_events,
                         "estimates": records(fit.estimates.table().reset_index())}
                 for model, fit in result.fits.items()},
        "gaps": result.gaps.to_json(),
        "comparisons": validity.to_json(comparisons),
    }


def write_sequential_report(result: SequentialFit, log: EventLog, folder: str | os.PathLike,
                            overwrite: bool = False) -> dict:
    """`report.json`, `heldout.png`, the validity plots and the fitted simulator in `folder`."""
    os.makedirs(folder, exist_ok=True)
    report_path = check_writable(os.path.join(folder, "report.json"), overwrite)
    heldout_path = check_writable(os.path.join(folder, "heldout.png"), overwrite)
    summary = sequential_summary(result, log)
    summary["plots"] = [heldout_path] + validity_plots.plot_comparisons(
        log, result.simulated, os.path.join(folder, "validity"), result.covariates.topics,
        result.covariates.topic_names, overwrite=overwrite)
    save_figure(heldout_figure(result.heldout), heldout_path, overwrite)
    save_simulator(FittedSimulator(result.dynamics, result.covariates, result.gaps, log.item_ids,
                                   result.fits[LATENT].exclude_consumed),
                   os.path.join(folder, "simulator"), overwrite)
    with atomic_writer(report_path, overwrite=overwrite) as file:
        json.dump(summary, file, indent=2, allow_nan=False)
    return summary


def format_sequential_report(summary: dict) -> str:
    """The report as text: held-out table, dynamic-model estimates, the comparisons."""
    heldout = pd.DataFrame(summary["heldout"]).set_index("model")
    estimates = pd.DataFrame(summary["fits"][LATENT]["estimates"]).set_index("parameter")
    comparisons = pd.DataFrame(summary["comparisons"])
    lines = ["Held-out log-likelihood per event (standard errors clustered by user):",
             heldout.to_string(float_format=lambda x: f"{x:.4f}"), "",
             "Dynamic-interest model with latent users (the simulator), estimates with 95%"
             " intervals:",
             estimates.to_string(float_format=lambda x: f"{x:.4f}"), "",
             "Real versus simulated log:",
             comparisons.to_string(index=False, float_format=lambda x: f"{x:.4g}"), "",
             f"Verdict: {summary['verdict']}."]
    if summary["simulation_differs_in"]:
        lines.append("The simulated log differs from the real one in: "
                     + "; ".join(summary["simulation_differs_in"]) + ".")
    return "\n".join(lines)


def heldout_figure(heldout: pd.DataFrame) -> Figure:
    """Each model's held-out log-likelihood per event, and the dynamic model's paired advantage
    over each baseline, with 95% intervals."""
    figure = Figure(figsize=(9, 3.2), layout="constrained")
    scores, advantages = figure.subplots(1, 2)
    labels = [m.replace("_", " ") for m in heldout.index]
    position = np.arange(len(heldout))
    scores.errorbar(heldout["log_likelihood_per_event"], position,
                    xerr=1.96 * heldout["standard_error"], fmt="o", capsize=4)
    scores.set_yticks(position, labels=labels)
    scores.invert_yaxis()
    scores.set_xlabel("held-out log-likelihood per event")
    scores.set_title("Per model (95%, clustered by user)")
    baselines = heldout.drop(index=LATENT)
    advantages.errorbar(baselines["reference_advantage"], np.arange(len(baselines)),
                        xerr=1.96 * baselines["advantage_standard_error"], fmt="o", capsize=4,
                        color="tab:green")
    advantages.axvline(0.0, color="grey", linewidth=0.8, linestyle=":")
    advantages.set_yticks(np.arange(len(baselines)),
                          labels=[m.replace("_", " ") for m in baselines.index])
    advantages.invert_yaxis()
    advantages.set_xlabel("latent-user dynamic model's gain per event")
    advantages.set_title("Paired gain (95%)")
    return figure

