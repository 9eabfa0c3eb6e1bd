"""`python -m recsim_ng fit|simulate --config=configs/{movielens,open_bandit}.py` at tiny sizes:
the files each mode leaves, its summary, and bad input refused before any work."""

import json
import os
import subprocess
import sys

import pandas as pd
import pytest
from ml_collections import ConfigDict

from recsim_ng.cli import runner
from recsim_ng.cli.config_checks import ConfigError
from recsim_ng.cli.jobs import real_logs
from recsim_ng.data.open_bandit import open_bandit_tables

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TINY_MOVIELENS = ["--config.max_users=5", "--config.max_iterations=3",
                  "--config.latent_steps=3"]
TINY_SIMULATE = ["--config.num_users=20", "--config.horizon=5", "--config.slate_size=3"]
LOG_COLUMNS = ["user", "item", "time", "position", "click", "propensity"]


def cli(mode: str, config: str, run_dir, *overrides: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "recsim_ng", mode, f"--config=configs/{config}",
                           f"--config.run_dir={run_dir}", "--quiet", *overrides], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def summary(run_dir, mode: str) -> dict:
    table = pd.read_csv(run_dir / "summary.csv", keep_default_na=False)
    return dict(zip(table[table["mode"] == mode]["metric"], table[table["mode"] == mode]["value"]))


