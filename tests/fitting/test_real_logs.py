"""The real-log recipes end to end at reduced size: MovieLens users 1..30, the Open Bandit sample."""

import json
import os

import numpy as np
import pytest

from recsim_ng.data.open_bandit import load_open_bandit
from recsim_ng.fitting.click_report import fit_click_logs, format_click_report, write_click_report
from recsim_ng.fitting.interest_network import simulate_log
from recsim_ng.fitting.real_logs import movielens_log
from recsim_ng.fitting.sequential_recipe import LATENT, fit_sequential_models
from recsim_ng.fitting.sequential_report import (format_sequential_report,
                                                 write_sequential_report)
from recsim_ng.fitting.simulator_files import load_simulator


@pytest.fixture(scope="module")
def movielens_fit():
    log = movielens_log(max_users=30)
    return log, fit_sequential_models(log, max_iterations=100, latent_steps=100)


def test_movielens_report_is_written_and_strict_json(movielens_fit, tmp_path):
    log, result = movielens_fit
    summary = write_sequential_report(result, log, tmp_path)
    with open(tmp_path / "report.json", encoding="utf-8") as file:
        written = json.load(file)
    assert written["verdict"] == summary["verdict"]
    models = {row["model"] for row in written["heldout"]}
    assert models == {"dynamic_interest", LATENT, "static_preference", "markov_genre",
                      "popularity"}
    assert all(np.isfinite(row["log_likelihood_per_event"]) for row in written["heldout"])
    assert all(os.path.getsize(path) > 1000 for path in written["plots"])
    statistics = {row["statistic"] for row in written["comparisons"]}
    assert any("session length" in s for s in statistics)
    assert any("topic shares" in s for s in statistics)
    text = format_sequential_report(summary)
    assert "Verdict:" in text and "step_size" in text
    with pytest.raises(FileExistsError):
        write_sequential_report(result, log, tmp_path)


def test_the_saved_simulator_simulates_new_users(movielens_fit, tmp_path):
    log, result = movielens_fit
    write_sequential_report(result, log, tmp_path)
    simulator = load_simulator(tmp_path / "simulator")
    assert simulator.dynamics.spread > 0
    np.testing.assert_allclose(simulator.covariates.topics, result.covariates.topics)
    simulated = simulate_log(simulator.dynamics, simulator.covariates, simulator.gaps, log,
                             seed=4)
    assert simulated.num_events == log.num_events
    assert np.array_equal(simulated.lengths(), log.lengths())
    again = simulate_log(simulator.dynamics, simulator.covariates, simulator.gaps, log, seed=4)
    assert again.events["item"].tolist() == simulated.events["item"].tolist()


def test_open_bandit_report_puts_the_three_click_through_rates_side_by_side(tmp_path):
    logged, target = load_open_bandit("random"), load_open_bandit("bts")
    result = fit_click_logs(logged, target)
    summary = write_click_report(result, logged, tmp_path)
    check = summary["policy_check"]
    assert set(check) == {"observed", "ips", "snips", "simulated"}
    for estimate in check.values():
        assert estimate["low"] <= estimate["value"] <= estimate["high"]
    observed = check["observed"]
    assert summary["simulated_within_observed"] == (
        observed["low"] <= check["simulated"]["value"] <= observed["high"])
    assert len(summary["slot_effects"]) == 3
    assert "click-through" in format_click_report(summary)
    json.dumps(summary, allow_nan=False)
