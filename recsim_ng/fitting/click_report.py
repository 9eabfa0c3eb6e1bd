"""Click models of a slate log, compared and checked against another policy's log.

`fit_click_logs(logged, target)` fits the position-based and cascade models on the `logged`
log (Open Bandit: the uniform-random one), the penalty chosen on a validation part of the users,
compares them by held-out log-likelihood per event, and checks the fitted simulator against the
`target` policy's own log (Open Bandit: Bernoulli Thompson sampling): its click-through rate as
observed, as estimated off-policy from the logged log (IPS, SNIPS) and as simulated.
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from recsim_ng.data.event_log import EventLog
from recsim_ng.data.splits import split_by_users
from recsim_ng.fitting import validity, validity_plots
from recsim_ng.fitting.click_models import (FittedClickModel, fit_cascade_model,
                                            fit_position_based_model)
from recsim_ng.fitting.estimation import clustered_mean
from recsim_ng.fitting.off_policy import PolicyCheck, check_policy
from recsim_ng.fitting.report_files import records, save_figure
from recsim_ng.lib.files import atomic_writer, check_writable

PENALTIES = (1e-4, 0.1, 1.0, 10.0)
FITTERS = {"position_based": fit_position_based_model, "cascade": fit_cascade_model}


@dataclasses.dataclass(frozen=True)
class ClickLogFit:
    """Both models on the whole logged log, their held-out scores and the policy check."""

    models: dict[str, FittedClickModel]
    penalty: float
    heldout: pd.DataFrame
    policy_check: PolicyCheck
    simulated: EventLog


def fit_click_logs(logged: EventLog, target: EventLog, penalties: Sequence[float] = PENALTIES,
                   seed: int = 0) -> ClickLogFit:
    """Fits, compares and checks (see the module docstring); users split 80/10/10 by `seed`."""
    split = split_by_users(logged, seed=seed)
    train, validation, test = (logged.select(m) for m in (split.train, split.validation,
                                                        split.test))
    penalty = max(penalties, key=lambda l2: fit_position_based_model(
        train, l2=l2).log_likelihood_per_event(validation)[0])
    on_train = {name: fit(train, l2=penalty) for name, fit in FITTERS.items()}
    scores = {name: model.event_log_likelihoods(test) for name, model in on_train.items()}
    users = test.events["user_index"].to_numpy()
    rows = []
    for name, values in scores.items():
        mean, error = clustered_mean(values, users)
        advantage, advantage_error = clustered_mean(scores["position_based"] - values, users)
        rows.append({"model": name, "log_likelihood_per_event": mean, "standard_error": error,
                     "position_based_advantage": advantage,
                     "advantage_standard_error": advantage_error})
    models = {name: fit(logged, l2=penalty) for name, fit in FITTERS.items()}
    check = check_policy(logged, target, models["position_based"], seed=seed)
    simulated = _with_clicks(logged, models["position_based"].simulate_clicks(logged, seed))
    return ClickLogFit(models, penalty, pd.DataFrame(rows).set_index("model"), check, simulated)


def _with_clicks(log: EventLog, clicks: np.ndarray) -> EventLog:
    events = log.events.copy()
    events["click"] = clicks.astype(events["click"].dtype)
    return dataclasses.replace(log, events=events)


def click_summary(result: ClickLogFit, logged: EventLog) -> dict:
    """The report's content as plain values."""
    check = result.policy_check
    slot_effects = result.models["position_based"].slot_effects()
    comparisons = validity.compare(logged, result.simulated)
    return {
        "penalty": result.penalty,
        "heldout": records(result.heldout.reset_index()),
        "slot_effects": records(slot_effects),
        "policy_check": {name: dataclasses.asdict(getattr(check, name))
                         for name in ("observed", "ips", "snips", "simulated")},
        "simulated_within_observed": bool(check.simulated_within_observed),
        "comparisons": validity.to_json(comparisons),
    }


def write_click_report(result: ClickLogFit, logged: EventLog, folder: str | os.PathLike,
                       overwrite: bool = False) -> dict:
    """`report.json`, `slot_effects.png`, `policy_ctr.png`, the click-through plots, models."""
    os.makedirs(folder, exist_ok=True)
    paths = {name: check_writable(os.path.join(folder, name), overwrite) for name in (
        "report.json", "slot_effects.png", "policy_ctr.png", "models.json")}
    summary = click_summary(result, logged)
    save_figure(_slot_figure(summary["slot_effects"]), paths["slot_effects.png"], overwrite)
    save_figure(_policy_figure(summary["policy_check"]), paths["policy_ctr.png"], overwrite)
    summary["plots"] = [paths["slot_effects.png"], paths["policy_ctr.png"]] + (
        validity_plots.plot_comparisons(logged, result.simulated,
                                        os.path.join(folder, "validity"), overwrite=overwrite))
    with atomic_writer(paths["models.json"], overwrite=overwrite) as file:
        json.dump({name: model.to_json() for name, model in result.models.items()}, file,
                  allow_nan=False)
    with atomic_writer(paths["report.json"], overwrite=overwrite) as file:
        json.dump(summary, file, indent=2, allow_nan=False)
    return summary


def format_click_report(summary: dict) -> str:
    """The report as text."""
    heldout = pd.DataFrame(summary["heldout"]).set_index("model")
    slots = pd.DataFrame(summary["slot_effects"])
    policy = pd.DataFrame(summary["policy_check"]).T
    inside = "lies" if summary["simulated_within_observed"] else "does NOT lie"
    return "\n".join([
        f"Held-out log-likelihood per event (penalty {summary['penalty']:g}, chosen on"
        " validation users):", heldout.to_string(float_format=lambda x: f"{x:.5f}"), "",
        "Slot effects (position-based model, examination relative to the first slot, 95%):",
        slots.to_string(index=False, float_format=lambda x: f"{x:.3f}"), "",
        "Target policy's click-through rate (95% intervals):",
        policy.to_string(float_format=lambda x: f"{x:.5f}"), "",
        f"The simulated click-through rate {inside} within the observed one's interval."])


def _slot_figure(slot_effects: list[dict]) -> Figure:
    frame = pd.DataFrame(slot_effects)
    figure = Figure(figsize=(5, 3.2), layout="constrained")
    axes = figure.subplots()
    value = frame["relative_examination"].to_numpy(float)
    low = np.nan_to_num(frame["low"].to_numpy(float), nan=1.0)
    high = np.nan_to_num(frame["high"].to_numpy(float), nan=1.0)
    axes.errorbar(frame["slot"].astype(str), value, yerr=[value - low, high - value], fmt="o",
                  capsize=5)
    axes.axhline(1.0, color="grey", linewidth=0.8, linestyle=":")
    axes.set_xlabel("slot")
    axes.set_ylabel("examination relative to slot 1")
    axes.set_title("Slot effects, position-based model (95% intervals)")
    return figure


def _policy_figure(policy_check: dict) -> Figure:
    figure = Figure(figsize=(5.5, 3.2), layout="constrained")
    axes = figure.subplots()
    names = list(policy_check)
    values = np.array([policy_check[n]["value"] for n in names])
    low = np.array([policy_check[n]["low"] for n in names])
    high = np.array([policy_check[n]["high"] for n in names])
    axes.errorbar(names, values, yerr=[values - low, high - values], fmt="o", capsize=5)
    axes.axhspan(low[0], high[0], color="tab:green", alpha=0.12, label="observed 95% interval")
    axes.set_ylabel("click-through rate")
    axes.set_title("The target policy's click-through rate")
    axes.legend()
    return figure