@pytest.fixture(scope="module")
def movielens_run(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("movielens") / "run"
    fitted = cli("fit", "movielens.py", run_dir, *TINY_MOVIELENS)
    assert fitted.returncode == 0, fitted.stderr[-3000:]
    return run_dir


def test_fit_writes_the_validity_report_and_the_simulator(movielens_run):
    report = movielens_run / "report"
    for name in ("report.json", "heldout.png", "validity/gaps.png", "validity/topic_shares.png",
                 "simulator/simulator.json", "simulator/items.npz"):
        assert (report / name).is_file(), name
    assert (movielens_run / "plots" / "fitted_vs_real.png").stat().st_size > 1000
    written = json.loads((report / "report.json").read_text())
    fitted = summary(movielens_run, "fit")
    assert int(fitted["users"]) == 5
    for row in written["heldout"]:  # the summary carries the report's held-out scores
        assert float(fitted[f"{row['model']}_loglik_per_event"]) == pytest.approx(
            row["log_likelihood_per_event"])
        assert float(fitted[f"{row['model']}_loglik_se"]) > 0
    assert fitted["verdict"] == written["verdict"]
    records = [json.loads(line) for line in (movielens_run / "metrics.jsonl").read_text()
               .splitlines()]
    ratios = {r["x"]: r["y"] for r in records if r["figure"] == "fitted_vs_real"}
    for row in written["comparisons"]:
        if row["real"]:
            assert ratios[row["statistic"]] == pytest.approx(row["simulated"] / row["real"])


def test_simulate_runs_agents_on_the_fitted_simulator(movielens_run):
    result = cli("simulate", "movielens.py", movielens_run, *TINY_MOVIELENS, *TINY_SIMULATE)
    assert result.returncode == 0, result.stderr[-3000:]
    simulated = summary(movielens_run, "simulate")
    assert "fit" in set(pd.read_csv(movielens_run / "summary.csv")["mode"])  # fit's rows kept
    for policy in ("random", "fitted_myopic"):
        mean = float(simulated[f"{policy}_return_mean"])
        assert 0 <= mean <= 5  # at most one slate item consumed per step
    assert (movielens_run / "plots" / "reward_over_time.png").is_file()
    records = [json.loads(line) for line in (movielens_run / "metrics.jsonl").read_text()
               .splitlines()]
    steps = {(r["series"], r["x"]) for r in records if r["figure"] == "reward_over_time"}
    assert steps == {(policy, step) for policy in ("random", "fitted_myopic")
                     for step in range(1, 6)}


def test_simulate_before_fit_is_refused(tmp_path):
    result = cli("simulate", "movielens.py", tmp_path / "run", *TINY_MOVIELENS, *TINY_SIMULATE)
    assert result.returncode != 0
    assert "holds no fitted simulator" in result.stderr and "config.run_dir" in result.stderr
    assert not (tmp_path / "run" / "report").exists()


def test_click_models_fit_your_own_logs(tmp_path):
    for policy in ("random", "bts"):  # the Open Bandit sample's first 3,000 impressions as CSV
        impressions, _ = open_bandit_tables(policy)
        impressions[LOG_COLUMNS].iloc[:3000].to_csv(tmp_path / f"{policy}.csv", index=False)
    run_dir = tmp_path / "run"
    result = cli("fit", "open_bandit.py", run_dir, f"--config.log_file={tmp_path / 'random.csv'}",
                 f"--config.target_log_file={tmp_path / 'bts.csv'}")
    assert result.returncode == 0, result.stderr[-3000:]
    for name in ("report.json", "models.json", "policy_ctr.png", "slot_effects.png"):
        assert (run_dir / "report" / name).is_file(), name
    for name in ("click_through_by_slot.png", "fitted_vs_real.png"):
        assert (run_dir / "plots" / name).is_file(), name
    fitted = summary(run_dir, "fit")
    assert int(fitted["logged_impressions"]) == 3000
    for estimate in ("observed", "ips", "snips", "simulated"):
        low, value, high = (float(fitted[f"target_ctr_{estimate}{suffix}"])
                            for suffix in ("_low", "", "_high"))
        assert low <= value <= high
    assert float(fitted["target_ctr_observed"]) == pytest.approx(
        pd.read_csv(tmp_path / "bts.csv")["click"].mean())


@pytest.mark.parametrize("overrides, message", [
    (["--config.recipe=sequential"], "did you mean 'sequential_choice'"),
    (["--config.log_file=/no/such/log.csv", "--config.items_file=/no/such/log.csv"],
     "config.log_file: no such file '/no/such/log.csv'"),
])
def test_bad_input_fails_before_any_work(tmp_path, overrides, message):
    result = cli("fit", "movielens.py", tmp_path / "run", *overrides)
    assert result.returncode != 0
    assert message in result.stderr
    assert not (tmp_path / "run").exists()


def base_config(**changes) -> ConfigDict:
    config = ConfigDict({"application": "real_logs", "seed": 0, "run_dir": "runs/x",
                         "overwrite": False, "recipe": "sequential_choice", "log_file": "",
                         "items_file": "", "target_log_file": "", "max_users": 0,
                         "max_iterations": 3, "latent_steps": 3, "num_users": 2,
                         "slate_size": 2, "horizon": 2, "exposure_effect": 1.0})
    config.update(changes)
    return config


@pytest.mark.parametrize("changes, message", [
    ({"log_file": "LOG"}, "config.items_file is needed"),
    ({"log_file": "LOG", "items_file": "LOG", "max_users": 5}, "config.max_users"),
    ({"items_file": "LOG"}, "config.items_file describes"),
    ({"target_log_file": "LOG"}, "config.target_log_file is read by"),
    ({"recipe": "click_models", "max_users": 5}, "config.max_users is read by"),
    ({"recipe": "click_models", "log_file": "LOG"}, "config.target_log_file"),
    ({"log_file": "TXT"}, "config.log_file must be a .csv"),
])
def test_cross_key_checks_name_the_key(tmp_path, changes, message):
    files = {"LOG": tmp_path / "log.csv", "TXT": tmp_path / "log.txt"}
    for path in files.values():
        path.write_text("user,item,time\n")
    config = base_config(**{key: str(files.get(value, value)) if isinstance(value, str) else value
                            for key, value in changes.items()})
    with pytest.raises(ConfigError, match=message):
        runner.check("fit", config)


def test_click_models_have_no_simulator_to_simulate(tmp_path):
    with pytest.raises(ConfigError, match="fits no simulator"):
        real_logs.check_mode("simulate", base_config(recipe="click_models",
                                                     run_dir=str(tmp_path)))
