"""`python -m recsim_ng simulate|fit --config=configs/latent_variable.py`: the simulated log,
sensitivities fitted with the intent logged and latent, their files, and a refused method."""

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
USERS, HORIZON, INITIAL_GUESS = 3, 3, 0.3
TINY = (f"--config.num_users={USERS}", f"--config.horizon={HORIZON}", "--config.newton_steps=2",
        "--config.em_iterations=1", "--config.num_samples=2", "--config.burnin=2",
        "--config.thinning=1", "--config.num_candidates=2")


def run_cli(mode: str, run_dir, *overrides: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "recsim_ng", mode,
                           "--config=configs/latent_variable.py", f"--config.run_dir={run_dir}",
                           "--quiet", *TINY, *overrides], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def fitted(run_dir) -> dict:
    with open(run_dir / "fitted_parameters.json", encoding="utf-8") as file:
        return json.load(file)


def test_simulate_then_fit_with_the_intent_logged(tmp_path):
    run_dir = tmp_path / "run"
    simulated = run_cli("simulate", run_dir)
    assert simulated.returncode == 0, simulated.stderr
    with np.load(run_dir / "log.npz", allow_pickle=False) as archive:
        assert archive["user_state/satisfaction"].shape == (HORIZON, USERS)
        assert archive["user_response/choice"].shape == (HORIZON, USERS)
    result = run_cli("fit", run_dir)  # the same run folder: the fit is of the simulated log
    assert result.returncode == 0, result.stderr
    parameters = fitted(run_dir)
    truth = np.array(parameters["truth"])
    estimate = np.array(parameters["satisfaction_sensitivity"])
    errors = np.array(parameters["standard_error"])
    assert parameters["method"] == "logged" and estimate.shape == (USERS,)
    # Each z is standard normal; P(max |z| over 3 users > 4) is below 2e-4.
    assert np.abs((estimate - truth) / errors).max() < 4
    summary = pd.read_csv(run_dir / "summary.csv")
    assert set(summary["mode"]) == {"simulate", "fit"}
    fit = summary[summary["mode"] == "fit"].set_index("metric")["value"]
    assert float(fit["mean_abs_error"]) == pytest.approx(np.abs(estimate - truth).mean(),
                                                          rel=1e-5)
    assert not (run_dir / "posterior_intents.npz").exists()  # Newton draws no posterior sample
    for plot in ("reward_over_time", "choice_by_slot", "estimates_vs_truth"):
        assert (run_dir / "plots" / f"{plot}.png").stat().st_size > 0


def test_fit_with_the_intent_latent_keeps_the_posterior_sample(tmp_path):
    run_dir = tmp_path / "run"
    result = run_cli("fit", run_dir, "--config.method=latent-EM")
    assert result.returncode == 0, result.stderr
    parameters = fitted(run_dir)
    truth = np.array(parameters["truth"])
    estimate = np.array(parameters["satisfaction_sensitivity"])
    # One EM iteration moves every user from the initial guess (0.2-0.6 off) towards the truth.
    assert np.abs(estimate - truth).mean() < np.abs(INITIAL_GUESS - truth).mean() / 2
    with np.load(run_dir / "posterior_intents.npz", allow_pickle=False) as archive:
        assert archive["intent"].shape == (2, HORIZON, USERS, 3)  # samples, time, users, topics
    assert (run_dir / "plots" / "estimates_vs_truth.png").stat().st_size > 0


def test_an_unknown_method_is_refused_before_any_work(tmp_path):
    result = run_cli("fit", tmp_path / "run", "--config.method=latent-em")
    assert result.returncode != 0
    assert "config.method must be one of ['logged', 'latent-EM'], got 'latent-em'" in result.stderr
    assert not (tmp_path / "run").exists()
